package tapeline.job.train.grouped;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.util.LongAccumulator;

/**
 * A map task's chunks for a key of one number (a long, int or double column: its bits are the key), by a radix
 * partition of each flush's rows on the key's hash instead of a table probed per row ({@link GroupPacker}'s
 * {@code Chunks}). The chunks carry the same rows per group, in the same order within a flush; only the order in
 * which the groups leave differs, and the reduce side's canonical order makes a fit independent of that.
 *
 * <pre>{@code
 * Iterator<InternalRow> chunks = new RadixChunks(feed, keys, width, TaskBudget.take(GroupPacker.BUDGET), GroupPacker.CHUNK, nanos);
 * }</pre>
 *
 * <p>Why: with 100,000 groups a task's table of groups is far larger than the cache and rows come in random order,
 * so the probe was a cache miss a row, and gathering each group's rows from the 64 MB buffer at the flush a second
 * one (together half the map side's CPU; docs/grouped-train.md). Here a row goes, as it is read, to one of
 * {@link #BUCKETS} buckets by its hash's top bits: appended, with its hash and key bits, to its bucket's current
 * page (a few hundred write streams, each sequential, their ends in the cache). At a flush each bucket (about a
 * 256th of the buffer, 256 KB) is grouped in a small table and its chunks gathered while it is in the cache.
 *
 * <p>Memory is bounded as before: pages of {@code pageRows} rows are taken from one pool of at most {@code budget}
 * doubles; when a row's bucket needs a page and none is left, every bucket is emitted and the pool starts again.
 * A row's record is its hash, its key's bits (raw, as longs) and its values. A null key is a bucket of its own
 * (its bits are no key). Bad rows are held aside, by bucket, with their reasons, and counted against the budget.
 */
final class RadixChunks implements Iterator<InternalRow> {
    /**
     * Hash buckets at most (and one for the null key). A buffer gets one per {@link #BUCKET_ROWS} rows it may hold, so
     * that a bucket of a full buffer stays about 256 KB, in L2: 256 buckets at {@link GroupPacker#FLOOR}, 1,024 at
     * {@link GroupPacker#BUDGET} (about 1,000 write streams, their ends still in the cache).
     */
    static final int BUCKETS = 1024;
    /** Rows a bucket of a full buffer holds at least (until {@link #BUCKETS}). */
    static final int BUCKET_ROWS = 4096;
    /** Rows of a page at most: the pages' partly filled ends are then a few percent of the buffer. */
    static final int PAGE_ROWS = 256;
    private static final Object[] NULL_KEY = {null};
    private static final long BASE = Platform.DOUBLE_ARRAY_OFFSET;

    private final GroupPacker.Feed in;
    private final GroupPacker.ChunkWriter writer;
    private final GroupPacker.GroupKeys keys;
    private final int width;
    private final int rec;           // a row's record in doubles: hash, key bits, values
    private final int chunkRows;
    private final LongAccumulator nanos;
    private final int buckets;       // hash buckets; bucket number `buckets` holds the null key's rows
    private final int shift;         // a hash's bucket: (hash >>> 1) >>> shift
    private final int pageRows;
    private final int page;          // doubles a page
    private final long cap;          // doubles held at most (pages and bad rows)

    private double[] pool;
    private int pages;               // pages taken from the pool
    private final int[][] pagesOf;   // each bucket's pages, in order
    private final int[] pageCount;
    private final int[] fill;        // rows in each bucket's last page (pageRows: it needs a new one)

    private long[] badHash = new long[16];
    private long[] badBits = new long[16];
    private String[] badReason = new String[16];
    private int[] badNext = new int[16];
    private final int[] badHead;     // each bucket's bad rows, in arrival order (a linked list)
    private final int[] badTail;
    private int bads;

    private boolean pending;         // the feed's current row is not held yet (it did not fit)
    private boolean ended;
    private boolean emitting;
    private int bucket;              // the bucket being emitted

    // The emitted bucket's groups, in order of first row: a small table (hash -> group + 1), then per group.
    private int[] slotGroup = new int[1 << 10];
    private int groups;
    private int[] slotOf = new int[1 << 9];
    private long[] groupHash = new long[1 << 9];
    private long[] groupBits = new long[1 << 9];
    private int[] groupRows = new int[1 << 9];
    private long[] groupBad = new long[1 << 9];
    private String[] groupFirstBad = new String[1 << 9];
    private int[] groupFrom = new int[1 << 9];   // the group's first row in order
    private int[] groupFill = new int[1 << 9];   // the counting sort's cursor per group
    private int[] rowGroup = new int[0];         // the bucket's rows' groups
    private int[] order = new int[0];            // the bucket's rows' value offsets in the pool, by group
    private int cursor;                          // the group being emitted
    private int sent;                            // its rows emitted so far
    private InternalRow next;

    RadixChunks(GroupPacker.Feed in, GroupPacker.GroupKeys keys, int width, int budget, int chunkRows, LongAccumulator nanos) {
        this(in, keys, width, budget, chunkRows, nanos, BUCKETS, PAGE_ROWS);
    }

