package lem.runtime.results;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Every metric of a set of raw results: one cycle, or all complete cycles together (then the window
 * is the sum of the cycles' windows, energy and tokens are summed, and percentiles come from all
 * samples of all cycles).
 *
 * @param cycles                 cycles included
 * @param processes              raw results included
 * @param requests               requests sent
 * @param failedRequests         requests that ended in an error
 * @param inputTokens            prompt tokens
 * @param outputTokens           generated tokens
 * @param windowNanos            measured time: per cycle, first process start to last process end
 * @param outputTokensPerSecond  output tokens / window
 * @param totalTokensPerSecond   (input + output tokens) / window
 * @param requestsPerSecond      completed requests / window
 * @param latency                latency figures
 * @param energy                 energy figures, or null when no energy source ran
 * @param phaseEnergy            prefill/decode energy, or null when no power series covers a counted device
 * @param joulesPerOutputToken   raw energy / output tokens, or null
 * @param joulesPerToken         raw energy / (input + output tokens), or null
 * @param adjustedJoulesPerOutputToken baseline-adjusted energy / output tokens, or null
 * @param outputTokensPerJoule   output tokens / raw energy, or null
 * @param tokensPerJoule         (input + output tokens) / raw energy, or null
 * @param flops                  FLOPs, or null when not every process has them
 * @param peakDeviceMemoryBytes  highest peak of any process, or null (absent in result.json) when unknown
 * @param throttling             per cause
 * @param warnings               what makes these figures less sure
 * @param steadyState            the interval with the most requests in flight (no ramp-up or drain), or null
 * @param carbon                 CO2 of the measured energy and the grid intensity used, or null (absent in
 *                               result.json) when no energy was measured or no source knows the intensity
 */
public record WorkloadMetrics(List<Integer> cycles, int processes, long requests, long failedRequests,
        long inputTokens, long outputTokens, long windowNanos, Double outputTokensPerSecond,
        Double totalTokensPerSecond, Double requestsPerSecond, LatencyMetrics latency, EnergyMetrics energy,
        PhaseEnergy phaseEnergy, Double joulesPerOutputToken, Double joulesPerToken,
        Double adjustedJoulesPerOutputToken, Double outputTokensPerJoule, Double tokensPerJoule, FlopsMetrics flops,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long peakDeviceMemoryBytes, List<ThrottleSummary> throttling,
        List<String> warnings, SteadyState steadyState,
        @JsonInclude(JsonInclude.Include.NON_NULL) CarbonFootprint carbon) {
}
