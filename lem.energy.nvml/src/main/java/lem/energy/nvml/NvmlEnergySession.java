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
 * <p>
 * The counter steps about every 100 ms and holds the energy up to its latest step, so a plain
 * delta of two reads covers the interval between the steps before each read, not the window: up
 * to 100 ms off at each edge, 10% of a 1 s window. After each edge the counter is polled until it
 * steps, so each edge lies inside a step whose energy the counter gives exactly; that energy is
 * shared out within the step by the shape of the sampled power (see {@link CounterEdge}). The
 * step period is measured at the start (two steps after the first edge).
 */
final class NvmlEnergySession implements EnergySession {
    static final String SOURCE = "nvml";
    /** How often the energy counters are read between the edges (to catch a driver reload). */
    static final long COUNTER_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long to poll for the counter's first step after an edge: it steps about every 100 ms. */
    static final long STEP_SEARCH_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** The counter's step period assumed where a step could not be located (the error bound then). */
    static final long ASSUMED_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Nvml nvml;
    private final Nvml.Scope scope;
    private final List<SampledDevice> devices = new ArrayList<>();
    private final Map<String, EnergyCounter> counters = new LinkedHashMap<>();
    private final Queue<PowerSample> samples = new ConcurrentLinkedQueue<>();
    private final PowerSampler sampler;
    /** Reads every counter about once a second: a read costs about 4 ms, so never faster. */
    private final DeadlineLoop counterLoop;
    private final List<String> warnings = new ArrayList<>();
    /** Per board: the read at the window's start and the counter's first step after it (null when not seen). */
    private final Map<String, EnergyCounter.Read> startReads = new LinkedHashMap<>();
    private final Map<String, EnergyCounter.Step> startSteps = new java.util.concurrent.ConcurrentHashMap<>();
    /** Per board: the counter's step period measured after the start, ns. */
    private final Map<String, Long> stepPeriods = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, EnergyCounter.Read> endReads = new LinkedHashMap<>();
    private final Map<String, EnergyCounter.Step> endSteps = new LinkedHashMap<>();
    private Thread startStepSearch;
    private final Map<String, Double> expectedErrorJoules = new LinkedHashMap<>();
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

    /**
     * Opens the window now: counters first (the window's edge), then one sample, then the threads;
     * one of them polls each counter until its first step.
     */
    void begin() {
        startNanos = System.nanoTime();
        counters.forEach((board, counter) -> {
            EnergyCounter.Read read = counter.readValue(nvml);
            if (read != null) {
                startReads.put(board, read);
            }
        });
        sampler.sampleNow();
        sampler.start(startNanos);
        counterLoop.start(startNanos);
        startStepSearch = new Thread(() -> startReads.forEach((board, read) -> {
            EnergyCounter counter = counters.get(board);
            EnergyCounter.Step step = counter.awaitStep(nvml, read, STEP_SEARCH_NANOS);
            if (step != null) {
                startSteps.put(board, step);
                // one more step gives the period
                EnergyCounter.Step next = counter.awaitStep(nvml, new EnergyCounter.Read(step.millijoules(),
                        step.atNanos() + step.halfWidthNanos(), 0), STEP_SEARCH_NANOS);
                if (next != null && next.atNanos() - step.atNanos() > ASSUMED_STEP_NANOS / 2
                        && next.atNanos() - step.atNanos() < ASSUMED_STEP_NANOS * 2) {
                    stepPeriods.put(board, next.atNanos() - step.atNanos());
                }
            }
        }), "lem-nvml-counter-step");
        startStepSearch.setDaemon(true);
        startStepSearch.start();
    }

