package tapeline.job.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A grouped train's configuration ({@code job = train} with {@code group.by}): one fit per group of
 * rows. Every key of {@link TrainConfig} means what it means there, per group; the keys added are:
 *
 * <pre>{@code
 * GroupedTrainConfig g = GroupedTrainConfig.parse(Map.of("job", "train", "group.by", "store, sku", ...), problems);
 * g.groupBy();       // [store, sku]
 * g.maxRows();       // 1000000: a larger group is INVALID, never an out-of-memory
 * g.train().loss();  // as for job = train
 * }</pre>
 *
 * @param train     the keys shared with {@code job = train}, read by its parser
 * @param groupBy   {@code group.by}: the key columns, in order (one set of parameters per distinct key)
 * @param maxRows   {@code group.max.rows}: a group with more rows is {@code INVALID} (default {@link #DEFAULT_MAX_ROWS})
 * @param blockRows {@code group.block.rows}: whole groups are gathered into blocks of about this many rows,
 *                  solved together (default {@link #DEFAULT_BLOCK_ROWS})
 */
public record GroupedTrainConfig(TrainConfig train, List<String> groupBy, int maxRows, int blockRows)
        implements Serializable, CommonConfig {

    /**
     * {@code group.max.rows}'s default: a million rows. A group is held as primitive columns while it
     * is solved ({@code 8 * columns} bytes a row, 48 MB for {@code y} and five features); two such
     * groups per task slot, next to Spark's sort buffers, fit the default 1 GB heap of
     * {@code ./submit.sh}'s embedded run with room to spare.
     */
    public static final int DEFAULT_MAX_ROWS = 1_000_000;
    /** {@code group.block.rows}'s default: enough rows that a tape's per-op cost is paid rarely, small enough to stay in cache-friendly sizes. */
    public static final int DEFAULT_BLOCK_ROWS = 65_536;
    /** The keys this config adds to {@code job = train}'s. */
    public static final List<String> KEYS = List.of("group.by", "group.max.rows", "group.block.rows");
    /** Keys of {@code job = train} that have no meaning per group. */
    static final List<String> NOT_PER_GROUP = List.of("checkpoint.path", "checkpoint.every", "resume", "batch.fraction", "batch.seed");

    public GroupedTrainConfig {
        Objects.requireNonNull(train, "train");
        groupBy = List.copyOf(groupBy);
        if (groupBy.isEmpty()) {
            throw new IllegalArgumentException("group.by needs at least one column");
        }
        if (maxRows < 1 || blockRows < 1) {
            throw new IllegalArgumentException("maxRows and blockRows must be positive, got " + maxRows + " and " + blockRows);
        }
    }

    /**
     * The vector sizes a grouped train's {@code variables} value declares, by name ({@code "b, w[3]"}:
     * {@code {b=1, w=3}}), as its parser reads it; empty for a value it refuses (or null). A grouped
     * score takes its parameters' sizes from here (the run record's config) instead of reading a row.
     */
    public static Map<String, Integer> variableSizes(String variables) {
        List<String> problems = new ArrayList<>();
        Map<String, Integer> sizes = new LinkedHashMap<>();
        ConfigParts.variables(variables, problems).forEach(v -> sizes.put(v.name(), v.size()));
        return problems.isEmpty() ? sizes : Map.of();
    }

    /** Whether {@code keys} ask for a grouped train: {@code job = train} with a non-blank {@code group.by}. */
    public static boolean isGrouped(Map<String, String> keys) {
        String g = keys.get("group.by");
        return g != null && !g.isBlank();
    }

    /**
     * Parses merged key/value pairs: the group keys here, every other key by {@link TrainConfigParser};
     * all problems of both are reported at once.
     */
    public static GroupedTrainConfig parse(Map<String, String> raw, List<String> earlierProblems) throws ConfigException {
        List<String> problems = new ArrayList<>(earlierProblems);
        Map<String, String> rest = new LinkedHashMap<>(raw);
        KEYS.forEach(rest::remove);
        ConfigValues values = new ConfigValues(raw, problems);
        List<String> groupBy = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String part : raw.getOrDefault("group.by", "").split(",", -1)) {
            String name = part.trim();
            if (name.isEmpty()) {
                problems.add("group.by: expected column names separated by commas, got '" + raw.get("group.by") + "'");
                groupBy.clear();
                break;
            }
            if (!seen.add(name)) {
                problems.add("group.by: column '" + name + "' is named twice");
            }
            groupBy.add(name);
        }
        int maxRows = values.integer("group.max.rows", DEFAULT_MAX_ROWS, 1, Integer.MAX_VALUE - 8);
        int blockRows = values.integer("group.block.rows", DEFAULT_BLOCK_ROWS, 1, 1 << 24);
        for (String k : NOT_PER_GROUP) {
            if (raw.containsKey(k)) {
                problems.add(k + ": not for a grouped train (group.by): every group is solved whole, in one task, from its start");
                rest.remove(k);
            }
        }
        TrainConfig train = TrainConfig.parse(rest, problems); // its ConfigException holds the problems above too
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new GroupedTrainConfig(train, groupBy, maxRows, blockRows);
    }

    /** The run record's defaults: the train's, and the group keys'. */
    public Map<String, String> effectiveDefaults() {
        Map<String, String> d = new LinkedHashMap<>(train.effectiveDefaults());
        d.put("group.max.rows", String.valueOf(DEFAULT_MAX_ROWS));
        d.put("group.block.rows", String.valueOf(DEFAULT_BLOCK_ROWS));
        return d;
    }

    @Override
    public String appName() {
        return train.appName();
    }

    @Override
    public Map<String, String> spark() {
        return train.spark();
    }

    @Override
    public InputSpec input() {
        return train.input();
    }

    @Override
    public OutputSpec output() {
        return train.output();
    }
}
