package lem.runtime.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    /** The largest config file read: the YAML parser's own limit (3 Mi code points), in bytes. */
    static final long MAX_CONFIG_BYTES = 3L * 1024 * 1024;

    private static final Pattern SNAKEYAML_MARK = Pattern.compile(" in '[^']*', line (\\d+), column");
    /** How YAML (Malformed numeric value) and JSON (Non-standard token) parsers name .nan, NaN, .inf. */
    private static final Pattern MALFORMED_NUMBER = Pattern.compile(
            "(?:Malformed numeric value|Non-standard token) '([^']*)'");

    private final String displayName;
    private final Map<String, Provenance> origins = new LinkedHashMap<>();
    private final List<ConfigProblem> problems = new ArrayList<>();

    private LocatedTreeReader(String displayName) {
        this.displayName = displayName;
    }

    /**
     * Reads a config file. JSON when its name ends in {@code .json}, YAML otherwise (YAML is a
     * superset of JSON, but the JSON parser reports JSON mistakes more precisely). Only a regular
     * UTF-8 file of at most {@link #MAX_CONFIG_BYTES} holding one document whose top level is a map
     * is read; a syntax error is reported without quoting the file's text, so that a file which is
     * not a config (one named by a hostile {@code _extends}) is never echoed.
     *
     * @param displayName how messages and provenance name the file
     */
    static Result readFile(Path file, String displayName) {
        LocatedTreeReader reader = new LocatedTreeReader(displayName);
        boolean json = file.getFileName() != null
                && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
        String text;
        try {
            text = TextFile.read(file, MAX_CONFIG_BYTES, "config file");
        } catch (TextFile.UnreadableException unreadable) {
            return failed(displayName, unreadable.line(), unreadable.getMessage());
        }
        try (JsonParser parser = (json ? JSON : YAML).createParser(text)) {
            return reader.readDocument(parser, json);
        } catch (JsonProcessingException syntax) {
            return failed(displayName, reader.lineOf(syntax), reader.syntaxMessage(syntax, json));
        } catch (IOException unreadable) {
            // the text is already in memory; Jackson declares IOException all the same
            return failed(displayName, 0, "cannot be parsed: " + firstLine(unreadable.getMessage()));
        }
    }

    /**
     * Parses the value of a {@code --set key=value} as a YAML scalar, flow list or flow map:
     * {@code 8} is an integer, {@code [a,b]} a list of two strings, an empty value is null.
     *
     * @throws JsonProcessingException when the value is not valid YAML
     * @throws RefusedValueException    when it is valid YAML that lem does not accept (an alias, 1e400)
     */
    static Object parseValue(String text) throws IOException {
        LocatedTreeReader reader = new LocatedTreeReader(Provenance.OVERRIDE);
        try (JsonParser parser = YAML.createParser(text)) {
            JsonToken first = parser.nextToken();
            Object value = first == null ? null : reader.readValue(parser, "");
            if (!reader.problems.isEmpty()) {
                throw new RefusedValueException(reader.problems.get(0).message());
            }
            return value;
        }
    }

    private static Result failed(String displayName, int line, String message) {
        return new Result(null, List.of(new ConfigProblem(displayName, "", line, message)));
    }

    private Result readDocument(JsonParser parser, boolean json) throws IOException {
        JsonToken first = parser.nextToken();
        if (first == null) {
            return failed(displayName, 0, "the file is empty (or holds only comments); write at least"
                    + " one setting, or {} for a config of defaults only");
        }
        int line = parser.currentTokenLocation().getLineNr();
        if (first != JsonToken.START_OBJECT) {
            // the value is not quoted: a file that is no config is not echoed
            return failed(displayName, line, "the top level must be a map of keys (model:, batching:,"
                    + " ...), got " + kindOf(first) + "; is this a config file?");
        }
        Map<String, Object> tree = ConfigLayer.asStringMap(readValue(parser, ""));
        JsonToken more = nextTokenOrEnd(parser, json);
        if (more != null) {
            return failed(displayName, parser.currentTokenLocation().getLineNr(), "a second YAML"
                    + " document begins here (after a --- line); a config file holds one document:"
                    + " remove the --- line or put each document in its own file");
        }
        return new Result(new ConfigLayer(tree, origins), problems);
    }

    /** The token after the document, or null; trailing content after a JSON object is an error too. */
    private static JsonToken nextTokenOrEnd(JsonParser parser, boolean json) throws IOException {
        if (json) {
            JsonToken more = parser.nextToken();
            if (more != null) {
                throw new com.fasterxml.jackson.core.JsonParseException(parser,
                        "more than one JSON value; a config file holds one object");
            }
            return null;
        }
        return parser.nextToken();
    }

    private static String kindOf(JsonToken token) {
        switch (token) {
            case START_ARRAY:
                return "a list";
            case VALUE_STRING:
                return "a text";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return "a number";
            case VALUE_TRUE:
            case VALUE_FALSE:
                return "a boolean";
            case VALUE_NULL:
                return "nothing (null)";
            default:
                return "a value that is not a map";
        }
    }

    private Object readValue(JsonParser parser, String path) throws IOException {
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT:
                return readMap(parser, path);
            case START_ARRAY:
                return readList(parser, path);
            case VALUE_STRING:
                if (parser instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
                    throw new RefusedValueException("'*" + parser.getText() + "' is a YAML alias; lem does not"
                            + " expand aliases (it would read the text '" + parser.getText() + "');"
                            + " write the value out, or share settings through _extends");
                }
                return parser.getText();
            case VALUE_NUMBER_INT:
                return parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? parser.getBigIntegerValue() : (Object) parser.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return finiteNumber(parser);
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
                ConfigLayer.forEachPath(keyPath, map.get(key), origins::remove);
            }
            origins.put(keyPath, Provenance.inFile(displayName, line));
            parser.nextToken();
            putOrRefuse(parser, map, key, keyPath);
        }
        return map;
    }

    private List<Object> readList(JsonParser parser, String path) throws IOException {
        List<Object> list = new ArrayList<>();
        // a refused item is left out (its problem makes the config invalid); later items keep
        // the index they have in the file
        for (int index = 0; parser.nextToken() != JsonToken.END_ARRAY; index++) {
            String itemPath = path + "[" + index + "]";
            int line = parser.currentTokenLocation().getLineNr();
            origins.put(itemPath, Provenance.inFile(displayName, line));
            try {
                list.add(readValue(parser, itemPath));
            } catch (RefusedValueException refused) {
                problems.add(new ConfigProblem(displayName, itemPath, line, refused.getMessage()));
                origins.remove(itemPath);
            }
        }
        return list;
    }

    /**
     * Reads a value into {@code map}, or records why it was refused (an alias, an out-of-range
     * number) and leaves the key out: the problem makes the config invalid, and the rest of the
     * file is still checked.
     */
    private void putOrRefuse(JsonParser parser, Map<String, Object> map, String key, String keyPath)
            throws IOException {
        try {
            map.put(key, readValue(parser, keyPath));
        } catch (RefusedValueException refused) {
            problems.add(new ConfigProblem(displayName, keyPath, parser.currentTokenLocation().getLineNr(),
                    refused.getMessage()));
            origins.remove(keyPath);
        }
    }

    /** A double that the text really means: not an overflow to infinity, not an underflow to 0. */
    private static Double finiteNumber(JsonParser parser) throws IOException {
        double value = parser.getDoubleValue();
        String text = parser.getText();
        if (Double.isInfinite(value)) {
            throw new RefusedValueException(text + " is out of range: numbers must lie within +-1.8e308");
        }
        if (value == 0.0 && mantissaHasDigit(text)) {
            throw new RefusedValueException(text + " is too small to be told from 0 (the smallest number is"
                    + " about 4.9e-324); write 0 if 0 is meant");
        }
        return value;
    }

    private static boolean mantissaHasDigit(String text) {
        for (char c : text.toCharArray()) {
            if (c == 'e' || c == 'E') {
                return false;
            }
            if (c >= '1' && c <= '9') {
                return true;
            }
        }
        return false;
    }

    /** A value the file holds but that lem will not read; becomes a {@link ConfigProblem}. */
    static final class RefusedValueException extends IOException {
        private static final long serialVersionUID = 1L;

        RefusedValueException(String message) {
            super(message);
        }
    }

    private int lineOf(JsonProcessingException syntax) {
        // SnakeYAML marks the context first and the problem last: the problem's line is the one
        Matcher mark = SNAKEYAML_MARK.matcher(String.valueOf(syntax.getOriginalMessage()));
        int line = 0;
        while (mark.find()) {
            line = Integer.parseInt(mark.group(1));
        }
        if (line > 0) {
            return line;
        }
        JsonLocation where = syntax.getLocation();
        return where == null ? 0 : Math.max(0, where.getLineNr());
    }

    /**
     * What a syntax error means, without the text of the file: Jackson and SnakeYAML quote the
     * offending token or line, which would echo a file that is no config at all.
     */
    private String syntaxMessage(JsonProcessingException syntax, boolean json) {
        String message = String.valueOf(syntax.getOriginalMessage());
        Matcher number = MALFORMED_NUMBER.matcher(message);
        if (number.find()) {
            String token = number.group(1);
            String lower = token.toLowerCase(Locale.ROOT);
            String path = syntax.getProcessor() instanceof JsonParser failed
                    ? pathOf(failed.getParsingContext()) : "";
            String where = path.isEmpty() ? "" : path + ": ";
            if (lower.endsWith("nan")) {
                return where + token + " is NaN (not a number), which no setting accepts; give a number";
            }
            if (lower.endsWith("inf") || lower.endsWith("infinity")) {
                return where + token + " is " + (lower.startsWith("-") ? "minus " : "") + "infinity,"
                        + " which no setting accepts; give a finite number";
            }
        }
        if (message.contains("(TAB)")) {
            return "YAML syntax error: a tab character; YAML indents with spaces only, replace the tab"
                    + " with spaces";
        }
        if (json) {
            // Jackson quotes the offending token of the file: cut before it
            String reason = firstLine(message).replaceAll(" \\(start marker at \\[Source:.*\\]\\)", "")
                    .replaceAll(" \\('.{1,2}' \\(code \\d+\\)\\)", "");
            return "JSON syntax error: " + withoutQuotedText(reason);
        }
        // SnakeYAML: context and problem, each followed by its mark (" in 'reader', line n") and
        // an excerpt of the file (indented lines), which is left out
        StringBuilder reason = new StringBuilder();
        for (String line : message.split("\\n")) {
            if (line.startsWith(" at [")) {
                break;
            }
            if (line.isBlank() || line.startsWith(" in '") || line.startsWith("  ")) {
                continue;
            }
            reason.append(reason.length() == 0 ? "" : "; ").append(line.trim());
        }
        return "YAML syntax error: " + (reason.length() == 0 ? "unreadable" : reason);
    }

    /** The key path the parser was at ({@code decoder.temperature}, {@code prompts.inline[2]}). */
    private static String pathOf(JsonStreamContext context) {
        StringBuilder path = new StringBuilder();
        for (JsonStreamContext step = context; step != null && !step.inRoot(); step = step.getParent()) {
            if (step.inArray()) {
                path.insert(0, "[" + Math.max(0, step.getCurrentIndex()) + "]");
            } else if (step.getCurrentName() != null) {
                path.insert(0, step.getCurrentName() + (path.length() == 0 || path.charAt(0) == '[' ? "" : "."));
            }
        }
        return path.toString();
    }

    /** Cuts a message before its first quoted excerpt of the file. */
    private static String withoutQuotedText(String message) {
        int quote = message.indexOf('\'');
        String cut = quote < 0 ? message : message.substring(0, quote);
        if (cut.chars().filter(c -> c == '(').count() > cut.chars().filter(c -> c == ')').count()) {
            cut = cut.substring(0, cut.lastIndexOf('('));
        }
        cut = cut.replaceAll("[\\s,;:(]+$", "");
        return cut.isEmpty() ? "unreadable" : cut;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).trim();
    }
}
