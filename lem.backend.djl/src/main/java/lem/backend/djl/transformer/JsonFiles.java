package lem.backend.djl.transformer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads JSON files (config.json, safetensors headers) into plain maps with integral numbers as Integer/Long. */
public final class JsonFiles {

    private JsonFiles() {
    }

    /** Reads a JSON object file. */
    public static Map<String, Object> readObject(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + " does not exist");
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + " is not UTF-8 text (a binary file?); expected a JSON object", e);
        } catch (IOException e) {
            throw new ConfigException(file + " cannot be read: " + e.getMessage(), e);
        }
        return parseObject(text, file.toString());
    }

    /** Parses a JSON object. */
    public static Map<String, Object> parseObject(String text, String source) throws ConfigException {
        try {
            JsonElement element = JsonParser.parseString(text);
            if (!element.isJsonObject()) {
                throw new ConfigException(source + " is not a JSON object");
            }
            return toMap(element.getAsJsonObject());
        } catch (JsonParseException | IllegalStateException e) {
            throw new ConfigException(source + " is not valid JSON: " + reason(e), e);
        }
    }

    /**
     * Gson's reason without its exception class name (a wrapped exception's message starts with
     * it) or the troubleshooting link it appends: "Unterminated object at line 3 column 5 path $.a".
     */
    static String reason(Exception e) {
        Throwable innermost = e;
        while (innermost.getCause() != null && innermost.getCause() != innermost) {
            innermost = innermost.getCause();
        }
        String message = innermost.getMessage() == null ? e.getMessage() : innermost.getMessage();
        if (message == null) {
            return "unreadable";
        }
        message = message.replaceFirst("^([a-z]\\w*\\.)+[A-Z]\\w*(Exception|Error): ", "");
        int link = message.indexOf("\nSee https://");
        if (link < 0) {
            link = message.indexOf("See https://");
        }
        return (link < 0 ? message : message.substring(0, link)).strip();
    }

    private static Map<String, Object> toMap(JsonObject object) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : object.entrySet()) {
            map.put(e.getKey(), toValue(e.getValue()));
        }
        return map;
    }

    private static Object toValue(JsonElement element) {
        if (element == null || element.isJsonNull()) {
            return null;
        }
        if (element.isJsonObject()) {
            return toMap(element.getAsJsonObject());
        }
        if (element.isJsonArray()) {
            JsonArray array = element.getAsJsonArray();
            List<Object> list = new ArrayList<>(array.size());
            for (JsonElement item : array) {
                list.add(toValue(item));
            }
            return list;
        }
        JsonPrimitive p = element.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isNumber()) {
            BigDecimal d = p.getAsBigDecimal();
            if (d.scale() <= 0 || d.stripTrailingZeros().scale() <= 0) {
                // integral values stay integral (vocab_size 50257, not 50257.0)
                try {
                    long v = d.longValueExact();
                    return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE ? (Object) (int) v : (Object) v;
                } catch (ArithmeticException tooLarge) {
                    return d.doubleValue();
                }
            }
            return d.doubleValue();
        }
        return p.getAsString();
    }
}
