package tapeline.job.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A job's config file (UTF-8 properties) with {@code key=value} overrides on top: the raw keys every
 * job's parser starts from.
 *
 * <pre>{@code
 * Map<String, String> keys = ConfigFile.read(Path.of("conf/seed-sweep.properties"), List.of("steps=10"), problems);
 * }</pre>
 */
public final class ConfigFile {
    private ConfigFile() {}

    /**
     * The file's keys (sorted) with the overrides applied on top; malformed overrides are added to
     * {@code problems}. Shared by every job: {@code Main} reads {@code job} from it to pick the job.
     *
     * @throws ConfigException when the file is missing or unreadable
     */
    public static Map<String, String> read(Path file, List<String> overrides, List<String> problems)
            throws ConfigException {
        Map<String, String> raw = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("config file " + file + ": no such file");
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Properties p = new Properties();
            p.load(r);
            p.stringPropertyNames().stream().sorted().forEach(k -> raw.put(k, p.getProperty(k)));
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("config file " + file + ": cannot be read: " + e.getMessage());
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                problems.add("argument '" + o + "': expected key=value");
            } else {
                raw.put(o.substring(0, eq).trim(), o.substring(eq + 1));
            }
        }
        return raw;
    }
}