    private void joinStartStepSearch() {
        boolean interrupted = false;
        while (startStepSearch != null && startStepSearch.isAlive()) {
            try {
                startStepSearch.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
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
        long endNanos = System.nanoTime();
        sampler.deliverUntil(endNanos);
        joinStartStepSearch();
        counterLoop.halt();
        // the edge read, then its step: the sampler runs on, so the power between them is known
        counters.forEach((board, counter) -> {
            EnergyCounter.Read read = counter.readValue(nvml);
            if (read != null) {
                endReads.put(board, read);
                EnergyCounter.Step step = counter.awaitStep(nvml, read, STEP_SEARCH_NANOS);
                if (step != null) {
                    endSteps.put(board, step);
                }
            }
        });
        sampler.halt();
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
        expectedErrorJoules.forEach((id, joules) -> {
            if (Double.isFinite(joules)) {
                facts.put(EnergyReading.EXPECTED_ERROR_JOULES + id, Double.toString(joules));
            }
        });
        return new EnergyReading(SOURCE, startNanos, endNanos, energies, throttling, warnings, facts);
    }

    /** The counter's delta, or the power integral where the counter is missing or untrustworthy. */
    private DeviceEnergy deviceEnergy(SampledDevice device, EnergyCounter counter, long endNanos) {
        GpuDevice gpu = device.device();
        String shared = gpu.mig() ? "MIG instance of " + gpu.boardId()
                + ": the figure is the whole board's, shared with its other instances; " : "";
        double counterJoules = counter.deltaJoules();
        PowerIntegral integral = device.integral();
        if (!Double.isNaN(counterJoules)) {
            EnergyCounter.Step startStep = startSteps.get(gpu.boardId());
            EnergyCounter.Step endStep = endSteps.get(gpu.boardId());
            if (startStep != null && endStep != null && integral.samples() > 0) {
                long period = stepPeriods.getOrDefault(gpu.boardId(), ASSUMED_STEP_NANOS);
                CounterEdge start = new CounterEdge(startReads.get(gpu.boardId()), startStep, period);
                CounterEdge end = new CounterEdge(endReads.get(gpu.boardId()), endStep, period);
                double joules = end.joulesAt(endNanos, integral) - start.joulesAt(startNanos, integral);
                double linearJoules = end.linearJoulesAt(endNanos) - start.linearJoulesAt(startNanos);
                // where the power's shape moved the figure off the counter's own straight line, the
                // counter alone cannot confirm it; the steps' instants are known to their half widths
                double error = start.locationErrorJoules() + end.locationErrorJoules()
                        + Math.abs(joules - linearJoules) + 0.002;
                expectedErrorJoules.put(gpu.id(), error);
                return new DeviceEnergy(gpu.id(), EnergyDomain.GPU, Math.max(0, joules), EnergyMethod.COUNTER,
                        gpu.mig(), shared + String.format(java.util.Locale.ROOT, "nvmlDeviceGetTotalEnergyConsumption, "
                                + "each edge placed inside its counter step (steps %.1f ms and %.1f ms after the edges, "
                                + "located to +-%.1f ms; period %.1f ms %s), the step's energy shared by the sampled "
                                + "power's shape (%+.3f J against sharing it in proportion to time); expected error "
                                + "+-%.3f J", (startStep.atNanos() - startNanos) / 1e6, (endStep.atNanos() - endNanos) / 1e6,
                                Math.max(startStep.halfWidthNanos(), endStep.halfWidthNanos()) / 1e6, period / 1e6,
                                stepPeriods.containsKey(gpu.boardId()) ? "measured" : "assumed", joules - linearJoules,
                                error));
            }
            double error = integral.samples() == 0 ? Double.NaN
                    : (integral.wattsAt(startNanos) + integral.wattsAt(endNanos)) * ASSUMED_STEP_NANOS / 1e9;
            expectedErrorJoules.put(gpu.id(), error);
            return new DeviceEnergy(gpu.id(), EnergyDomain.GPU, counterJoules, EnergyMethod.COUNTER, gpu.mig(),
                    shared + "nvmlDeviceGetTotalEnergyConsumption delta over the window (" + counter.reads()
                            + " reads); its steps (about every 100 ms) were not located after "
                            + (startStep == null ? "the start" : "the end") + ", so each edge may be off by up to one "
                            + "step's energy");
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
        if (integral.samples() < 2) {
            warnings.add(gpu.id() + ": no energy: " + why + " and fewer than 2 power samples were taken");
            return null;
        }
        expectedErrorJoules.put(gpu.id(), integral.roughnessJoules());
        return new DeviceEnergy(gpu.id(), EnergyDomain.GPU, integral.joulesBetween(startNanos, endNanos),
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
        joinStartStepSearch();
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
