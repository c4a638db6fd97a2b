package lem.runtime.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.DeviceInfo;
import lem.api.energy.EnergyException;
import lem.api.energy.EnergyReading;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.PowerSample;
import lem.api.energy.SessionSettings;
import lem.runtime.results.BaselinePower;
import lem.runtime.results.ResultsJson;
import lem.runtime.results.RunningProcess;

/**
 * Idle power per device: a session left open while nothing runs. The mean is the energy the
 * session measured divided by its duration (the counter where the source has one), the spread
 * from the power samples. Results are cached per source for a configurable time, since a long
 * baseline before every run would dominate short experiments; each cached figure keeps when it
 * was taken.
 * <p>
 * One instance serves the whole host (a DS service), so that {@code lem:baseline} and every
 * run share the cache; the cache is also kept on disk ({@value #CACHE_FILE} in the cache folder),
 * so that a one-shot {@code lem run} in a new process reuses a {@code lem baseline} taken before.
 * A cached baseline is reused only on the same host, for the same devices, when it lasted at least
 * as long as the one asked for and is younger than the run's TTL.
 */
@org.osgi.service.component.annotations.Component(service = BaselineMeter.class)
public final class BaselineMeter {
    /** The file in the cache folder. */
    public static final String CACHE_FILE = "baselines.json";
    /** Framework property naming the cache folder; else LEM_CACHE_DIR, else $XDG_CACHE_HOME/lem, else ~/.cache/lem. */
    public static final String CACHE_DIR_PROPERTY = "lem.cache.dir";

    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    /** Where the cache is kept on disk, or null for memory only. */
    private volatile Path cacheFile;

    private record Cached(List<BaselinePower> baselines, long takenNanos, long durationNanos, long intervalNanos) {
    }

    /**
     * One cached baseline on disk.
     *
     * @param source             the energy source
     * @param host               the host it was taken on
     * @param devices            the devices the source saw then (its probe), so a changed machine measures again
     * @param durationNanos      how long it was asked to sample
     * @param intervalNanos      at which interval
     * @param takenEpochMillis   when, wall clock: its age
     * @param baselines          per device, with the clocks and P-state at the time in their facts
     */
    public record StoredBaseline(String source, String host, List<String> devices, long durationNanos,
            long intervalNanos, long takenEpochMillis, List<BaselinePower> baselines) {
        public StoredBaseline {
            devices = devices == null ? List.of() : List.copyOf(devices);
            baselines = baselines == null ? List.of() : List.copyOf(baselines);
        }
    }

    /** Memory only: for tests and for a meter made outside the framework. */
    public BaselineMeter() {
        this(null);
    }

    /** Kept in memory and in {@code cacheFile} (null: memory only). */
    public BaselineMeter(Path cacheFile) {
        this.cacheFile = cacheFile;
    }

    @org.osgi.service.component.annotations.Activate
    void activate(org.osgi.framework.BundleContext context) {
        cacheFile = cacheDirectory(context.getProperty(CACHE_DIR_PROPERTY), System.getenv()).resolve(CACHE_FILE);
    }

