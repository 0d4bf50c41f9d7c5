package tapeline.job.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tapeline.job.RunRecord;

/**
 * Run records read back and validated against the JSON Schema shipped in the job jar
 * ({@code tapeline/job/run-record.schema.json}) by an independent validator (networknt).
 */
public final class Records {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema SCHEMA = load();

    private Records() {}

    private static Schema load() {
        try (InputStream in = RunRecord.class.getResourceAsStream("/tapeline/job/run-record.schema.json")) {
            return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The record in {@code outputPath}, parsed. */
    public static JsonNode read(Path outputPath) {
        try {
            return JSON.readTree(Files.readString(outputPath.resolve(RunRecord.FILE)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The schema's complaints about {@code record}; empty when it is valid. */
    public static List<String> errors(JsonNode record) {
        return SCHEMA.validate(record).stream().map(Object::toString).toList();
    }

    /** {@code text} parsed. */
    public static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
