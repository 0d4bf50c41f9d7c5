package tapeline.ml;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import tapeline.job.config.ConfigException;

/**
 * Between a stage's Spark ML {@link Param}s and a job's config keys: each Param is named after its
 * key ({@code toleranceGrad} is {@code tolerance.grad}), and the stage's Params become a key map that
 * the job's own parser validates. So a Param is checked exactly as the config key is, with the same
 * message, and the library and the job cannot drift.
 */
final class ConfigParams {

    /** A Param and the config key it stands for. */
    record Key(Param<?> param, String key) {}

    /** A job's parser: a key map to its validated config. */
    @FunctionalInterface
    interface Parser<C> {
        C parse(Map<String, String> keys) throws ConfigException;
    }

    /**
     * Keys that the parsers require but a stage does not use (the frame is given, nothing is written):
     * recognisable in the run record and in any message.
     */
    static final Map<String, String> FRAME = Map.of("input.path", "<dataset>", "input.format", "parquet",
            "output.path", "<dataset>");

    private ConfigParams() {}

    /** Whether {@code key} is one of a stage's Params' config keys (a key ending in "." stands for a prefix). */
    static boolean isStageKey(List<Key> keys, String key) {
        for (Key k : keys) {
            if (k.key().endsWith(".") ? key.startsWith(k.key()) : key.equals(k.key())) {
                return true;
            }
        }
        return false;
    }

    /** A fresh uid, as Spark's {@code Identifiable.randomUID} makes them ({@code sweep_1c2d3e4f5a6b}). */
    static String uid(String prefix) {
        String u = UUID.randomUUID().toString();
        return prefix + "_" + u.substring(u.length() - 12);
    }

    /**
     * A value as config text; a double as its shortest text that reads back to the same bits, a whole
     * one without ".0" (a whole-number argument such as {@code optimizer.memory} reads {@code 7}).
     */
    static String text(Object value) {
        if (value instanceof Double d) {
            return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        }
        if (value instanceof Float f) {
            return text(f.doubleValue());
        }
        return String.valueOf(value);
    }

    /** The key map of every Param that has a value (set or default), in {@code keys}' order. */
    static Map<String, String> keys(Params owner, List<Key> keys) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Key k : keys) {
            if (owner.isDefined(k.param())) {
                Object v = owner.getOrDefault(k.param());
                if (v instanceof String[] list) {
                    for (String entry : list) {
                        int eq = entry.indexOf('=');
                        m.put(k.key() + entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
                    }
                } else {
                    m.put(k.key(), text(v));
                }
            }
        }
        return m;
    }

    /**
     * Parses {@code keys} (with {@link #FRAME}) with the job's parser; a problem is an
     * {@link IllegalArgumentException} with the parser's message, as {@code transformSchema} throws them.
     */
    static <C> C parse(Parser<C> parser, Map<String, String> keys) {
        Map<String, String> all = new LinkedHashMap<>(FRAME);
        all.putAll(keys);
        try {
            return parser.parse(all);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Parses a job's whole key map (its input and output keys among them, no {@link #FRAME}) with the job's
     * parser; a problem is an {@link IllegalArgumentException} with the parser's message.
     */
    static <C> C parseJob(Parser<C> parser, Map<String, String> keys) {
        try {
            return parser.parse(new LinkedHashMap<>(keys));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Checks one key's value at {@code set}, as the parser checks it: {@code base} (a minimal valid
     * config) with {@code key = value}; only the problems about {@code key} count (the others are about
     * keys still to be set).
     *
     * @throws IllegalArgumentException with the parser's message for {@code key}
     */
    static void check(Parser<?> parser, Map<String, String> base, String key, String value) {
        Map<String, String> all = new LinkedHashMap<>(FRAME);
        all.putAll(base);
        all.put(key, value);
        try {
            parser.parse(all);
        } catch (ConfigException e) {
            List<String> ours = new ArrayList<>();
            for (String p : e.problems()) {
                // "variables: 'b' does not appear in loss 'w'" is about the other key, still to be set: transformSchema says it.
                boolean mine = p.startsWith(key + ":") || p.startsWith(key + ",") || p.startsWith(key + " ");
                if (mine && !p.contains("does not appear in")) {
                    ours.add(p);
                }
            }
            if (!ours.isEmpty()) {
                throw new IllegalArgumentException(new ConfigException(ours).getMessage());
            }
        }
    }

    /**
     * Spark's {@code explainParam} line ({@code name: doc (default: ..., current: ...)}) for a list of
     * {@code name=value} entries, readable: {@code current: learning_rate=0.1, beta_1=0.9} where Spark
     * would print the array's identity ({@code [Ljava.lang.String;@1b2c3d}); {@code null} for any other Param.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static String explainEntries(Params owner, Param p) {
        if (!(p instanceof org.apache.spark.ml.param.StringArrayParam)) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        if (owner.hasDefault(p)) {
            parts.add("default: " + entries((String[]) owner.getDefault(p).get()));
        }
        if (owner.isSet(p)) {
            parts.add("current: " + entries((String[]) owner.get(p).get()));
        }
        return p.name() + ": " + p.doc() + " " + (parts.isEmpty() ? "(undefined)" : "(" + String.join(", ", parts) + ")");
    }

    private static String entries(String[] list) {
        return list.length == 0 ? "none" : String.join(", ", list);
    }

    /** {@code name=value} entries with {@code name}'s entry replaced or added. */
    static String[] with(String[] entries, String name, Object value) {
        List<String> out = new ArrayList<>();
        for (String e : entries) {
            if (!e.substring(0, e.indexOf('=')).trim().equals(name)) {
                out.add(e);
            }
        }
        out.add(name + "=" + text(value));
        return out.toArray(String[]::new);
    }
}
