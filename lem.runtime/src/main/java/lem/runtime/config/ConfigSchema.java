package lem.runtime.config;

import lem.runtime.config.ExperimentConfig.BatchingStrategy;
import lem.runtime.config.ExperimentConfig.ModelSource;
import lem.runtime.config.ExperimentConfig.Precision;
import lem.runtime.config.ExperimentConfig.PromptSource;
import lem.runtime.config.ExperimentConfig.Quantisation;
import lem.runtime.config.ExperimentConfig.TrafficPattern;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The keys an experiment config may hold, their types, ranges and defaults: the single place that
 * says what a config looks like. The validator and the defaults layer both read it.
 */
final class ConfigSchema {

    /** What may appear at one key. */
    sealed interface Spec permits Section, Leaf {
    }

    /**
     * A map with known keys.
     *
     * @param openMaps when true, keys other than the known ones are allowed if their value is a
     *                 map (the {@code backend.<name>} sections)
     */
    record Section(Map<String, Spec> fields, boolean openMaps) implements Spec {
    }

    /**
     * A value.
     *
     * @param check returns what is wrong with a non-null value (without key path), or null
     */
    record Leaf(Object defaultValue, boolean nullable, Function<Object, String> check)
            implements Spec {

        String problemWith(Object value) {
            if (value == null) {
                return nullable ? null : check.apply(null);
            }
            return check.apply(value);
        }
    }

    /** Bounds of a number: the lower one inclusive or exclusive, the upper one inclusive (no key needs more). */
    record Range(double min, boolean minExclusive, double max) {

        static final double NONE = Double.NaN;
        static final Range ANY = new Range(NONE, false, NONE);

        static Range atLeast(double min) {
            return new Range(min, false, NONE);
        }

        static Range above(double min) {
            return new Range(min, true, NONE);
        }

        static Range between(double min, double max) {
            return new Range(min, false, max);
        }

        boolean contains(double value) {
            boolean aboveMin = Double.isNaN(min) || (minExclusive ? value > min : value >= min);
            boolean belowMax = Double.isNaN(max) || value <= max;
            return aboveMin && belowMax;
        }

        String describe() {
            if (!Double.isNaN(min) && !Double.isNaN(max) && !minExclusive) {
                return "between " + number(min) + " and " + number(max);
            }
            StringBuilder text = new StringBuilder();
            if (!Double.isNaN(min)) {
                text.append(minExclusive ? "> " : ">= ").append(number(min));
            }
            if (!Double.isNaN(max)) {
                text.append(text.length() > 0 ? " and " : "").append("<= ")
                        .append(number(max));
            }
            return text.toString();
        }

        private static String number(double value) {
            return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
        }
    }

    /** ISO 3166-1 alpha-3 country codes, as the JDK knows them. */
    static final Set<String> COUNTRIES = new TreeSet<>(
            Locale.getISOCountries(Locale.IsoCountryCode.PART1_ALPHA3));

    /** Bounds of {@code traffic.target_qps}, requests per second. */
    static final double MIN_TARGET_QPS = 0.001;
    static final double MAX_TARGET_QPS = 1_000_000;

    /** Names people write for a precision, from other tools ({@code fp16}, {@code half}). */
    static final Map<String, String> PRECISION_ALIASES = Map.of("fp32", "float32", "float", "float32",
            "fp16", "float16", "half", "float16", "bf16", "bfloat16");

