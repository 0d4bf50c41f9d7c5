#!/usr/bin/env python3
"""The parts of a grouped train run, from Spark's event log (Spark's own task and SQL metrics).

    python3 scripts/grouped-load-parts.py EVENT_LOG_FILE [PROCESS_START_EPOCH_MS [PROCESS_END_EPOCH_MS]]

scripts/bench-grouped.sh runs the job with spark.eventLog.enabled=true and calls this. Prints, per
stage, its wall time and the tasks' summed run time, CPU time and GC time, then the load's parts
summed over tasks: the Parquet scan, the shuffle's map-side write, the reduce side's fetch wait, the
sort, the map side's reading of the rows and packing them into chunks, the reading of the sorted
chunks into primitive columns (tapeline's own accumulators: canonical
order included), the solve, and what is left of the result tasks (the output write, the output rows'
conversion). With the process's start time (ms since the epoch), also the JVM's and Spark's start:
from the process start to the application start event, and from there to the first job. With the
process's end too, the whole wall as a timeline that adds up to it: the start, each job (its stages'
wall), the driver's time between jobs and stages, after the last job (the output's commit, the
summary, the run record), and Spark's stop and the JVM's exit (docs/start-and-stop.md).
Task times are summed over tasks: on local[2], two tasks run at once.
"""
import json
import sys


def main():
    events = [json.loads(line) for line in open(sys.argv[1])]
    start_ms = float(sys.argv[2]) if len(sys.argv) > 2 else None
    end_ms = float(sys.argv[3]) if len(sys.argv) > 3 else None
    jobs = []  # (start, end, description)
    job_starts = {}
    submitted = {}
    stages = {}
    tasks = {}
    app_start = job_start = app_end = None
    heap = {}
    for e in events:
        kind = e["Event"]
        if kind == "SparkListenerApplicationStart":
            app_start = e["Timestamp"]
        elif kind == "SparkListenerApplicationEnd":
            app_end = e["Timestamp"]
        elif kind == "SparkListenerJobStart":
            if job_start is None:
                job_start = e["Submission Time"]
            props = e.get("Properties") or {}
            names = [si.get("Stage Name", "") for si in e.get("Stage Infos", [])]
            job_starts[e["Job ID"]] = (e["Submission Time"], props.get("spark.job.description") or (names[-1] if names else ""))
        elif kind == "SparkListenerJobEnd":
            t, name = job_starts.get(e["Job ID"], (None, ""))
            if t is not None:
                jobs.append((t, e["Completion Time"], e["Job ID"], name))
        elif kind == "SparkListenerStageSubmitted":
            submitted[e["Stage Info"]["Stage ID"]] = e["Stage Info"].get("Submission Time")
        elif kind == "SparkListenerStageCompleted":
            s = e["Stage Info"]
            stages[s["Stage ID"]] = s
        elif kind == "SparkListenerStageExecutorMetrics":
            m = e.get("Executor Metrics", {})
            for k in ("JVMHeapMemory", "OnHeapExecutionMemory", "ProcessTreeJVMRSSMemory"):
                heap[k] = max(heap.get(k, 0), m.get(k, 0))
        elif kind == "SparkListenerTaskEnd":
            tasks.setdefault(e["Stage ID"], []).append(e)

    def acc(ts, name):
        total = 0.0
        for t in ts:
            for a in t["Task Info"].get("Accumulables", []):
                if a.get("Name") == name and a.get("Update") is not None:
                    total += float(a["Update"])
        return total

    def peak(ts, name):
        best = 0.0
        for t in ts:
            for a in t["Task Info"].get("Accumulables", []):
                if a.get("Name") == name and a.get("Update") is not None:
                    best = max(best, float(a["Update"]))
        return best

    print("%-5s %-40s %6s %8s %9s %9s %7s %10s" % ("stage", "name", "tasks", "wall_s", "run_s", "cpu_s", "gc_s",
                                                 "peak_mem_mb"))
    for sid in sorted(stages):
        s = stages[sid]
        ts = tasks.get(sid, [])
        wall = (s.get("Completion Time", 0) - s.get("Submission Time", 0)) / 1e3
        run = sum(t["Task Metrics"]["Executor Run Time"] for t in ts) / 1e3
        cpu = sum(t["Task Metrics"]["Executor CPU Time"] for t in ts) / 1e9
        gc = sum(t["Task Metrics"]["JVM GC Time"] for t in ts) / 1e3
        pk = max([t["Task Metrics"].get("Peak Execution Memory", 0) for t in ts] or [0]) / 2**20
        print("%-5d %-40s %6d %8.2f %9.2f %9.2f %7.2f %10.1f" % (sid, s["Stage Name"][:40], len(ts), wall, run, cpu, gc, pk))

    all_tasks = [t for ts in tasks.values() for t in ts]
    g = "tapeline grouped: "
    scan = acc(all_tasks, "scan time") / 1e3
    write = acc(all_tasks, "shuffle write time") / 1e9
    fetch = acc(all_tasks, "fetch wait time") / 1e3
    sort = acc(all_tasks, "sort time") / 1e3
    until_first = acc(all_tasks, g + "task time until the first sorted row (ns)") / 1e9
    until_first_cpu = acc(all_tasks, g + "task CPU time until the first sorted row (ns)") / 1e9
    read = acc(all_tasks, g + "task time reading rows into columns, canonical order included (ns)") / 1e9
    read_cpu = acc(all_tasks, g + "task CPU time reading rows into columns, canonical order included (ns)") / 1e9
    order = acc(all_tasks, g + "task time putting groups in canonical order (ns)") / 1e9
    solve = acc(all_tasks, g + "task time solving (ns)") / 1e9
    solve_cpu = acc(all_tasks, g + "task CPU time solving (ns)") / 1e9
    pack = acc(all_tasks, g + "map task time reading rows and packing them into chunks (ns)") / 1e9
    written = acc(all_tasks, "shuffle bytes written") / 2**20
    records = acc(all_tasks, "shuffle records written")
    # The result stage: the tasks that solved (they carry tapeline's accumulators).
    result = [t for t in all_tasks if any(a.get("Name") == g + "task time solving (ns)" for a in t["Task Info"].get("Accumulables", []))]
    result_run = sum(t["Task Metrics"]["Executor Run Time"] for t in result) / 1e3
    print()
    print("load parts, seconds summed over tasks:")
    print("  scan (Parquet read, 'scan time')            %8.2f" % scan)
    print("  read rows, pack into chunks (map side)      %8.2f" % pack)
    print("  shuffle write (map side)                    %8.2f   (%.0f MB, %.0f records, %.1f bytes a record)"
          % (write, written, records, written * 2**20 / records if records else 0))
    print("  shuffle fetch wait (reduce side)            %8.2f" % fetch)
    print("  sort ('sort time')                          %8.2f" % sort)
    print("  until first sorted row (fetch + sort)       %8.2f   (CPU %.2f)" % (until_first, until_first_cpu))
    print("  read rows into columns (order included)     %8.2f   (CPU %.2f; canonical order %.2f)" % (read, read_cpu, order))
    print("  solve                                       %8.2f   (CPU %.2f)" % (solve, solve_cpu))
    print("  rest of the result tasks (write, output)    %8.2f   (their run time %.2f)" %
          (result_run - until_first - read - solve, result_run))
    if heap:
        print("  memory peaks: JVM heap used %.0f MB, on-heap execution memory %.0f MB (the executor: both task slots)"
              % (heap.get("JVMHeapMemory", 0) / 2**20, heap.get("OnHeapExecutionMemory", 0) / 2**20))
    if start_ms is not None and app_start is not None:
        print("  JVM + Spark start (process -> app start)    %8.2f   (wall; app start -> first job %.2f)" %
              ((app_start - start_ms) / 1e3, ((job_start or app_start) - app_start) / 1e3))
    if app_start is not None and app_end is not None:
        print("  application wall (app start -> end)         %8.2f" % ((app_end - app_start) / 1e3))
    if start_ms is not None and end_ms is not None and app_start is not None and app_end is not None:
        timeline(start_ms, end_ms, app_start, app_end, sorted(jobs), stages)


