package lem.runtime.results;

import java.util.List;
import java.util.Map;

/**
 * Energy of a set of processes and cycles. A device covered by two sources, or reported by two
 * processes of one cycle, is counted once: measured figures (counter, then power integration) before
 * estimates; each figure's {@code counted} and {@code reason} say which were used.
 *
 * @param rawJoules            sum of counted figures as measured
 * @param adjustedJoules       sum of counted figures less baseline power x window, each clamped at 0
 * @param countedJoulesByDomain counted raw energy per domain
 * @param reportedJoulesBySource every figure a source reported, counted or not, per source
 * @param sourcesUsed          sources with at least one counted figure
 * @param includesEstimates    whether a counted figure is an estimate, not a measurement
 * @param devices              every figure
 * @param baselines            the baselines used
 */
public record EnergyMetrics(double rawJoules, double adjustedJoules, Map<String, Double> countedJoulesByDomain,
        Map<String, Double> reportedJoulesBySource, List<String> sourcesUsed, boolean includesEstimates,
        List<DeviceEnergyFigure> devices, List<BaselinePower> baselines) {
}
