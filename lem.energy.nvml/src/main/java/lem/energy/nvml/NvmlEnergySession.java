package lem.energy.nvml;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyException;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;
import lem.api.energy.EnergySession;
import lem.api.energy.PowerSample;
import lem.api.energy.ThrottlePeriod;

/**
 * One NVML measurement window: energy counters read at its edges and about once a second in
 * between, power and telemetry sampled in the background. NVML stays initialised until the
 * window closes, since the counter restarts when the driver reloads.
 */
final class NvmlEnergySession implements EnergySession {
    static final String SOURCE = "nvml";
    /** How often the energy counters are read between the edges (to catch a driver reload). */
    static final long COUNTER_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Nvml nvml;
    private final Nvml.Scope scope;
    private final List<SampledDevice> devices = new ArrayList<>();
    private final Map<String, EnergyCounter> counters = new LinkedHashMap<>();
    private final Queue<PowerSample> samples = new ConcurrentLinkedQueue<>();
    private final PowerSampler sampler;
    /** Reads every counter about once a second: a read costs about 4 ms, so never faster. */
    private final DeadlineLoop counterLoop;
    private final List<String> warnings = new ArrayList<>();
    private long startNanos;
    private EnergyReading reading;
    private boolean closed;

    NvmlEnergySession(Nvml nvml, Nvml.Scope scope, List<GpuDevice> measured, long intervalNanos,
            List<String> settingsWarnings) {
        this.nvml = nvml;
        this.scope = scope;
        warnings.addAll(settingsWarnings);
        Map<String, List<String>> idsByBoard = new LinkedHashMap<>();
        for (GpuDevice device : measured) {
            devices.add(new SampledDevice(new DeviceTelemetry(nvml, device)));
            counters.computeIfAbsent(device.boardId(),
                    board -> new EnergyCounter(nvml.samplerCalls(), device.boardHandle()));
            idsByBoard.computeIfAbsent(device.boardId(), board -> new ArrayList<>()).add(device.id());
        }
        idsByBoard.forEach((board, ids) -> {
            if (ids.size() > 1) {
                warnings.add("devices " + ids + " share the board " + board
                        + ": each reports the whole board's energy, so their sum counts it " + ids.size() + " times");
            }
        });
        this.sampler = new PowerSampler(devices, samples, intervalNanos);
        this.counterLoop = new DeadlineLoop("lem-nvml-counter", COUNTER_PERIOD_NANOS) {
            @Override
            void tick(long nowNanos) {
                readCounters();
            }
        };
    }

    /** Opens the window now: counters first (the window's edge), then one sample, then the threads. */
    void begin() {
        startNanos = System.nanoTime();
        readCounters();
        sampler.sampleNow();
        sampler.start(startNanos);
        counterLoop.start(startNanos);
    }

    private void readCounters() {
        for (EnergyCounter counter : counters.values()) {
            counter.read(nvml);
        }
    }

    @Override
    public List<PowerSample> drainSamples() {
        List<PowerSample> drained = new ArrayList<>();
        PowerSample sample;
        while ((sample = samples.poll()) != null) {
            drained.add(sample);
        }
        return drained;
    }

    @Override
    public synchronized EnergyReading stop() throws EnergyException {
        if (reading != null) {
            return reading;
        }
        if (closed) {
            throw new EnergyException("the NVML session was closed before stop(): it has no reading");
        }
        sampler.halt();
        counterLoop.halt();
        sampler.sampleNow();
        readCounters();
        long endNanos = System.nanoTime();
        closed = true;
        scope.close();
        reading = buildReading(endNanos);
        return reading;
    }

