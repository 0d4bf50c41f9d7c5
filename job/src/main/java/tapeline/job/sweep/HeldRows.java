package tapeline.job.sweep;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.unsafe.Platform;

/**
 * The input rows of one block, kept until their output rows are emitted. Spark hands out one row object
 * again and again, so each row must be copied; {@code UnsafeRow.copy()} would allocate a row and a
 * byte array per input row, so the bytes of Spark's binary rows go into one reused byte array instead,
 * and a reused {@code UnsafeRow} per slot points into it. Other kinds of rows are copied.
 *
 * <pre>{@code
 * HeldRows held = new HeldRows(1024);
 * InternalRow kept = held.hold(0, scanRow);   // valid until clear()
 * held.clear();                               // after the block's rows were emitted
 * }</pre>
 */
final class HeldRows {
    private final UnsafeRow[] slots;
    private byte[] arena = new byte[1 << 16];
    private int used;

    HeldRows(int capacity) {
        slots = new UnsafeRow[capacity];
    }

    /** A copy of {@code row} in slot {@code i} of the block, valid until {@link #clear()}. */
    InternalRow hold(int i, InternalRow row) {
        if (!(row instanceof UnsafeRow u)) {
            return row.copy();
        }
        int size = u.getSizeInBytes();
        if (arena.length - used < size) {
            // Rows held so far keep pointing into the old array; the rest of the block goes into a new one.
            arena = new byte[Math.max(arena.length * 2, size)];
            used = 0;
        }
        Platform.copyMemory(u.getBaseObject(), u.getBaseOffset(), arena, Platform.BYTE_ARRAY_OFFSET + used, size);
        UnsafeRow slot = slots[i];
        if (slot == null || slot.numFields() != u.numFields()) {
            slot = slots[i] = new UnsafeRow(u.numFields());
        }
        slot.pointTo(arena, Platform.BYTE_ARRAY_OFFSET + used, size);
        used += size;
        return slot;
    }

    /** Forgets the block's rows: their bytes will be overwritten by the next block's. */
    void clear() {
        used = 0;
    }
}
