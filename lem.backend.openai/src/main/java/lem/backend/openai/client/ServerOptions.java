package lem.backend.openai.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import lem.api.backend.BackendException;

/**
 * A backend's config section ({@code backend.vllm}, ...), read with errors that name the key, the
 * value and what is allowed.
 */
public final class ServerOptions {
    private final String section;
    private final Map<String, Object> values;

    /** @param section the section's name in the config ({@code backend.vllm}) */
    public ServerOptions(String section, Map<String, Object> values) {
        this.section = section;
        this.values = values == null ? Map.of() : values;
    }

    public String section() {
        return section;
    }

    /** The full name of a key, for messages: {@code backend.vllm.max_num_seqs}. */
    public String name(String key) {
        return section + "." + key;
    }

    public boolean has(String key) {
        return values.get(key) != null;
    }

    public Object raw(String key) {
        return values.get(key);
    }

    /** Fails on a key outside {@code allowed}, listing the allowed ones. */
    public void checkKeys(Set<String> allowed) throws BackendException {
        for (String key : values.keySet()) {
            if (!allowed.contains(key)) {
                throw new BackendException(name(key) + " is not a setting of " + section + "; allowed: "
                        + String.join(", ", new TreeSet<>(allowed)));
            }
        }
    }

    public String text(String key, String fallback) throws BackendException {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Map || v instanceof List) {
            throw new BackendException(name(key) + " must be text, not " + v);
        }
        return v.toString();
    }

    public long integer(String key, long fallback, long min) throws BackendException {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        long n;
        try {
            n = v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue()) ? num.longValue()
                    : Long.parseLong(v.toString().strip());
        } catch (NumberFormatException e) {
            throw new BackendException(name(key) + " must be a whole number >= " + min + ", not " + v);
        }
        if (n < min) {
            throw new BackendException(name(key) + " must be a whole number >= " + min + ", not " + v);
        }
        return n;
    }

    public double decimal(String key, double fallback, double min, double max) throws BackendException {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        double d;
        try {
            d = v instanceof Number num ? num.doubleValue() : Double.parseDouble(v.toString().strip());
        } catch (NumberFormatException e) {
            d = Double.NaN;
        }
        if (!(d >= min && d <= max)) {
            throw new BackendException(name(key) + " must be a number from " + min + " to " + max + ", not " + v);
        }
        return d;
    }

    /** True or false; absent gives null so that a launcher can leave the server's default. */
    public Boolean flag(String key) throws BackendException {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().strip().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.valueOf(s);
        }
        throw new BackendException(name(key) + " must be true or false, not " + v);
    }

    public boolean flag(String key, boolean fallback) throws BackendException {
        Boolean b = flag(key);
        return b == null ? fallback : b;
    }

    /** One of {@code allowed} (case-insensitive), lower-cased. */
    public String choice(String key, String fallback, String... allowed) throws BackendException {
        String v = text(key, fallback);
        for (String a : allowed) {
            if (a.equalsIgnoreCase(v)) {
                return a;
            }
        }
        throw new BackendException(name(key) + " must be one of " + String.join(", ", allowed) + ", not " + v);
    }

    /** A list of texts; a single value or a comma-separated text is a list of its parts. */
    public List<String> list(String key) throws BackendException {
        Object v = values.get(key);
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map || o instanceof List) {
                    throw new BackendException(name(key) + " must be a list of texts, not " + v);
                }
                out.add(o.toString());
            }
        } else if (v instanceof Map) {
            throw new BackendException(name(key) + " must be a list, not " + v);
        } else {
            for (String part : v.toString().split(",")) {
                if (!part.isBlank()) {
                    out.add(part.strip());
                }
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> map(String key) throws BackendException {
        Object v = values.get(key);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map)) {
            throw new BackendException(name(key) + " must be a map of settings, not " + v);
        }
        return (Map<String, Object>) v;
    }

    /** Adds {@code flag value} to a command line when {@code key} is set to a whole number >= 1. */
    public void addInteger(List<String> command, String key, String flag) throws BackendException {
        if (has(key)) {
            command.add(flag);
            command.add(Long.toString(integer(key, 0, 1)));
        }
    }

    /** Adds {@code flag value} when {@code key} is set to a number in [min, max]. */
    public void addDecimal(List<String> command, String key, String flag, double min, double max)
            throws BackendException {
        if (has(key)) {
            command.add(flag);
            command.add(Double.toString(decimal(key, 0, min, max)));
        }
    }

    /** Adds {@code flag value} when {@code key} is set. */
    public void addText(List<String> command, String key, String flag) throws BackendException {
        if (has(key)) {
            command.add(flag);
            command.add(text(key, ""));
        }
    }

    /** Adds {@code on} when {@code key} is true, {@code off} (when not null) when false. */
    public void addToggle(List<String> command, String key, String on, String off) throws BackendException {
        Boolean value = flag(key);
        if (Boolean.TRUE.equals(value)) {
            command.add(on);
        } else if (Boolean.FALSE.equals(value) && off != null) {
            command.add(off);
        }
    }
}