    /** With other most buckets and rows a page (powers of two; a bench compares them). */
    RadixChunks(GroupPacker.Feed in, GroupPacker.GroupKeys keys, int width, int budget, int chunkRows, LongAccumulator nanos,
                int maxBuckets, int maxPageRows) {
        if (!keys.oneNumber()) throw new IllegalArgumentException("a radix partition needs a key of one number, got " + keys.size() + " columns");
        this.in = in;
        this.keys = keys;
        this.writer = new GroupPacker.ChunkWriter(keys);
        this.width = width;
        this.rec = width + 2;
        this.chunkRows = chunkRows;
        this.nanos = nanos;
        long rowsBudget = Math.max(1, budget / rec);
        this.buckets = (int) Math.min(maxBuckets, Long.highestOneBit(Math.max(1, rowsBudget / BUCKET_ROWS)));
        this.shift = 63 - Integer.numberOfTrailingZeros(buckets);
        this.pageRows = (int) Math.max(1, Math.min(maxPageRows, rowsBudget / (8L * (buckets + 1))));
        this.page = pageRows * rec;
        this.cap = Math.max(budget, page);
        int initialPages = (int) Math.min(cap / page, Math.max(buckets + 1L, (1 << 16) / page));
        this.pool = new double[Math.max(1, initialPages) * page];
        this.pagesOf = new int[buckets + 1][];
        for (int b = 0; b <= buckets; b++) pagesOf[b] = new int[4];
        this.pageCount = new int[buckets + 1];
        this.fill = new int[buckets + 1];
        this.badHead = new int[buckets + 1];
        this.badTail = new int[buckets + 1];
        Arrays.fill(fill, pageRows);
        Arrays.fill(badHead, -1);
        Arrays.fill(badTail, -1);
    }

    /** The buckets and rows a page (tests: the edges of the layout). */
    int buckets() {
        return buckets;
    }

    int pageRows() {
        return pageRows;
    }

    /** The pool's size in doubles (at most the budget, or one page where a page is larger). */
    int poolDoubles() {
        return pool.length;
    }

    @Override
    public boolean hasNext() {
        if (next != null) return true;
        long t0 = System.nanoTime();
        try {
            while (next == null) {
                if (emitting) {
                    next = chunk();
                    if (next == null && !nextBucket()) clear();
                } else {
                    if (!pending) {
                        if (ended || !in.advance()) {
                            ended = true;
                            return false;
                        }
                        pending = true;
                    }
                    hold();
                    emitting = true;
                    bucket = -1;
                    if (!nextBucket()) clear();
                }
            }
            return true;
        } finally {
            nanos.add(System.nanoTime() - t0);
        }
    }

    @Override
    public InternalRow next() {
        if (!hasNext()) throw new NoSuchElementException();
        InternalRow r = next;
        next = null;
        return r;
    }

    /** Holds the feed's rows, from its current one, until one does not fit (it stays the current row) or the feed ends. */
    private void hold() {
        while (true) {
            long h = in.hash();
            boolean isNull = in.keyNull();
            long bits = in.keyBits(keys);
            int b = isNull ? buckets : (int) ((h >>> 1) >>> shift);
            boolean needsPage = fill[b] == pageRows;
            boolean held = pages > 0 || bads > 0;
            if (held && (long) pages * page + (long) bads * rec + (needsPage ? page : 0) > cap) return;
            if (needsPage) newPage(b);
            int at = pagesOf[b][pageCount[b] - 1] * page + fill[b] * rec;
            String bad = in.values(pool, at + 2);
            if (bad == null) {
                Platform.putLong(pool, BASE + 8L * at, h);
                Platform.putLong(pool, BASE + 8L * at + 8, bits);
                fill[b]++;
            } else {
                addBad(b, h, bits, bad);
            }
            pending = false;
            if (!in.advance()) {
                ended = true;
                return;
            }
            pending = true;
        }
    }

    private void newPage(int b) {
        if ((long) (pages + 1) * page > pool.length) {
            long grown = Math.min(cap / page * page, Math.max((long) (pages + 1) * page, 2L * pool.length));
            pool = Arrays.copyOf(pool, (int) Math.max(grown, (long) (pages + 1) * page));
        }
        if (pageCount[b] == pagesOf[b].length) pagesOf[b] = Arrays.copyOf(pagesOf[b], 2 * pageCount[b]);
        pagesOf[b][pageCount[b]++] = pages++;
        fill[b] = 0;
    }

    private void addBad(int b, long h, long bits, String reason) {
        if (bads == badHash.length) {
            badHash = Arrays.copyOf(badHash, 2 * bads);
            badBits = Arrays.copyOf(badBits, 2 * bads);
            badReason = Arrays.copyOf(badReason, 2 * bads);
            badNext = Arrays.copyOf(badNext, 2 * bads);
        }
        badHash[bads] = h;
        badBits[bads] = bits;
        badReason[bads] = reason;
        badNext[bads] = -1;
        if (badTail[b] < 0) badHead[b] = bads;
        else badNext[badTail[b]] = bads;
        badTail[b] = bads++;
    }

