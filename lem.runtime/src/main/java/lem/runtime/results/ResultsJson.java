package lem.runtime.results;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The JSON form of every results file: snake_case keys, indented, written atomically. */
public final class ResultsJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ResultsJson() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static byte[] toBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + value.getClass().getSimpleName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    public static void writeAtomically(Path file, Object value) throws IOException {
        AtomicFiles.write(file, toBytes(value));
    }

    /**
     * Reads one results file.
     *
     * @throws ResultsFileException naming the file and what is wrong with it
     */
    public static <T> T read(Path file, Class<T> type) {
        try {
            return MAPPER.readValue(Files.readAllBytes(file), type);
        } catch (JsonProcessingException e) {
            throw new ResultsFileException(file, "is not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ResultsFileException(file, "cannot be read: " + e.getMessage(), e);
        }
    }
}
