package lem.runtime.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** How values appear in messages and in the provenance listing. */
final class ValueText {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Strings that YAML reads back as the same string without quotes. */
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_/][A-Za-z0-9_./+-]*( [A-Za-z0-9_./+-]+)*");
    private static final Pattern YAML_KEYWORD = Pattern.compile(
            "(?i)true|false|null|yes|no|on|off|y|n|~");

    private ValueText() {
    }

    /** The value as a message quotes it: {@code 'eight'}, {@code 8}, {@code a list [a, b]}. */
    static String describe(Object value) {
        if (value == null) {
            return "nothing (null)";
        }
        if (value instanceof String text) {
            return "'" + text + "'";
        }
        if (value instanceof Map) {
            return "a map";
        }
        if (value instanceof List<?> list) {
            return "a list " + yaml(list);
        }
        return String.valueOf(value);
    }

    /** The value as YAML text on one line; lists and maps in flow (JSON) style. */
    static String yaml(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String text) {
            if (PLAIN.matcher(text).matches() && !YAML_KEYWORD.matcher(text).matches()) {
                return text;
            }
            return json(text);
        }
        if (value instanceof Map<?, ?> || value instanceof List<?>) {
            return json(value);
        }
        return String.valueOf(value);
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException impossible) {
            // Trees built from parsed YAML hold only maps, lists, strings, numbers and booleans.
            throw new IllegalStateException(impossible);
        }
    }
}
