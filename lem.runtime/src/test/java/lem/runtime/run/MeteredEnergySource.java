package lem.runtime.run;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.DeviceInfo;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.PowerSample;
import lem.api.energy.Probe;
import lem.api.energy.SessionSettings;
import lem.api.energy.SourceInfo;

/**
 * Stands in for a GPU energy counter: session k draws a constant {@code sessionWatts[k]} (the last
 * value repeats), so its counter grows by exactly watts x elapsed time; a sampler thread reads
 * power at the session's interval, {@code sessionWatts[k] + sampleOffsetsWatts[i % n]} for the
 * i-th sample. Every session and every sample it gave is kept for the test to compare with.
 */
final class MeteredEnergySource implements EnergySource {
    static final String DEVICE = "GPU-test-0";

    private final String name;
    private final double[] sessionWatts;
    private final double[] sampleOffsetsWatts;
    final AtomicInteger starts = new AtomicInteger();
    /** How long start() and stop() take, as a real source's first and last reads do: its window exceeds the work's. */
    private volatile long edgeDelayNanos;
    /** The device the probe reports: another one stands for another machine's GPU. */
    volatile String probedDevice = DEVICE;
    final List<Session> sessions = Collections.synchronizedList(new ArrayList<>());

    MeteredEnergySource(String name, double[] sessionWatts, double... sampleOffsetsWatts) {
        this.name = name;
        this.sessionWatts = sessionWatts.clone();
        this.sampleOffsetsWatts = sampleOffsetsWatts.length == 0 ? new double[] {0} : sampleOffsetsWatts.clone();
    }

    /** Makes start() return and stop() read its end {@code millis} later. */
    MeteredEnergySource withEdgeDelay(long millis) {
        edgeDelayNanos = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        return this;
    }

    @Override
    public SourceInfo info() {
        return new SourceInfo(name, "test counter", Set.of(EnergyDomain.GPU), false);
    }

    @Override
    public Probe probe() {
        return new Probe(true, "", List.of(new DeviceInfo(probedDevice, "Test GPU", EnergyDomain.GPU, Map.of())),
                Map.of("driver_version", "test-1"));
    }

    @Override
    public EnergySession start(SessionSettings settings) {
        int k = starts.getAndIncrement();
        Session session = new Session(sessionWatts[Math.min(k, sessionWatts.length - 1)], settings.sampleIntervalNanos());
        sessions.add(session);
        LockSupport.parkNanos(edgeDelayNanos);
        return session;
    }

    final class Session implements EnergySession {
        final double watts;
        final long intervalNanos;
        final long startNanos = System.nanoTime();
        final List<PowerSample> given = Collections.synchronizedList(new ArrayList<>());
        private final List<PowerSample> pending = new ArrayList<>();
        private final Thread sampler;
        private volatile boolean sampling = true;
        volatile EnergyReading reading;

        Session(double watts, long intervalNanos) {
            this.watts = watts;
            this.intervalNanos = intervalNanos;
            sampler = new Thread(() -> {
                int i = 0;
                while (sampling) {
                    LockSupport.parkNanos(intervalNanos);
                    if (!sampling) {
                        break;
                    }
                    PowerSample s = new PowerSample(DEVICE, System.nanoTime(),
                            watts + sampleOffsetsWatts[i++ % sampleOffsetsWatts.length], Map.of(PowerSample.PSTATE, 2.0));
                    given.add(s);
                    synchronized (pending) {
                        pending.add(s);
                    }
                }
            }, "test-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        @Override
        public List<PowerSample> drainSamples() {
            synchronized (pending) {
                List<PowerSample> out = List.copyOf(pending);
                pending.clear();
                return out;
            }
        }

        @Override
        public EnergyReading stop() {
            LockSupport.parkNanos(edgeDelayNanos);
            long end = System.nanoTime();
            close();
            reading = new EnergyReading(name, startNanos, end, List.of(new DeviceEnergy(DEVICE, EnergyDomain.GPU,
                    watts * (end - startNanos) / 1e9, EnergyMethod.COUNTER, false, "test counter")), List.of(), List.of(),
                    Map.of());
            return reading;
        }

        @Override
        public void close() {
            sampling = false;
            LockSupport.unpark(sampler);
            try {
                sampler.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
