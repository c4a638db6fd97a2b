package lem.runtime.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Run presets ({@code preset:} at the top level): how long and how carefully to measure. A preset
 * only fills in keys that no config file and no {@code --set} wrote.
 */
public enum RunPreset implements ConfigEnum {

    /**
     * A quick iteration: a short baseline, a few warmup requests, one cycle, short outputs. Its
     * numbers are for checking that a setup works, not for publishing.
     */
    QUICK_TEST(values(
            "decoder.preset", "deterministic",
            "decoder.min_new_tokens", 0L,
            "decoder.max_new_tokens", 16L,
            "prompts.count", 8L,
            "warmup.min_requests", 2L,
            "warmup.max_requests", 10L,
            "warmup.cv_threshold", 0.2,
            "baseline.duration_s", 5.0,
            "cycles", 1L)),

    /**
     * A publishable run: a 30 s idle baseline (LLenergyMeasure's), warmup until the latency CV of
     * the last 5 requests is under 0.05 (5 to 50 requests), 5 cycles for a t-interval with 4
     * degrees of freedom, greedy decoding and fixed input and output lengths so that every cycle
     * does the same work. MLPerf power runs last at least 600 s; raise {@code prompts.count}
     * until a cycle does if the result is meant to be compared with MLPerf.
     */
    BENCHMARK(values(
            "decoder.preset", "deterministic",
            "decoder.min_new_tokens", 128L,
            "decoder.max_new_tokens", 128L,
            "prompts.count", 100L,
            "prompts.synthetic.input_tokens", 128L,
            "prompts.synthetic.input_tokens_max", 128L,
            "warmup.enabled", true,
            "warmup.min_requests", 5L,
            "warmup.max_requests", 50L,
            "warmup.cv_threshold", 0.05,
            "warmup.window", 5L,
            "baseline.enabled", true,
            "baseline.duration_s", 30.0,
            "baseline.interval_ms", 100L,
            "timeseries.enabled", true,
            "cycles", 5L));

    private final Map<String, Object> settings;

    RunPreset(Map<String, Object> settings) {
        this.settings = settings;
    }

    @Override
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** Dotted key path to value, as if written in a config file. */
    public Map<String, Object> settings() {
        return settings;
    }

    static Map<String, Object> values(Object... pathsAndValues) {
        Map<String, Object> settings = new LinkedHashMap<>();
        for (int i = 0; i < pathsAndValues.length; i += 2) {
            settings.put((String) pathsAndValues[i], pathsAndValues[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(settings);
    }
}
