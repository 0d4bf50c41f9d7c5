package tapeline.ml;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;

/**
 * What every stage does between its Params and its job's keys, once: a value checked and set
 * ({@link #put}, {@link #putEntry}), the Params as keys ({@link #keys}), keys as Params
 * ({@link #setKeys}, by the Param's type). A stage holds one (its Spark base class, {@code Transformer},
 * {@code Estimator} or {@code Model}, leaves no room for a shared superclass).
 *
 * <pre>{@code
 * StageKeys k = new StageKeys(this, this::set, SweepConfig::parse, key -> BASE, keys);
 * k.put(cost, "cost", "x0 * w^2");     // the parser's message for a bad one
 * }</pre>
 */
final class StageKeys {
    private final Params owner;
    private final StageMetadata.ParamSetter setter;
    private final ConfigParams.Parser<?> parser;
    /** The minimal valid config a key's value is checked against (by key: some need another). */
    private final Function<String, Map<String, String>> base;
    private final List<ConfigParams.Key> keys;

    StageKeys(Params owner, StageMetadata.ParamSetter setter, ConfigParams.Parser<?> parser,
              Function<String, Map<String, String>> base, List<ConfigParams.Key> keys) {
        this.owner = owner;
        this.setter = setter;
        this.parser = parser;
        this.base = base;
        this.keys = List.copyOf(keys);
    }

    List<ConfigParams.Key> list() {
        return keys;
    }

    /** Checks {@code key = value} as the parser does, then sets it. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void put(Param p, String key, Object value) {
        ConfigParams.check(parser, base.apply(key), key, ConfigParams.text(value));
        setter.set(p, value);
    }

    /** Checks {@code prefix + name = value} against the Params set so far, then adds the entry. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void putEntry(StringArrayParam p, String prefix, String name, Object value) {
        Map<String, String> b = new LinkedHashMap<>(base.apply(prefix + name));
        b.putAll(keys());
        ConfigParams.check(parser, b, prefix + name, ConfigParams.text(value));
        setter.set((Param) p, ConfigParams.with(owner.getOrDefault(p), name, value));
    }

    /** The keys of every Param with a value (set or default). */
    Map<String, String> keys() {
        return ConfigParams.keys(owner, keys);
    }

    /** The keys of {@code configKeys} that are this stage's. */
    Map<String, String> own(Map<String, String> configKeys) {
        Map<String, String> own = new LinkedHashMap<>();
        configKeys.forEach((k, v) -> {
            if (ConfigParams.isStageKey(keys, k)) {
                own.put(k, v);
            }
        });
        return own;
    }

    /** The keys of {@code configKeys} that are the job's, not this stage's (input, output, Spark, ...). */
    Map<String, String> jobOnly(Map<String, String> configKeys) {
        Map<String, String> job = new LinkedHashMap<>();
        configKeys.forEach((k, v) -> {
            if (!ConfigParams.isStageKey(keys, k)) {
                job.put(k, v);
            }
        });
        return job;
    }

    /**
     * Sets the Params of {@code checked} keys (the parser has read them), each read as its Param's
     * type; a key that is exactly a Param's wins over an entry prefix ({@code optimizer.learning_rate}
     * over {@code optimizer.}).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void setKeys(Map<String, String> checked) {
        checked.forEach((k, raw) -> {
            String v = raw.trim();
            ConfigParams.Key exact = null;
            ConfigParams.Key prefix = null;
            for (ConfigParams.Key key : keys) {
                if (key.key().equals(k)) {
                    exact = key;
                } else if (key.key().endsWith(".") && k.startsWith(key.key()) && prefix == null) {
                    prefix = key;
                }
            }
            if (exact != null) {
                Param p = exact.param();
                Object value = p instanceof DoubleParam ? Double.parseDouble(v) : p instanceof IntParam ? Integer.parseInt(v)
                        : p instanceof LongParam ? Long.parseLong(v) : p instanceof BooleanParam ? Boolean.parseBoolean(v) : v;
                setter.set(p, value);
            } else if (prefix != null) {
                StringArrayParam p = (StringArrayParam) prefix.param();
                setter.set((Param) p, ConfigParams.with(owner.getOrDefault(p), k.substring(prefix.key().length()), v));
            }
        });
    }
}
