package lem.runtime.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Deep unmodifiable copies of config trees (which may hold nulls, unlike Map.copyOf). */
final class ImmutableTree {

    private ImmutableTree() {
    }

    static Map<String, Object> map(Map<String, Object> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((key, value) -> copy.put(key, value(value)));
        return Collections.unmodifiableMap(copy);
    }

    static Object value(Object value) {
        if (value instanceof Map<?, ?> map) {
            return map(ConfigLayer.asStringMap(map));
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            list.forEach(item -> copy.add(value(item)));
            return Collections.unmodifiableList(copy);
        }
        return value;
    }
}