    /** The cache folder: the property, LEM_CACHE_DIR, $XDG_CACHE_HOME/lem, or ~/.cache/lem. */
    static Path cacheDirectory(String property, Map<String, String> env) {
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        String lem = env.get("LEM_CACHE_DIR");
        if (lem != null && !lem.isBlank()) {
            return Path.of(lem);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache"))
                .resolve("lem");
    }

    /** Where the cache is kept on disk, or null when in memory only. */
    public Path cacheFile() {
        return cacheFile;
    }

    /**
     * The baseline of one source, measured now unless a cached one (in memory, or on disk from an
     * earlier process on this host with the same devices) lasted at least {@code durationNanos} and is
     * younger than {@code cacheTtlNanos}.
     */
    public List<BaselinePower> baseline(String sourceName, EnergySource source, long durationNanos, long intervalNanos,
            long cacheTtlNanos, Map<String, Object> options) throws EnergyException, InterruptedException {
        Optional<Reusable> reusable = reusable(sourceName, source, durationNanos, cacheTtlNanos);
        if (reusable.isPresent()) {
            return reusable.get().baselines();
        }
        long now = System.nanoTime();
        List<BaselinePower> measured = measure(sourceName, source, durationNanos, intervalNanos, options);
        cache.put(sourceName, new Cached(measured, now, durationNanos, intervalNanos));
        List<String> devices = devices(source);
        store(new StoredBaseline(sourceName, RunningProcess.current().host(), devices == null ? List.of() : devices,
                durationNanos, intervalNanos, System.currentTimeMillis(), measured));
        return measured;
    }

    /**
     * A cached baseline that a run would reuse.
     *
     * @param baselines     per device
     * @param ageNanos      how long ago it was taken
     * @param durationNanos how long it sampled
     */
    public record Reusable(List<BaselinePower> baselines, long ageNanos, long durationNanos) {
    }

    /**
     * The cached baseline a run asking for this one would reuse, in memory or on disk; empty when it
     * would measure.
     */
    public Optional<Reusable> reusable(String sourceName, EnergySource source, long durationNanos, long cacheTtlNanos) {
        Cached cached = cache.get(sourceName);
        long now = System.nanoTime();
        if (cached != null && cached.durationNanos >= durationNanos && now - cached.takenNanos < cacheTtlNanos) {
            return Optional.of(new Reusable(cached.baselines, now - cached.takenNanos, cached.durationNanos));
        }
        StoredBaseline stored = cacheTtlNanos > 0 ? stored(sourceName) : null;
        if (stored == null || stored.durationNanos() < durationNanos) {
            return Optional.empty();
        }
        List<String> devices = devices(source);
        long ageNanos = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis() - stored.takenEpochMillis());
        if (devices == null || !stored.devices().equals(devices) || ageNanos < 0 || ageNanos >= cacheTtlNanos) {
            return Optional.empty();
        }
        cache.put(sourceName, new Cached(stored.baselines(), now - ageNanos, stored.durationNanos(), stored.intervalNanos()));
        return Optional.of(new Reusable(stored.baselines(), ageNanos, stored.durationNanos()));
    }

    /** The baseline on disk for a source on this host, or null. */
    public StoredBaseline stored(String sourceName) {
        return readCache().get(key(sourceName));
    }

    /** Forgets every cached baseline, in memory and on disk. */
    public void forget() {
        cache.clear();
        Path file = cacheFile;
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a cache that cannot be removed is only not reused: the TTL still bounds it
            }
        }
    }

    /** The source's devices as its probe sees them now, sorted; null when the probe fails. */
    private static List<String> devices(EnergySource source) {
        try {
            return source.probe().devices().stream().map(DeviceInfo::id).sorted().toList();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String key(String sourceName) {
        return RunningProcess.current().host() + "/" + sourceName;
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<TreeMap<String, StoredBaseline>> CACHE_TYPE =
            new com.fasterxml.jackson.core.type.TypeReference<>() {
            };

    /** The cache on disk; empty when there is none or it cannot be read (then it is measured again and rewritten). */
    private Map<String, StoredBaseline> readCache() {
        Path file = cacheFile;
        if (file == null || !Files.isRegularFile(file)) {
            return new TreeMap<>();
        }
        try {
            TreeMap<String, StoredBaseline> read = ResultsJson.mapper().readValue(file.toFile(), CACHE_TYPE);
            return read == null ? new TreeMap<>() : read;
        } catch (IOException | RuntimeException e) {
            return new TreeMap<>();
        }
    }

    private synchronized void store(StoredBaseline baseline) {
        Path file = cacheFile;
        if (file == null) {
            return;
        }
        Map<String, StoredBaseline> all = readCache();
        all.put(baseline.host() + "/" + baseline.source(), baseline);
        try {
            ResultsJson.writeAtomically(file, all);
        } catch (IOException e) {
            // the run has its baseline; only a later process will measure again
        }
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
