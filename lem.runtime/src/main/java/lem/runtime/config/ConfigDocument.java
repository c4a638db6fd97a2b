package lem.runtime.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML or JSON document read with the file and line of every key and list item, for files that
 * hold configs without being one (a campaign file): read by the same reader, with the same
 * refusals, as an experiment config. A map inside it can be taken out as an inline config
 * ({@link #section}) and loaded by {@link ConfigLoader#load(ConfigDocument, List, List)}.
 */
public final class ConfigDocument {

    /**
     * One value laid over a config, above its files and below {@code --set}: a campaign's varied
     * value.
     *
     * @param keyPath dotted key path, e.g. {@code batching.batch_size}
     * @param value   a value as the reader gives it (Long, Double, String, Boolean, List, Map)
     * @param origin  where it was written, for provenance and problems
     */
    public record Setting(String keyPath, Object value, Provenance origin) {
    }

    private final Path file;
    private final ConfigLayer layer;
    private final List<ConfigProblem> problems;

    private ConfigDocument(Path file, ConfigLayer layer, List<ConfigProblem> problems) {
        this.file = file;
        this.layer = layer;
        this.problems = List.copyOf(problems);
    }

    /** Reads a file; when it cannot be read, {@link #readable()} is false and the problems say why. */
    public static ConfigDocument read(Path file) {
        LocatedTreeReader.Result read = LocatedTreeReader.readFile(file, file.toString());
        return new ConfigDocument(file, read.layer(), read.problems());
    }

    /**
     * Parses a command-line value as YAML, as {@code --set} does: {@code 8} is a number, {@code [a,b]} a list.
     *
     * @throws IllegalArgumentException saying why the text is refused
     */
    public static Object parseValue(String text) {
        try {
            return LocatedTreeReader.parseValue(text);
        } catch (LocatedTreeReader.RefusedValueException refused) {
            throw new IllegalArgumentException(refused.getMessage(), refused);
        } catch (IOException notYaml) {
            throw new IllegalArgumentException("'" + text + "' is not valid YAML; quote it", notYaml);
        }
    }

    /** A value as problems quote it: {@code 'eight'}, {@code 8}, {@code a list [a, b]}, {@code a map}. */
    public static String describe(Object value) {
        return ValueText.describe(value);
    }

    public Path file() {
        return file;
    }

    public boolean readable() {
        return layer != null;
    }

    /** What was wrong with the file itself (syntax, size, duplicate keys, refused values). */
    public List<ConfigProblem> problems() {
        return problems;
    }

    /** The top-level map; unmodifiable; empty when the file could not be read. */
    public Map<String, Object> tree() {
        return layer == null ? Map.of() : Collections.unmodifiableMap(layer.tree());
    }

    /**
     * Where a key path was written: {@code grid.precision}, {@code grid.precision[1]}; null when it
     * is not in the document.
     */
    public Provenance originOf(String keyPath) {
        return layer == null ? null : layer.originOf(keyPath);
    }

    /**
     * The map found at {@code keyPath} as a document of its own, its keys keeping their lines in
     * this file: an inline config. Null when the value there is not a map.
     */
    public ConfigDocument section(String keyPath, Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            return null;
        }
        Map<String, Provenance> origins = new LinkedHashMap<>();
        String prefix = keyPath + ".";
        layer.origins().forEach((path, origin) -> {
            if (path.startsWith(prefix)) {
                origins.put(path.substring(prefix.length()), origin);
            }
        });
        return new ConfigDocument(file, new ConfigLayer(ConfigLayer.deepCopyMap(ConfigLayer.asStringMap(map)), origins),
                List.of());
    }

    /** The document's own layer, for {@link ConfigLoader}; a copy, so loading never changes it. */
    ConfigLayer layerCopy() {
        return new ConfigLayer(ConfigLayer.deepCopyMap(layer.tree()), new LinkedHashMap<>(layer.origins()));
    }
}
