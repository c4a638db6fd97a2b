package lem.runtime.run;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyException;
import lem.api.energy.EnergyReading;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.PowerSample;
import lem.api.energy.SessionSettings;
import lem.runtime.results.BaselinePower;

/**
 * Idle power per device: a session left open while nothing runs. The mean is the energy the
 * session measured divided by its duration (the counter where the source has one), the spread
 * from the power samples. Results are cached per source for a configurable time, since a long
 * baseline before every run would dominate short experiments; each cached figure keeps when it
 * was taken.
 * <p>
 * One instance serves the whole host (a DS service), so that {@code lem:baseline} and every
 * run share the cache.
 */
@org.osgi.service.component.annotations.Component(service = BaselineMeter.class)
public final class BaselineMeter {
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(List<BaselinePower> baselines, long takenNanos, long durationNanos, long intervalNanos) {
    }

    /**
     * The baseline of one source, measured now unless a cached one of the same duration and
     * interval is younger than {@code cacheTtlNanos}.
     */
    public List<BaselinePower> baseline(String sourceName, EnergySource source, long durationNanos, long intervalNanos,
            long cacheTtlNanos, Map<String, Object> options) throws EnergyException, InterruptedException {
        Cached cached = cache.get(sourceName);
        long now = System.nanoTime();
        if (cached != null && cached.durationNanos == durationNanos && cached.intervalNanos == intervalNanos
                && now - cached.takenNanos < cacheTtlNanos) {
            return cached.baselines;
        }
        List<BaselinePower> measured = measure(sourceName, source, durationNanos, intervalNanos, options);
        cache.put(sourceName, new Cached(measured, now, durationNanos, intervalNanos));
        return measured;
    }

    public void forget() {
        cache.clear();
    }

    static List<BaselinePower> measure(String sourceName, EnergySource source, long durationNanos, long intervalNanos,
            Map<String, Object> options) throws EnergyException, InterruptedException {
        long takenAtMillis = System.currentTimeMillis();
        Map<String, List<PowerSample>> samples = new HashMap<>();
        EnergyReading reading;
        try (EnergySession session = source.start(new SessionSettings(intervalNanos, null, options))) {
            long end = System.nanoTime() + durationNanos;
            while (System.nanoTime() < end) {
                TimeUnit.NANOSECONDS.sleep(Math.min(250_000_000L, Math.max(1, end - System.nanoTime())));
                collect(session.drainSamples(), samples);
            }
            reading = session.stop();
            collect(session.drainSamples(), samples);
        }
        List<BaselinePower> baselines = new ArrayList<>();
        double seconds = reading.durationNanos() / 1e9;
        for (DeviceEnergy device : reading.devices()) {
            List<PowerSample> own = samples.getOrDefault(device.deviceId(), List.of());
            double meanWatts = seconds > 0 ? device.energyJoules() / seconds : mean(own);
            Map<String, String> facts = new HashMap<>();
            facts.put("method", device.method().name().toLowerCase(java.util.Locale.ROOT)
                    + " over the baseline window; spread from power samples");
            PowerSample last = own.isEmpty() ? null : own.get(own.size() - 1);
            if (last != null) {
                for (String key : List.of(PowerSample.PSTATE, PowerSample.SM_CLOCK_MHZ, PowerSample.MEMORY_CLOCK_MHZ,
                        PowerSample.TEMPERATURE_CELSIUS)) {
                    Double v = last.telemetry().get(key);
                    if (v != null) {
                        facts.put(key, String.valueOf(v.longValue()));
                    }
                }
            }
            baselines.add(new BaselinePower(sourceName, device.deviceId(), meanWatts, std(own), own.size(),
                    reading.durationNanos(), takenAtMillis, facts));
        }
        return baselines;
    }

    private static void collect(List<PowerSample> drained, Map<String, List<PowerSample>> into) {
        for (PowerSample s : drained) {
            into.computeIfAbsent(s.deviceId(), k -> new ArrayList<>()).add(s);
        }
    }

    static double mean(List<PowerSample> samples) {
        return samples.stream().mapToDouble(PowerSample::powerWatts).average().orElse(0);
    }

    /** Sample standard deviation (n - 1); 0 for fewer than two samples. */
    static double std(List<PowerSample> samples) {
        int n = samples.size();
        if (n < 2) {
            return 0;
        }
        double mean = mean(samples);
        double sum = 0;
        for (PowerSample s : samples) {
            double d = s.powerWatts() - mean;
            sum += d * d;
        }
        return Math.sqrt(sum / (n - 1));
    }
}