def timeline(start_ms, end_ms, app_start, app_end, jobs, stages):
    """The wall from the process's start to its exit, every second in one line (wall s, driver's view)."""
    rows = [("submit.sh, JVM start, config, Spark's start (process -> app start)", app_start - start_ms)]
    at = app_start
    for t0, t1, jid, name in jobs:
        rows.append(("driver: app start -> job %d (the session, the config's checks, the input's listing)" % jid if at == app_start
                     else "driver: between jobs -> job %d (planning, adaptive re-planning, code generation)" % jid, t0 - at))
        within = sorted((s.get("Submission Time") or t0, s.get("Completion Time") or t1, sid) for sid, s in stages.items()
                        if s.get("Submission Time") and t0 <= s["Submission Time"] <= t1)
        covered = sum(b - a for a, b, _ in within)
        rows.append(("job %d: %s (stages %s: %.2f s of stage wall)" % (jid, name[:60], ",".join(str(x[2]) for x in within) or "-",
                                                                      covered / 1e3), t1 - t0))
        at = max(at, t1)
    rows.append(("after the last job: commit, summary, run record, stop() begins (-> app end)", app_end - at))
    rows.append(("Spark's stop (shuffle files deleted), JVM exit, submit.sh's end (app end -> exit)", end_ms - app_end))
    print("  the whole wall, process start to exit (s):")
    for name, ms in rows:
        print("    %8.2f  %s" % (ms / 1e3, name))
    print("    %8.2f  total (the process's wall: %.2f)" % (sum(ms for _, ms in rows) / 1e3, (end_ms - start_ms) / 1e3))


if __name__ == "__main__":
    main()
