package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.energy.PowerSample;
import lem.runtime.results.BaselinePower;

class BaselineMeterTest {
    private static final long DURATION_NANOS = 100_000_000L;
    private static final long INTERVAL_NANOS = 10_000_000L;
    private static final long HOUR_NANOS = 3_600_000_000_000L;

    /** Counter at 30 W; samples read 33 W and 35 W in turn, so their mean is not the counter's. */
    private final MeteredEnergySource source = new MeteredEnergySource("meter", new double[] {30}, 3, 5);
    private final BaselineMeter meter = new BaselineMeter();

    private List<BaselinePower> measure(long durationNanos, long ttlNanos) throws Exception {
        return meter.baseline("meter", source, durationNanos, INTERVAL_NANOS, ttlNanos, Map.of());
    }

    @Test
    void meanComesFromTheCounterAndSpreadFromTheSamples() throws Exception {
        BaselinePower b = measure(DURATION_NANOS, HOUR_NANOS).get(0);

        MeteredEnergySource.Session session = source.sessions.get(0);
        List<PowerSample> samples = session.given;
        assertTrue(samples.size() >= 3, "100 ms at 10 ms: several samples, got " + samples.size());
        assertEquals("meter", b.source());
        assertEquals(MeteredEnergySource.DEVICE, b.deviceId());
        assertEquals(30.0, b.meanWatts(), 1e-9, "energy / duration of the counter");
        assertEquals(samples.size(), b.sampleCount());
        assertEquals(session.reading.durationNanos(), b.durationNanos());
        assertTrue(b.durationNanos() >= DURATION_NANOS);

        double mean = samples.stream().mapToDouble(PowerSample::powerWatts).average().orElseThrow();
        double squares = samples.stream().mapToDouble(s -> (s.powerWatts() - mean) * (s.powerWatts() - mean)).sum();
        assertEquals(Math.sqrt(squares / (samples.size() - 1)), b.stdWatts(), 1e-12);
        assertNotEquals(b.meanWatts(), mean, 1.0);
        assertEquals("2", b.facts().get(PowerSample.PSTATE), "the device state at the time is kept");
    }

    @Test
    void aBaselineWithinItsTtlIsReusedWithoutMeasuringAgain() throws Exception {
        List<BaselinePower> first = measure(DURATION_NANOS, HOUR_NANOS);
        List<BaselinePower> second = measure(DURATION_NANOS, HOUR_NANOS);
        assertSame(first, second);
        assertEquals(1, source.starts.get());
    }

    @Test
    void forgetOrALongerDurationOrAnExpiredTtlMeasuresAgain() throws Exception {
        measure(DURATION_NANOS, HOUR_NANOS);
        meter.forget();
        measure(DURATION_NANOS, HOUR_NANOS);
        assertEquals(2, source.starts.get(), "after forget()");
        measure(DURATION_NANOS / 2, HOUR_NANOS);
        assertEquals(2, source.starts.get(), "a longer baseline serves a shorter one");
        measure(DURATION_NANOS * 2, HOUR_NANOS);
        assertEquals(3, source.starts.get(), "a shorter one does not serve a longer one");
        measure(DURATION_NANOS / 2, 0);
        assertEquals(4, source.starts.get(), "a TTL of 0 never reuses");
    }

    @Test
    void aLaterProcessReusesTheBaselineOnDiskForTheSameDevicesWithinItsTtl(@TempDir Path cache) throws Exception {
        Path file = cache.resolve(BaselineMeter.CACHE_FILE);
        List<BaselinePower> taken = new BaselineMeter(file).baseline("meter", source, DURATION_NANOS, INTERVAL_NANOS, 0,
                Map.of());
        assertEquals(1, source.starts.get());
        assertTrue(Files.isRegularFile(file));

        // a new meter is what a new one-shot `lem run` process has: only the file
        BaselineMeter later = new BaselineMeter(file);
        BaselineMeter.StoredBaseline stored = later.stored("meter");
        assertEquals(List.of(MeteredEnergySource.DEVICE), stored.devices());
        assertEquals(lem.runtime.results.RunningProcess.current().host(), stored.host());
        assertEquals(DURATION_NANOS, stored.durationNanos());
        assertEquals("2", stored.baselines().get(0).facts().get(PowerSample.PSTATE), "the clocks and P-state are kept");
        List<BaselinePower> reused = later.baseline("meter", source, DURATION_NANOS, INTERVAL_NANOS, HOUR_NANOS, Map.of());
        assertEquals(taken, reused);
        assertEquals(1, source.starts.get(), "reused from disk, not measured");
        assertTrue(later.reusable("meter", source, DURATION_NANOS, HOUR_NANOS).orElseThrow().ageNanos() < HOUR_NANOS);

        new BaselineMeter(file).baseline("meter", source, DURATION_NANOS, INTERVAL_NANOS, 1, Map.of());
        assertEquals(2, source.starts.get(), "older than the TTL: measured again");

        MeteredEnergySource otherMachine = new MeteredEnergySource("meter", new double[] {30}, 3, 5);
        otherMachine.probedDevice = "GPU-other";
        new BaselineMeter(file).baseline("meter", otherMachine, DURATION_NANOS, INTERVAL_NANOS, HOUR_NANOS, Map.of());
        assertEquals(1, otherMachine.starts.get(), "other devices than the cached baseline's: measured again");
    }

    @Test
    void theCacheFolderComesFromThePropertyThenTheEnvironment() {
        assertEquals(Path.of("/p"), BaselineMeter.cacheDirectory("/p", Map.of("LEM_CACHE_DIR", "/e")));
        assertEquals(Path.of("/e"), BaselineMeter.cacheDirectory(null, Map.of("LEM_CACHE_DIR", "/e", "XDG_CACHE_HOME", "/x")));
        assertEquals(Path.of("/x/lem"), BaselineMeter.cacheDirectory(null, Map.of("XDG_CACHE_HOME", "/x")));
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "lem"), BaselineMeter.cacheDirectory(null, Map.of()));
    }

    @Test
    void standardDeviationNeedsTwoSamples() {
        PowerSample one = new PowerSample("d", 0, 10, Map.of());
        assertEquals(0, BaselineMeter.std(List.of(one)));
        // 10 and 14: mean 12, sd (n-1) = sqrt(8)
        assertEquals(Math.sqrt(8), BaselineMeter.std(List.of(one, new PowerSample("d", 1, 14, Map.of()))), 1e-12);
    }
}
