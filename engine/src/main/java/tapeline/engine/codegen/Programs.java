package tapeline.engine.codegen;

import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;

import tapeline.engine.optim.UpdateSource;
import tapeline.engine.tape.Tape;

/**
 * The compiled program of a recorded tape, remembered per tape object: a solver reuses its
 * recorded tape from block to block, and generating the source again for every block (to look it
 * up in {@link KernelCache}) would cost as much as a short block's steps. The tape's program never
 * changes once recorded; lane counts and values do not enter the source.
 */
final class Programs {
    /** A tape's generated source and compiled class, or the reason it runs interpreted. */
    record Program(int cost, int[] slots, UpdateSource update, String source, GeneratedStep step, String failure) {
        boolean isFor(int c, int[] s, UpdateSource u) {
            return cost == c && Arrays.equals(slots, s) && java.util.Objects.equals(update, u);
        }
    }

    private static final Map<Tape, Program> BY_TAPE = new WeakHashMap<>();

    private Programs() {
    }

    static Program of(Tape tape, int cost, int[] slots, UpdateSource update) {
        synchronized (BY_TAPE) {
            Program p = BY_TAPE.get(tape);
            if (p != null && p.isFor(cost, slots, update)) return p;
        }
        Program p;
        try {
            String source = KernelSource.generate(tape, cost, slots, update);
            KernelCache.Entry e = KernelCache.get(source);
            p = new Program(cost, slots.clone(), update, source, e.step(), e.failure());
        } catch (KernelSource.Unsupported e) {
            p = new Program(cost, slots.clone(), update, null, null, e.getMessage());
        }
        synchronized (BY_TAPE) {
            BY_TAPE.put(tape, p);
        }
        return p;
    }
}
