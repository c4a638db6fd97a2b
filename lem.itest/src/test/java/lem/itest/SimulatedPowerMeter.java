package lem.itest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.DeviceInfo;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyException;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.PowerSample;
import lem.api.energy.SessionSettings;
import lem.api.energy.Probe;
import lem.api.energy.SourceInfo;

/**
 * An energy source for the end-to-end tests, standing in for a CPU package counter: power is
 * {@value #IDLE_WATTS} W, plus {@value #LOAD_WATTS} W while the backend generates. A sampler
 * thread integrates it into a joule counter and records a power sample each interval; a session's
 * energy is the counter's difference between start and stop. Every reading it returns is kept, so
 * a test can compare what lem stored with what was measured.
 */
final class SimulatedPowerMeter implements EnergySource {
    static final double IDLE_WATTS = 20.0;
    static final double LOAD_WATTS = 35.0;
    static final String DEVICE_ID = "itest-package-0";

    private final String name;
    private final BooleanSupplier busy;
    /** Joules since the meter was created; advanced by the open sessions' samplers. */
    private double counterJoules;
    private long counterNanos = System.nanoTime();
    /** Every reading a session returned, oldest first. */
    final List<EnergyReading> readings = new CopyOnWriteArrayList<>();
    /** When true, {@link #start} refuses as a meter whose device failed does. */
    private volatile BooleanSupplier failsToStart = () -> false;

    SimulatedPowerMeter(String name, BooleanSupplier busy) {
        this.name = name;
        this.busy = busy;
    }

    @Override
    public SourceInfo info() {
        return new SourceInfo(name, "simulated CPU package counter of lem.itest", Set.of(EnergyDomain.CPU_PACKAGE), false);
    }

    @Override
    public Probe probe() {
        return new Probe(true, "", List.of(new DeviceInfo(DEVICE_ID, "simulated package", EnergyDomain.CPU_PACKAGE,
                Map.of("tdp_watts", "65"))), Map.of());
    }

    double powerWatts() {
        return IDLE_WATTS + (busy.getAsBoolean() ? LOAD_WATTS : 0);
    }

    /** Advances the counter to now at the current power and returns it. */
    synchronized double readCounterJoules(long nowNanos) {
        counterJoules += powerWatts() * (nowNanos - counterNanos) / 1e9;
        counterNanos = nowNanos;
        return counterJoules;
    }

    /** From when {@code condition} holds, every start fails with {@link #START_FAULT}. */
    SimulatedPowerMeter failingToStartWhen(BooleanSupplier condition) {
        this.failsToStart = condition;
        return this;
    }

    static final String START_FAULT = "simulated meter fault: the counter did not answer at the window's start";

    @Override
    public EnergySession start(SessionSettings settings) throws EnergyException {
        if (failsToStart.getAsBoolean()) {
            throw new EnergyException(START_FAULT);
        }
        return new Session(settings.sampleIntervalNanos());
    }

    private final class Session implements EnergySession {
        private final long startNanos = System.nanoTime();
        private final double startJoules = readCounterJoules(startNanos);
        private final List<PowerSample> pending = new ArrayList<>();
        private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "itest-power-sampler");
            t.setDaemon(true);
            return t;
        });

        Session(long intervalNanos) {
            sampler.scheduleAtFixedRate(this::sample, 0, intervalNanos, TimeUnit.NANOSECONDS);
        }

        private void sample() {
            long now = System.nanoTime();
            readCounterJoules(now);
            PowerSample sample = new PowerSample(DEVICE_ID, now, powerWatts(), Map.of(PowerSample.TEMPERATURE_CELSIUS, 45.0));
            synchronized (pending) {
                pending.add(sample);
            }
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
            sampler.shutdownNow();
            long end = System.nanoTime();
            double joules = readCounterJoules(end) - startJoules;
            EnergyReading reading = new EnergyReading(name, startNanos, end, List.of(new DeviceEnergy(DEVICE_ID,
                    EnergyDomain.CPU_PACKAGE, joules, EnergyMethod.COUNTER, false, "simulated counter")), List.of(),
                    List.of(), Map.of());
            readings.add(reading);
            return reading;
        }

        @Override
        public void close() {
            sampler.shutdownNow();
        }
    }
}
