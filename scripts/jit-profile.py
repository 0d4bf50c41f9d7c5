#!/usr/bin/env python3
"""Where the JIT's time goes in a job: reads a JFR recording's jdk.Compilation events (and
jdk.Deoptimization) and sums the compile time by owner (tapeline's engine, its job, its generated
classes, Spark's generated code, Spark, Parquet, Hadoop, Scala, the JDK, others) and compiler.

Record with a settings file whose jdk.Compilation threshold is 0 ms (scripts/jit-profile.sh makes one):
  TAPELINE_JAVA_OPTS="-XX:StartFlightRecording=filename=run.jfr,settings=comp.jfc" ./submit.sh ...
  python3 scripts/jit-profile.py run.jfr [TOP]
"""
import collections
import json
import subprocess
import sys


def owner(cls):
    # Janino's classes of tapeline have no package (GeneratedKernel, GeneratedTrainPass, ...).
    if cls.startswith("Generated") or cls.startswith("tapeline.engine.codegen.Generated"):
        return "tapeline generated"
    if cls.startswith("tapeline.engine."):
        return "tapeline engine"
    if cls.startswith("tapeline."):
        return "tapeline job"
    if cls.startswith("org.apache.spark.sql.catalyst.expressions.GeneratedClass"):
        return "Spark generated"
    if cls.startswith("org.apache.spark."):
        return "Spark"
    if cls.startswith("org.apache.parquet.") or cls.startswith("shaded.parquet."):
        return "Parquet"
    if cls.startswith("org.apache.hadoop."):
        return "Hadoop"
    if cls.startswith("scala."):
        return "Scala"
    if cls.startswith(("java.", "javax.", "jdk.", "sun.", "com.sun.")):
        return "JDK"
    if cls.startswith("org.codehaus.janino.") or cls.startswith("org.codehaus.commons."):
        return "Janino"
    if cls.startswith(("io.netty.", "org.sparkproject.", "com.fasterxml.", "org.apache.logging.", "org.slf4j.",
                       "org.json4s.", "com.google.", "org.apache.commons.", "org.roaringbitmap.",
                       "org.xerial.", "com.github.luben.", "net.jpountz.", "org.apache.orc.",
                       "io.airlift.", "org.apache.arrow.", "org.antlr.", "com.esotericsoftware.")):
        return "other libraries"
    return "other"


def events(path, kind):
    out = subprocess.run(["jfr", "print", "--json", "--events", kind, path], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["recording"]["events"]


def seconds(d):
    # JFR's JSON durations: "PT0.012345S" (ISO 8601)
    d = d[2:-1]
    total = 0.0
    if "M" in d:
        m, d = d.split("M")
        total += 60 * float(m)
    return total + float(d or 0)


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    ev = events(path, "jdk.Compilation")
    by_owner = collections.defaultdict(lambda: [0.0, 0, 0.0, 0])  # c2 s, c2 n, c1 s, c1 n
    by_method = collections.defaultdict(lambda: [0.0, 0, 0, ""])  # s, n, largest code size, compilers
    by_class = collections.defaultdict(set)
    total = [0.0, 0.0]
    for e in ev:
        v = e["values"]
        m = v["method"]
        cls = m["type"]["name"].replace("/", ".")
        name = cls + "." + m["name"]
        comp = v["compiler"]
        s = seconds(v["duration"])
        o = owner(cls)
        k = 0 if comp == "c2" else 2
        by_owner[o][k] += s
        by_owner[o][k + 1] += 1
        total[0 if comp == "c2" else 1] += s
        bm = by_method[(o, name + ("  (OSR)" if v.get("isOsr") else ""))]
        bm[0] += s
        bm[1] += 1
        bm[2] = max(bm[2], int(v.get("codeSize") or 0))
        if comp not in bm[3]:
            bm[3] += comp + " "
        if o == "tapeline generated":
            by_class[m["type"]["name"]].add(m["type"].get("classLoader", {}) and json.dumps(m["type"]["classLoader"], sort_keys=True))
    print(f"compilations: {len(ev)}; C2 {total[0]:.2f} s, C1 {total[1]:.2f} s (JFR's durations, per compiler thread)")
    print(f"{'owner':22s} {'C2 s':>8s} {'C2 n':>6s} {'C1 s':>8s} {'C1 n':>6s} {'share':>6s}")
    grand = total[0] + total[1]
    for o, (a, b, c, d) in sorted(by_owner.items(), key=lambda kv: -(kv[1][0] + kv[1][2])):
        print(f"{o:22s} {a:8.2f} {b:6d} {c:8.2f} {d:6d} {100 * (a + c) / grand:5.1f}%")
    print(f"\ntop {top} methods by compile time:")
    print(f"{'s':>7s} {'n':>4s} {'code B':>7s}  owner / method")
    for (o, name), (s, n, size, comps) in sorted(by_method.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{s:7.3f} {n:4d} {size:7d}  {o}: {name} [{comps.strip()}]")
    print("\ntapeline generated classes (one line per class name; loaders = distinct class loaders seen):")
    for c, loaders in sorted(by_class.items()):
        print(f"  {c}: {len(loaders)} loader(s)")
    try:
        de = events(path, "jdk.Deoptimization")
    except subprocess.CalledProcessError:
        de = []
    if de:
        cnt = collections.Counter()
        for e in de:
            v = e["values"]
            m = v["method"]
            cnt[(owner(m["type"]["name"].replace("/", ".")), m["type"]["name"].replace("/", ".") + "." + m["name"], v.get("reason"))] += 1
        print(f"\ndeoptimisations: {len(de)}; by owner:")
        oc = collections.Counter()
        for (o, _, _), n in cnt.items():
            oc[o] += n
        for o, n in oc.most_common():
            print(f"  {o:22s} {n}")
        print("  most frequent (method, reason):")
        for (o, name, r), n in cnt.most_common(12):
            print(f"  {n:5d} {o}: {name} ({r})")


if __name__ == "__main__":
    main()