    static final Section ROOT = section(
            "name", string(null, true),
            "preset", enumeration(null, true, ConfigEnum.configNames(RunPreset.class)),
            "model", section(
                    "source", enumeration("synthetic", false, ConfigEnum.configNames(ModelSource.class)),
                    "name", string("llama-tiny", false),
                    "seed", integer(42L, Range.ANY),
                    "path", string(null, true)),
            "precision", enumeration("float32", false, ConfigEnum.configNames(Precision.class), PRECISION_ALIASES),
            "quantisation", enumeration("none", false, ConfigEnum.configNames(Quantisation.class)),
            "backend", new Section(fields(
                    "name", string("djl", false),
                    "device", string("cpu", false),
                    // a bundle version (1.2.3) or an OSGi range ([1.2,2)), checked when the backend is chosen
                    "version", string(null, true)), true),
            "batching", section(
                    "strategy", enumeration("static", false, ConfigEnum.configNames(BatchingStrategy.class)),
                    "batch_size", integer(1L, Range.atLeast(1)),
                    "max_tokens_per_batch", integer(0L, Range.atLeast(0)),
                    "max_wait_ms", integer(50L, Range.atLeast(0))),
            "traffic", section(
                    "pattern", enumeration("none", false, ConfigEnum.configNames(TrafficPattern.class)),
                    // one request every ~17 minutes to a million a second: beyond either end the
                    // arrival times stop being a measurement (or overflow the clock)
                    "target_qps", number(null, Range.between(MIN_TARGET_QPS, MAX_TARGET_QPS)),
                    "seed", integer(0L, Range.ANY)),
            "decoder", section(
                    "preset", enumeration(null, true, ConfigEnum.configNames(DecoderPreset.class)),
                    "temperature", number(0.0, Range.atLeast(0)),
                    "top_k", integer(0L, Range.atLeast(0)),
                    "top_p", number(1.0, new Range(0, true, 1)),
                    "repetition_penalty", number(1.0, Range.above(0)),
                    "seed", integer(0L, Range.ANY),
                    "min_new_tokens", integer(0L, Range.atLeast(0)),
                    "max_new_tokens", integer(32L, Range.atLeast(1))),
            "prompts", section(
                    "source", enumeration("synthetic", false, ConfigEnum.configNames(PromptSource.class)),
                    "inline", stringList(),
                    "file", string(null, true),
                    "count", integer(8L, Range.atLeast(1)),
                    "synthetic", section(
                            "input_tokens", integer(32L, Range.atLeast(1)),
                            "input_tokens_max", integer(null, Range.atLeast(1)),
                            "seed", integer(0L, Range.ANY))),
            "warmup", section(
                    "enabled", bool(true),
                    "min_requests", integer(5L, Range.atLeast(0)),
                    "max_requests", integer(50L, Range.atLeast(1)),
                    "cv_threshold", number(0.05, Range.above(0)),
                    // a coefficient of variation needs at least two latencies
                    "window", integer(5L, Range.atLeast(2))),
            "baseline", section(
                    "enabled", bool(true),
                    "duration_s", number(30.0, Range.above(0)),
                    "interval_ms", integer(100L, Range.atLeast(1)),
                    "cache_ttl_s", integer(3600L, Range.atLeast(0))),
            "timeseries", section(
                    "enabled", bool(true),
                    "interval_ms", integer(100L, Range.between(10, 10_000))),
            "cycles", integer(1L, Range.atLeast(1)),
            "energy", section(
                    "sources", energySources(),
                    "interval_ms", integer(100L, Range.between(10, 10_000))),
            "carbon", section(
                    "country", country(),
                    "pue", number(1.0, Range.atLeast(1.0))),
            // service-level objectives: a request meeting every one given counts towards goodput
            "slo", section(
                    "ttft_ms", number(null, Range.above(0)),
                    "itl_ms", number(null, Range.above(0)),
                    "tpot_ms", number(null, Range.above(0)),
                    "e2e_ms", number(null, Range.above(0))),
            // perplexity after the measurement cycles; read by the runner from the tree (QualitySettings)
            "quality", section(
                    "eval_text", string(null, true),
                    "max_tokens", integer(2048L, Range.atLeast(2)),
                    "window", integer(null, Range.atLeast(2)),
                    "stride", integer(null, Range.atLeast(1)),
                    "generated", bool(false)),
            "output", section(
                    "dir", string("results", false)));

    private ConfigSchema() {
    }

    /** Every default, as a tree shaped like a config file. */
    static Map<String, Object> defaults() {
        return defaultsOf(ROOT);
    }

    private static Map<String, Object> defaultsOf(Section section) {
        Map<String, Object> tree = new LinkedHashMap<>();
        section.fields().forEach((key, spec) -> tree.put(key, spec instanceof Section child
                ? defaultsOf(child) : ((Leaf) spec).defaultValue()));
        return tree;
    }

    private static Section section(Object... keysAndSpecs) {
        return new Section(fields(keysAndSpecs), false);
    }

