package lem.runtime.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A configuration tree (maps, lists, scalars as Jackson reads them) together with the origin of
 * every key path in it, including list items ({@code prompts.inline[2]}) and intermediate maps.
 * Layers are deep-merged: maps merge key by key, lists and scalars replace.
 */
final class ConfigLayer {

    private final Map<String, Object> tree;
    private final Map<String, Provenance> origins;

    ConfigLayer() {
        this(new LinkedHashMap<>(), new LinkedHashMap<>());
    }

    ConfigLayer(Map<String, Object> tree, Map<String, Provenance> origins) {
        this.tree = tree;
        this.origins = origins;
    }

    /** A layer whose every key path came from the same place (defaults, a preset, an override). */
    static ConfigLayer uniform(Map<String, Object> values, Provenance origin) {
        ConfigLayer layer = new ConfigLayer(deepCopyMap(values), new LinkedHashMap<>());
        layer.stampAll(layer.tree, "", origin);
        return layer;
    }

    Map<String, Object> tree() {
        return tree;
    }

    Map<String, Provenance> origins() {
        return origins;
    }

    Provenance originOf(String keyPath) {
        return origins.get(keyPath);
    }

    /** The value at a dotted key path, or null when any step is missing or not a map. */
    Object valueAt(String keyPath) {
        Object current = tree;
        for (String step : keyPath.split("\\.")) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(step);
        }
        return current;
    }

    boolean contains(String keyPath) {
        return origins.containsKey(keyPath);
    }

    /** Sets one value, creating intermediate maps, and records where it came from. */
    void put(String keyPath, Object value, Provenance origin) {
        String[] steps = keyPath.split("\\.");
        Map<String, Object> current = tree;
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < steps.length - 1; i++) {
            if (path.length() > 0) {
                path.append('.');
            }
            path.append(steps[i]);
            Object next = current.get(steps[i]);
            if (!(next instanceof Map)) {
                forgetUnder(path.toString(), next);
                next = new LinkedHashMap<String, Object>();
                current.put(steps[i], next);
                origins.put(path.toString(), origin);
            }
            current = asStringMap(next);
        }
        forgetUnder(keyPath, current.put(steps[steps.length - 1], value));
        origins.put(keyPath, origin);
        if (value instanceof Map<?, ?> map) {
            stampAll(asStringMap(map), keyPath, origin);
        } else if (value instanceof List<?> list) {
            stampItems(list, keyPath, origin);
        }
    }

    /** Removes a key and everything under it. */
    void remove(String keyPath) {
        int dot = keyPath.lastIndexOf('.');
        Object parent = dot < 0 ? tree : valueAt(keyPath.substring(0, dot));
        Object removed = parent instanceof Map<?, ?> map ? map.remove(keyPath.substring(dot + 1)) : null;
        forgetUnder(keyPath, removed);
    }

    /**
     * Deep merge of {@code overlay} into this layer: the overlay's values win. The work is
     * proportional to the overlay's size plus the size of the values it replaces, never to the size
     * of this layer, so a merge of n keys costs O(n) (what validation time rests on).
     */
    void mergeFrom(ConfigLayer overlay) {
        mergeMaps(tree, overlay.tree, "", overlay);
    }

    private void mergeMaps(Map<String, Object> base, Map<String, Object> over, String prefix,
            ConfigLayer overlay) {
        for (Map.Entry<String, Object> entry : over.entrySet()) {
            String path = join(prefix, entry.getKey());
            Object baseValue = base.get(entry.getKey());
            Object overValue = entry.getValue();
            if (baseValue instanceof Map && overValue instanceof Map) {
                Provenance origin = overlay.origins.get(path);
                if (origin != null) {
                    origins.put(path, origin);
                }
                mergeMaps(asStringMap(baseValue), asStringMap(overValue), path, overlay);
            } else {
                forgetUnder(path, base.put(entry.getKey(), deepCopy(overValue)));
                forEachPath(path, overValue, otherPath -> {
                    Provenance origin = overlay.origins.get(otherPath);
                    if (origin != null) {
                        origins.put(otherPath, origin);
                    }
                });
            }
        }
    }

    private void stampAll(Map<String, Object> map, String prefix, Provenance origin) {
        for (Map.Entry<String, Object> entry : map.entrySet()) {
            String path = join(prefix, entry.getKey());
            origins.put(path, origin);
            if (entry.getValue() instanceof Map<?, ?> child) {
                stampAll(asStringMap(child), path, origin);
            } else if (entry.getValue() instanceof List<?> list) {
                stampItems(list, path, origin);
            }
        }
    }

    private void stampItems(List<?> list, String prefix, Provenance origin) {
        for (int i = 0; i < list.size(); i++) {
            origins.put(prefix + "[" + i + "]", origin);
        }
    }

    /**
     * Forgets the origins of a value that was at {@code path} and of everything under it, by
     * walking that value rather than every origin of the layer.
     */
    private void forgetUnder(String path, Object oldValue) {
        forEachPath(path, oldValue, origins::remove);
    }

    /** {@code path} and the key path of every map key and list item under {@code value}. */
    static void forEachPath(String path, Object value, Consumer<String> action) {
        action.accept(path);
        if (value instanceof Map<?, ?> map) {
            asStringMap(map).forEach((key, child) -> forEachPath(join(path, key), child, action));
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                forEachPath(path + "[" + i + "]", list.get(i), action);
            }
        }
    }

    static boolean isAtOrUnder(String candidate, String path) {
        return candidate.equals(path) || candidate.startsWith(path + ".")
                || candidate.startsWith(path + "[");
    }

    static String join(String prefix, String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asStringMap(Object map) {
        return (Map<String, Object>) map;
    }

    static Map<String, Object> deepCopyMap(Map<String, Object> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((key, value) -> copy.put(key, deepCopy(value)));
        return copy;
    }

    static Object deepCopy(Object value) {
        if (value instanceof Map<?, ?> map) {
            return deepCopyMap(asStringMap(map));
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            list.forEach(item -> copy.add(deepCopy(item)));
            return copy;
        }
        return value;
    }
}