    private EnergyReading buildReading(long endNanos) {
        List<DeviceEnergy> energies = new ArrayList<>();
        List<ThrottlePeriod> throttling = new ArrayList<>();
        Set<String> powerFields = new LinkedHashSet<>();
        Set<String> reasonSources = new LinkedHashSet<>();
        for (SampledDevice device : devices) {
            GpuDevice gpu = device.device();
            DeviceTelemetry telemetry = device.telemetry();
            EnergyCounter counter = counters.get(gpu.boardId());
            throttling.addAll(device.throttling().periods(endNanos));
            if (!telemetry.powerField().isEmpty()) {
                powerFields.add(telemetry.powerField());
            }
            reasonSources.add(telemetry.reasonsSource());
            if (telemetry.failedPowerReads() > 0) {
                warnings.add(gpu.id() + ": " + telemetry.failedPowerReads() + " power readings failed and were skipped");
            }
            if (telemetry.powerFallbackReads() > 0) {
                warnings.add(gpu.id() + ": field 186 POWER_INSTANT failed " + telemetry.powerFallbackReads()
                        + " times; those samples hold nvmlDeviceGetPowerUsage (a 1 s average on Hopper)");
            }
            DeviceEnergy energy = deviceEnergy(device, counter, endNanos);
            if (energy != null) {
                energies.add(energy);
            }
        }
        long missed = sampler.missedDeadlines();
        if (missed > 0) {
            warnings.add("the sampler missed " + missed + " deadlines at " + sampler.intervalNanos() / 1e6
                    + " ms: sampling took longer than the interval");
        }
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("power_field", String.join("; ", powerFields));
        facts.put("clock_event_reasons_function", String.join("; ", reasonSources));
        facts.put("sample_interval_ms", Double.toString(sampler.intervalNanos() / 1e6));
        facts.put("nvml_library", nvml.libraryName());
        facts.put("nvml_binding", nvml.directSampling() ? "jna direct mapping" : "jna interface proxy");
        int reads = counters.values().stream().mapToInt(EnergyCounter::reads).max().orElse(0);
        facts.put("energy_counter_reads", Integer.toString(reads));
        return new EnergyReading(SOURCE, startNanos, endNanos, energies, throttling, warnings, facts);
    }

    /** The counter's delta, or the power integral where the counter is missing or untrustworthy. */
    private DeviceEnergy deviceEnergy(SampledDevice device, EnergyCounter counter, long endNanos) {
        GpuDevice gpu = device.device();
        String shared = gpu.mig() ? "MIG instance of " + gpu.boardId()
                + ": the figure is the whole board's, shared with its other instances; " : "";
        double counterJoules = counter.deltaJoules();
        if (!Double.isNaN(counterJoules)) {
            return new DeviceEnergy(gpu.id(), EnergyDomain.GPU, counterJoules, EnergyMethod.COUNTER, gpu.mig(),
                    shared + "nvmlDeviceGetTotalEnergyConsumption delta over the window (" + counter.reads()
                            + " reads; the counter steps about every 100 ms)");
        }
        String why;
        if (!counter.supported()) {
            why = "the energy counter is not supported on this GPU (" + counter.unsupportedReason() + ")";
        } else if (!counter.wentBackwards().isEmpty()) {
            why = "the energy counter went backwards (" + counter.wentBackwards() + ")";
            warnings.add(gpu.boardId() + ": the energy counter went backwards during the window ("
                    + counter.wentBackwards() + "; driver reloaded?): its energy is the integral of sampled power");
        } else {
            why = "the energy counter could not be read at the window's end (" + counter.lastError() + ")";
            warnings.add(gpu.boardId() + ": " + why + ": its energy is the integral of sampled power");
        }
        PowerIntegral integral = device.integral();
        if (integral.samples() < 2) {
            warnings.add(gpu.id() + ": no energy: " + why + " and fewer than 2 power samples were taken");
            return null;
        }
        return new DeviceEnergy(gpu.id(), EnergyDomain.GPU, integral.energyJoules(startNanos, endNanos),
                EnergyMethod.POWER_INTEGRATION, gpu.mig(), shared + why + "; trapezoid integral of " + integral.samples()
                        + " samples of " + device.telemetry().powerField() + " every " + sampler.intervalNanos() / 1e6
                        + " ms, first and last held to the window's edges");
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        sampler.halt();
        counterLoop.halt();
        scope.close();
    }

    PowerSampler sampler() {
        return sampler;
    }

    Thread counterThread() {
        return counterLoop.thread();
    }

    Collection<EnergyCounter> counters() {
        return counters.values();
    }
}