    /** Moves to the next bucket holding rows and groups it; false when every bucket is out. */
    private boolean nextBucket() {
        while (++bucket <= buckets) {
            if (pageCount[bucket] > 0 || badHead[bucket] >= 0) {
                group(bucket);
                return true;
            }
        }
        return false;
    }

    /** Bucket {@code b}'s groups, in order of first row, and its rows' offsets ordered by group (a counting sort). */
    private void group(int b) {
        for (int g = 0; g < groups; g++) slotGroup[slotOf[g]] = 0;
        groups = 0;
        int n = pageCount[b] == 0 ? 0 : (pageCount[b] - 1) * pageRows + fill[b];
        if (rowGroup.length < n) {
            rowGroup = new int[Math.max(n, 2 * rowGroup.length)];
            order = new int[rowGroup.length];
        }
        int[] its = pagesOf[b];
        int i = 0;
        for (int q = 0; q < pageCount[b]; q++) {
            int at = its[q] * page;
            int m = q == pageCount[b] - 1 ? fill[b] : pageRows;
            for (int r = 0; r < m; r++, at += rec) {
                int g = find(Platform.getLong(pool, BASE + 8L * at), Platform.getLong(pool, BASE + 8L * at + 8));
                groupRows[g]++;
                rowGroup[i++] = g;
            }
        }
        for (int x = badHead[b]; x >= 0; x = badNext[x]) {
            int g = find(badHash[x], badBits[x]);
            if (groupBad[g]++ == 0) groupFirstBad[g] = badReason[x];
        }
        int from = 0;
        for (int g = 0; g < groups; g++) {
            groupFrom[g] = from;
            from += groupRows[g];
        }
        if (groupFill.length < groups) groupFill = new int[groupFrom.length];
        int[] fillAt = groupFill;
        System.arraycopy(groupFrom, 0, fillAt, 0, groups);
        i = 0;
        for (int q = 0; q < pageCount[b]; q++) {
            int at = its[q] * page + 2;
            int m = q == pageCount[b] - 1 ? fill[b] : pageRows;
            for (int r = 0; r < m; r++, at += rec) order[fillAt[rowGroup[i++]]++] = at;
        }
        cursor = 0;
        sent = 0;
    }

    /** The group of (hash, key bits) in the emitted bucket: a new one if none. */
    private int find(long h, long bits) {
        int mask = slotGroup.length - 1;
        int i = (int) (h ^ (h >>> 29)) & mask;
        int g;
        while ((g = slotGroup[i]) != 0) {
            if (groupHash[g - 1] == h && groupBits[g - 1] == bits) return g - 1;
            i = (i + 1) & mask;
        }
        g = groups++;
        if (g == groupHash.length) {
            int size = 2 * g;
            slotOf = Arrays.copyOf(slotOf, size);
            groupHash = Arrays.copyOf(groupHash, size);
            groupBits = Arrays.copyOf(groupBits, size);
            groupRows = Arrays.copyOf(groupRows, size);
            groupBad = Arrays.copyOf(groupBad, size);
            groupFirstBad = Arrays.copyOf(groupFirstBad, size);
            groupFrom = Arrays.copyOf(groupFrom, size);
        }
        groupHash[g] = h;
        groupBits[g] = bits;
        groupRows[g] = 0;
        groupBad[g] = 0;
        groupFirstBad[g] = null;
        slotGroup[i] = g + 1;
        slotOf[g] = i;
        if (2 * groups > slotGroup.length) {
            slotGroup = new int[2 * slotGroup.length];
            mask = slotGroup.length - 1;
            for (int u = 0; u < groups; u++) {
                long hu = groupHash[u];
                int j = (int) (hu ^ (hu >>> 29)) & mask;
                while (slotGroup[j] != 0) j = (j + 1) & mask;
                slotGroup[j] = u + 1;
                slotOf[u] = j;
            }
        }
        return g;
    }

    /** The next chunk of the emitted bucket: up to {@code chunkRows} rows of the current group (its bad rows with the first); null at the bucket's end. */
    private InternalRow chunk() {
        if (cursor == groups) return null;
        int g = cursor;
        int held = groupRows[g];
        int n = Math.min(held - sent, chunkRows);
        long bad = sent == 0 ? groupBad[g] : 0L;
        String firstBad = sent == 0 ? groupFirstBad[g] : null;
        InternalRow r = writer.write(bucket == buckets ? NULL_KEY : null, groupBits[g], groupHash[g], bad, firstBad, pool, order,
                groupFrom[g] + sent, n, width, 1);
        sent += n;
        if (sent == held) {
            cursor++;
            sent = 0;
        }
        return r;
    }

    /** Every bucket is out: the pool and the bad rows start again. */
    private void clear() {
        Arrays.fill(pageCount, 0);
        Arrays.fill(fill, pageRows);
        Arrays.fill(badHead, -1);
        Arrays.fill(badTail, -1);
        Arrays.fill(badReason, 0, bads, null);
        Arrays.fill(groupFirstBad, 0, groups, null);
        pages = 0;
        bads = 0;
        emitting = false;
    }
}
