package lem.runtime.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads one YAML or JSON document into a {@link ConfigLayer}, walking Jackson's tokens so that the
 * file and line of every key (and of every list item) is known. Jackson's tree model would lose
 * those locations.
 */
final class LocatedTreeReader {

    private static final YAMLFactory YAML = YAMLFactory.builder().build();
    private static final JsonFactory JSON = JsonFactory.builder().build();

    /** The layer read from one file, and what was wrong with the file itself. */
    record Result(ConfigLayer layer, List<ConfigProblem> problems) {
        boolean readable() {
            return layer != null;
        }
    }

    private final String displayName;
    private final Map<String, Provenance> origins = new LinkedHashMap<>();
    private final List<ConfigProblem> problems = new ArrayList<>();

    private LocatedTreeReader(String displayName) {
        this.displayName = displayName;
    }

    /**
     * Reads a config file. JSON when its name ends in {@code .json}, YAML otherwise (YAML is a
     * superset of JSON, but the JSON parser reports JSON mistakes more precisely).
     *
     * @param displayName how messages and provenance name the file
     */
    static Result readFile(Path file, String displayName) {
        LocatedTreeReader reader = new LocatedTreeReader(displayName);
        boolean json = file.getFileName() != null
                && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
        try (Reader text = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                JsonParser parser = (json ? JSON : YAML).createParser(text)) {
            return reader.readDocument(parser);
        } catch (NoSuchFileException missing) {
            return failed(displayName, 0, "file not found");
        } catch (MalformedInputException notUtf8) {
            return failed(displayName, 0, "not a UTF-8 text file");
        } catch (JsonProcessingException syntax) {
            JsonLocation where = syntax.getLocation();
            String kind = json ? "JSON" : "YAML";
            return failed(displayName, where == null ? 0 : Math.max(0, where.getLineNr()),
                    kind + " syntax error: " + firstLine(syntax.getOriginalMessage()));
        } catch (IOException unreadable) {
            String reason = Files.isDirectory(file) ? "is a folder, not a file"
                    : "cannot be read: " + unreadable.getMessage();
            return failed(displayName, 0, reason);
        }
    }

    /**
     * Parses the value of a {@code --set key=value} as a YAML scalar, flow list or flow map:
     * {@code 8} is an integer, {@code [a,b]} a list of two strings, an empty value is null.
     *
     * @throws JsonProcessingException when the value is not valid YAML
     */
    static Object parseValue(String text) throws IOException {
        LocatedTreeReader reader = new LocatedTreeReader(Provenance.OVERRIDE);
        try (JsonParser parser = YAML.createParser(text)) {
            JsonToken first = parser.nextToken();
            return first == null ? null : reader.readValue(parser, "");
        }
    }

    private static Result failed(String displayName, int line, String message) {
        return new Result(null, List.of(new ConfigProblem(displayName, "", line, message)));
    }

    private Result readDocument(JsonParser parser) throws IOException {
        JsonToken first = parser.nextToken();
        if (first == null) {
            // An empty file is an empty config: everything comes from its parents or the defaults.
            return new Result(new ConfigLayer(), problems);
        }
        int line = parser.currentTokenLocation().getLineNr();
        if (first != JsonToken.START_OBJECT) {
            Object value = readValue(parser, "");
            return new Result(null, List.of(new ConfigProblem(displayName, "", line,
                    "the top level must be a map of keys (model:, batching:, ...), got "
                            + ValueText.describe(value))));
        }
        Map<String, Object> tree = ConfigLayer.asStringMap(readValue(parser, ""));
        return new Result(new ConfigLayer(tree, origins), problems);
    }

    private Object readValue(JsonParser parser, String path) throws IOException {
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT:
                return readMap(parser, path);
            case START_ARRAY:
                return readList(parser, path);
            case VALUE_STRING:
                return parser.getText();
            case VALUE_NUMBER_INT:
                return parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? parser.getBigIntegerValue() : (Object) parser.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return parser.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                // YAML binary (!!binary) and other embedded values: keep their text.
                return parser.getText();
        }
    }

    private Map<String, Object> readMap(JsonParser parser, String path) throws IOException {
        Map<String, Object> map = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            int line = parser.currentTokenLocation().getLineNr();
            String keyPath = ConfigLayer.join(path, key);
            if (map.containsKey(key)) {
                Provenance first = origins.get(keyPath);
                problems.add(new ConfigProblem(displayName, keyPath, line,
                        "duplicate key (first written at line " + (first == null ? "?" : first.line())
                                + "); the later value is used"));
                origins.keySet().removeIf(other -> ConfigLayer.isAtOrUnder(other, keyPath));
            }
            origins.put(keyPath, Provenance.inFile(displayName, line));
            parser.nextToken();
            map.put(key, readValue(parser, keyPath));
        }
        return map;
    }

    private List<Object> readList(JsonParser parser, String path) throws IOException {
        List<Object> list = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            String itemPath = path + "[" + list.size() + "]";
            origins.put(itemPath, Provenance.inFile(displayName,
                    parser.currentTokenLocation().getLineNr()));
            list.add(readValue(parser, itemPath));
        }
        return list;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).trim();
    }
}