    private static Map<String, Spec> fields(Object... keysAndSpecs) {
        Map<String, Spec> fields = new LinkedHashMap<>();
        for (int i = 0; i < keysAndSpecs.length; i += 2) {
            fields.put((String) keysAndSpecs[i], (Spec) keysAndSpecs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(fields);
    }

    private static Leaf integer(Long defaultValue, Range range) {
        return new Leaf(defaultValue, defaultValue == null, value -> {
            if (value instanceof BigInteger big) {
                return range == Range.ANY ? "must fit in 64 bits (at most " + Long.MAX_VALUE + " in size), got " + big
                        : "must be " + range.describe() + ", got " + big;
            }
            if (!(value instanceof Long number)) {
                return "expected an integer, got " + ValueText.describe(value);
            }
            if (!range.contains(number)) {
                return "must be " + range.describe() + ", got " + number;
            }
            // Sizes, counts and milliseconds are ints; only seeds (Range.ANY) take the whole long range.
            return range != Range.ANY && number > Integer.MAX_VALUE
                    ? "must be at most " + Integer.MAX_VALUE + ", got " + number : null;
        });
    }

    private static Leaf number(Double defaultValue, Range range) {
        return new Leaf(defaultValue, defaultValue == null, value -> {
            if (!(value instanceof Number number) || value instanceof BigInteger) {
                return "expected a number, got " + ValueText.describe(value);
            }
            return range.contains(number.doubleValue()) ? null
                    : "must be " + range.describe() + ", got " + number;
        });
    }

    private static Leaf bool(boolean defaultValue) {
        return new Leaf(defaultValue, false, value -> value instanceof Boolean ? null
                : "expected true or false, got " + ValueText.describe(value));
    }

    private static Leaf string(String defaultValue, boolean nullable) {
        return new Leaf(defaultValue, nullable, value -> {
            if (!(value instanceof String text)) {
                return "expected a text, got " + ValueText.describe(value);
            }
            return text.isBlank() ? "must not be empty" : null;
        });
    }

    private static Leaf enumeration(String defaultValue, boolean nullable, List<String> allowed) {
        return enumeration(defaultValue, nullable, allowed, Map.of());
    }

    /** One of {@code allowed}; a value in {@code aliases} (lower case) is refused with its allowed name suggested. */
    private static Leaf enumeration(String defaultValue, boolean nullable, List<String> allowed,
            Map<String, String> aliases) {
        return new Leaf(defaultValue, nullable, value -> {
            String choices = String.join(", ", allowed);
            if (!(value instanceof String text)) {
                return "expected one of " + choices + ", got " + ValueText.describe(value);
            }
            if (allowed.contains(text)) {
                return null;
            }
            String alias = aliases.get(text.toLowerCase(Locale.ROOT));
            return "'" + text + "' is not one of " + choices
                    + (alias != null ? "; did you mean '" + alias + "'?" : SpellingSuggestion.didYouMean(text, allowed));
        });
    }

    private static Leaf stringList() {
        return new Leaf(null, true, value -> {
            if (!(value instanceof List<?> list)) {
                return "expected a list of texts, e.g. [\"first prompt\", \"second prompt\"], got "
                        + ValueText.describe(value);
            }
            for (int i = 0; i < list.size(); i++) {
                if (!(list.get(i) instanceof String)) {
                    return "item " + (i + 1) + " is not a text: " + ValueText.describe(list.get(i));
                }
            }
            return null;
        });
    }

    private static Leaf energySources() {
        return new Leaf("auto", false, value -> {
            if ("auto".equals(value) || "none".equals(value)) {
                return null;
            }
            if (value instanceof List<?> list && !list.isEmpty()
                    && list.stream().allMatch(item -> item instanceof String text && !text.isBlank())) {
                return null;
            }
            return "expected 'auto' (every energy source available here), 'none' (no energy source: an"
                    + " unmetered run) or a non-empty list of source names, e.g. [nvml, rapl], got "
                    + ValueText.describe(value);
        });
    }

    private static Leaf country() {
        return new Leaf(null, true, value -> {
            if (!(value instanceof String text)) {
                return "expected an ISO 3166-1 alpha-3 country code such as FRA, got "
                        + ValueText.describe(value);
            }
            if (COUNTRIES.contains(text)) {
                return null;
            }
            String upper = text.toUpperCase(Locale.ROOT);
            if (COUNTRIES.contains(upper)) {
                return "'" + text + "': write country codes in upper case, '" + upper + "'";
            }
            // No did-you-mean: nearly every three-letter string is one edit away from some code.
            return "'" + text + "' is not an ISO 3166-1 alpha-3 country code (e.g. FRA, DEU, USA)";
        });
    }
}
