package lem.runtime.results;

import java.util.function.Function;

/** The metrics summarised across cycles, and compared and exported between experiments; each key ends in its unit. */
public enum HeadlineMetric {
    OUTPUT_TOKENS_PER_SECOND("output_tokens_per_s", "tokens/s", WorkloadMetrics::outputTokensPerSecond),
    TOTAL_TOKENS_PER_SECOND("total_tokens_per_s", "tokens/s", WorkloadMetrics::totalTokensPerSecond),
    REQUESTS_PER_SECOND("requests_per_s", "requests/s", WorkloadMetrics::requestsPerSecond),
    ENERGY_RAW("energy_raw_j", "J", m -> measured(m) ? m.energy().rawJoules() : null),
    ENERGY_ADJUSTED("energy_adjusted_j", "J", m -> measured(m) ? m.energy().adjustedJoules() : null),
    JOULES_PER_OUTPUT_TOKEN("j_per_output_token", "J/token", WorkloadMetrics::joulesPerOutputToken),
    JOULES_PER_TOKEN("j_per_token", "J/token", WorkloadMetrics::joulesPerToken),
    ADJUSTED_JOULES_PER_OUTPUT_TOKEN("adjusted_j_per_output_token", "J/token",
            WorkloadMetrics::adjustedJoulesPerOutputToken),
    TTFT_MEAN("ttft_mean_ms", "ms", m -> m.latency().ttftMs().mean()),
    TTFT_P50("ttft_p50_ms", "ms", m -> m.latency().ttftMs().median()),
    TTFT_P99("ttft_p99_ms", "ms", m -> m.latency().ttftMs().p99()),
    ITL_MEAN("itl_mean_ms", "ms", m -> m.latency().itlRawMs().mean()),
    ITL_TRIMMED_MEAN("itl_trimmed_mean_ms", "ms", m -> m.latency().itlTrimmedMs().mean()),
    TPOT_MEAN("tpot_mean_ms", "ms", m -> m.latency().tpotMs().mean()),
    E2E_MEAN("e2e_mean_ms", "ms", m -> m.latency().e2eMs().mean()),
    E2E_P99("e2e_p99_ms", "ms", m -> m.latency().e2eMs().p99()),
    FLOP_PER_JOULE("flop_per_j", "FLOP/J", m -> m.flops() == null ? null : m.flops().flopsPerJoule());

    private final String key;
    private final String unit;
    private final Function<WorkloadMetrics, Double> extractor;

    HeadlineMetric(String key, String unit, Function<WorkloadMetrics, Double> extractor) {
        this.key = key;
        this.unit = unit;
        this.extractor = extractor;
    }

    private static boolean measured(WorkloadMetrics m) {
        return m.energy() != null && !m.energy().sourcesUsed().isEmpty();
    }

    public String key() {
        return key;
    }

    public String unit() {
        return unit;
    }

    /** The metric's value, or null when the metrics do not have it. */
    public Double valueOf(WorkloadMetrics metrics) {
        return metrics == null ? null : extractor.apply(metrics);
    }
}
