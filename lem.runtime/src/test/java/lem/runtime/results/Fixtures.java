package lem.runtime.results;

import java.util.List;
import java.util.Map;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;
import lem.api.energy.ThrottlePeriod;
import lem.api.model.ModelDescription;
import lem.api.model.Precision;

/** Small builders for raw results whose every number is chosen by the test. */
final class Fixtures {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;

    private Fixtures() {
    }

    static RequestTimeline request(String id, int inputTokens, long startNanos, long endNanos, long[]... arrivals) {
        List<TokenArrival> events = java.util.Arrays.stream(arrivals)
                .map(a -> new TokenArrival(a[0], (int) a[1])).toList();
        int output = events.stream().mapToInt(TokenArrival::tokenCount).sum();
        long first = events.isEmpty() ? 0 : events.get(0).timestampNanos();
        return new RequestTimeline(id, inputTokens, output, startNanos, first, endNanos, events, "length", null);
    }

    static long[] at(long nanos, int tokens) {
        return new long[] {nanos, tokens};
    }

    static EnergyReading reading(String source, long startNanos, long endNanos, DeviceEnergy... devices) {
        return new EnergyReading(source, startNanos, endNanos, List.of(devices), List.of(), List.of(), Map.of());
    }

    static EnergyReading reading(String source, long startNanos, long endNanos, List<ThrottlePeriod> throttling,
            DeviceEnergy... devices) {
        return new EnergyReading(source, startNanos, endNanos, List.of(devices), throttling, List.of(), Map.of());
    }

    static DeviceEnergy gpu(String id, double joules) {
        return new DeviceEnergy(id, EnergyDomain.GPU, joules, EnergyMethod.COUNTER, false, "nvml total energy counter");
    }

    static DeviceEnergy device(String id, EnergyDomain domain, double joules, EnergyMethod method) {
        return new DeviceEnergy(id, domain, joules, method, false, "");
    }

    static BaselinePower baseline(String source, String deviceId, double watts) {
        return new BaselinePower(source, deviceId, watts, 1.5, 300, 30 * S, 1_700_000_000_000L, Map.of("pstate", "P8"));
    }

    static ModelDescription model() {
        return new ModelDescription("tiny-gpt2", "gpt2", 124_000_000L, Precision.FLOAT32, Precision.FLOAT32, "none",
                Map.of("n_layer", 2, "n_embd", 64));
    }

    static RawResult raw(String experimentId, int cycle, int process, long startNanos, long endNanos,
            List<RequestTimeline> requests, List<EnergyReading> energy, List<BaselinePower> baseline,
            String powerSeriesFile) {
        return new RawResult(RawResult.SCHEMA_VERSION, experimentId, cycle, process, "host-a",
                new WallClockAnchor(1_700_000_000_000L, 0), new MeasurementWindow(startNanos, endNanos),
                new BackendIdentity("djl", "0.1.0", "PyTorch 2.5.1"), model(), requests, energy, baseline, null, null,
                List.of(), -1, List.of(), powerSeriesFile, true, null);
    }
}
