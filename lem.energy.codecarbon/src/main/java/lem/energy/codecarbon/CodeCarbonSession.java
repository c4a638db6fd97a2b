package lem.energy.codecarbon;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 * One window measured with CodeCarbon's method: CPU from RAPL or a TDP model sampled in the
 * background, RAM from the DIMM model, GPUs from an NVML session run inside this one; emissions
 * from the grid's carbon intensity and the PUE.
 */
final class CodeCarbonSession implements EnergySession {
    /** 1 kWh = 3.6e6 J. */
    static final double JOULES_PER_KWH = 3.6e6;

    /** Host facts the emissions.csv row records. */
    record HostFacts(String cpuModel, int cpuCount, double ramTotalGb, List<String> gpuNames, String os) {
    }

    private final TrackerSettings settings;
    private final CpuPowerPlan cpuPlan;
    private final RamPowerPlan ramPlan;
    private final GridIntensity grid;
    private final EnergySession raplSession;
    private final EnergySession nvmlSession;
    private final ProcFacts proc;
    private final HostFacts host;
    private final List<String> warnings;
    private final long startNanos;
    private final Instant startWallClock;
    private final Queue<PowerSample> samples = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService sampler;
    private final Object lock = new Object();

    private long lastSampleNanos;
    private ProcFacts.CpuTimes lastCpuTimes;
    private double lastCpuPowerWatts;
    private double estimatedCpuJoules;
    private EnergyReading reading;
    private boolean closed;

    CodeCarbonSession(TrackerSettings settings, long sampleIntervalNanos, CpuPowerPlan cpuPlan, RamPowerPlan ramPlan, GridIntensity grid,
            EnergySession raplSession, EnergySession nvmlSession, ProcFacts proc, HostFacts host,
            List<String> warnings) {
        this.settings = settings;
        this.cpuPlan = cpuPlan;
        this.ramPlan = ramPlan;
        this.grid = grid;
        this.raplSession = raplSession;
        this.nvmlSession = nvmlSession;
        this.proc = proc;
        this.host = host;
        this.warnings = new ArrayList<>(warnings);
        this.startWallClock = Instant.now(); // the one wall-clock anchor, for the CSV timestamp
        this.startNanos = System.nanoTime();
        this.lastSampleNanos = startNanos;
        this.lastCpuTimes = proc.cpuTimes().orElse(null);
        this.lastCpuPowerWatts = settings.cpuPowerModel().powerWatts(cpuPlan.totalTdpWatts(), 0);
        if (!cpuPlan.fromRapl() && settings.cpuPowerModel() == CpuPowerModel.LOAD && lastCpuTimes == null) {
            this.warnings.add(proc.root().resolve("stat") + " unreadable: CPU load taken as 0, "
                    + "so CPU power is the model's floor, TDP x 0.1");
        }
        this.sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lem-codecarbon-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(this::sampleQuietly, sampleIntervalNanos, sampleIntervalNanos,
                TimeUnit.NANOSECONDS);
    }

    private void sampleQuietly() {
        synchronized (lock) {
            if (!closed) {
                sample(System.nanoTime());
            }
        }
    }

    /**
     * Integrates the estimated CPU power since the previous sample; called with the lock held.
     *
     * <p>Each sample is an average over the interval since the previous one (the load is the busy
     * fraction of the ticks between two reads of /proc/stat; RAM power is constant), not the power
     * at the moment it was taken. The runtime's power series treats samples as instants and
     * interpolates between them, so a sample stamped at the interval's end would move the power
     * half an interval later than it was drawn and shift the prefill/decode split by as much. Each
     * sample is therefore stamped at the middle of the interval it averages, where a linear power
     * draw equals its average.
     */
    private void sample(long now) {
        long middle = lastSampleNanos + (now - lastSampleNanos) / 2;
        if (!cpuPlan.fromRapl()) {
            double powerWatts = lastCpuPowerWatts;
            if (settings.cpuPowerModel() == CpuPowerModel.LOAD) {
                ProcFacts.CpuTimes times = proc.cpuTimes().orElse(null);
                if (times != null && lastCpuTimes != null) {
                    powerWatts = ProcFacts.load(lastCpuTimes, times)
                            .map(load -> settings.cpuPowerModel().powerWatts(cpuPlan.totalTdpWatts(), load))
                            .orElse(lastCpuPowerWatts);
                }
                if (times != null) {
                    lastCpuTimes = times;
                }
            }
            estimatedCpuJoules += powerWatts * (now - lastSampleNanos) / 1e9;
            lastCpuPowerWatts = powerWatts;
            samples.add(new PowerSample("cpu", middle, powerWatts, Map.of()));
        }
        samples.add(new PowerSample("ram", middle, ramPlan.powerWatts(), Map.of()));
        lastSampleNanos = now;
    }

    @Override
    public List<PowerSample> drainSamples() {
        List<PowerSample> drained = new ArrayList<>();
        PowerSample s;
        while ((s = samples.poll()) != null) {
            drained.add(s);
        }
        if (raplSession != null) {
            drained.addAll(raplSession.drainSamples());
        }
        if (nvmlSession != null) {
            drained.addAll(nvmlSession.drainSamples());
        }
        return drained;
    }

    @Override
    public EnergyReading stop() throws EnergyException {
        synchronized (lock) {
            if (reading != null) {
                return reading;
            }
            if (closed) {
                throw new EnergyException("codecarbon: the session was closed before stop()");
            }
            long endNanos = System.nanoTime();
            sample(endNanos);
            closed = true;
            sampler.shutdownNow();
            double durationSeconds = (endNanos - startNanos) / 1e9;

            List<DeviceEnergy> devices = new ArrayList<>();
            List<ThrottlePeriod> throttling = new ArrayList<>();
            double cpuJoules = cpuJoules(devices, durationSeconds);
            double ramJoules = ramPlan.powerWatts() * durationSeconds;
            devices.add(new DeviceEnergy("ram", EnergyDomain.DRAM, ramJoules, EnergyMethod.ESTIMATE, false,
                    "CodeCarbon RAM model: " + ramPlan.describe()));
            double gpuJoules = gpuJoules(devices, throttling);

            double itKwh = (cpuJoules + ramJoules + gpuJoules) / JOULES_PER_KWH;
            double consumedKwh = itKwh * settings.pue();
            double emissionsKg = consumedKwh * grid.gramsPerKwh() / 1000.0;

            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("emissions_kg_co2", Double.toString(emissionsKg));
            facts.put("carbon_intensity_g_per_kwh", Double.toString(grid.gramsPerKwh()));
            facts.put("country_iso_code", grid.isoCode());
            facts.put("country_name", grid.countryName());
            facts.put("carbon_intensity_source", grid.worldAverage()
                    ? "world average 475 g/kWh (" + (grid.isoCode().isEmpty() ? "no country_iso_code given"
                            : "no figure for " + grid.isoCode()) + ")"
                    : "Our World in Data 2021 via CodeCarbon's global_energy_mix.json");
            facts.put("pue", Double.toString(settings.pue()));
            facts.put("energy_consumed_kwh", Double.toString(consumedKwh));
            facts.put("cpu_power_method", cpuPlan.methodKey(settings.cpuPowerModel()));
            facts.put("cpu_power_watts", Double.toString(durationSeconds > 0 ? cpuJoules / durationSeconds : 0));
            facts.put("ram_power_watts", Double.toString(ramPlan.powerWatts()));
            facts.put("ram_power_method", ramPlan.describe());
            if (grid.worldAverage()) {
                warnings.add(facts.get("carbon_intensity_source")
                        + "; set country_iso_code (ISO 3166-1 alpha-3) for the grid's own figure");
            }

            settings.outputDir().ifPresent(dir -> {
                EmissionsRow row = row(endNanos, durationSeconds, emissionsKg, cpuJoules, ramJoules, gpuJoules,
                        consumedKwh, devices);
                EmissionsCsvWriter writer = new EmissionsCsvWriter(dir);
                try {
                    String moved = writer.append(row);
                    if (!moved.isEmpty()) {
                        warnings.add(moved);
                    }
                    facts.put("emissions_csv", writer.file().toString());
                } catch (IOException e) {
                    warnings.add("could not append to " + writer.file() + ": " + e.getMessage());
                }
            });
            reading = new EnergyReading(CodeCarbonEnergySource.NAME, startNanos, endNanos, devices, throttling,
                    warnings, facts);
            return reading;
        }
    }

    private double cpuJoules(List<DeviceEnergy> devices, double durationSeconds) {
        if (raplSession != null) {
            try {
                EnergyReading rapl = raplSession.stop();
                List<String> zones = new ArrayList<>();
                double joules = 0;
                for (DeviceEnergy d : rapl.devices()) {
                    if (d.domain() == EnergyDomain.CPU_PACKAGE) {
                        joules += d.energyJoules();
                        zones.add(d.deviceId());
                    }
                }
                rapl.warnings().forEach(warnings::add);
                devices.add(new DeviceEnergy("cpu", EnergyDomain.CPU_PACKAGE, joules, EnergyMethod.COUNTER, false,
                        "RAPL package counters " + String.join(" + ", zones)));
                return joules;
            } catch (EnergyException e) {
                // The counters failed at the end: the TDP estimate is all that is left.
                warnings.add("RAPL failed at the window's end (" + e.getMessage()
                        + "); CPU figure is the TDP estimate instead");
                double joules = cpuPlan.totalTdpWatts() > 0
                        ? settings.cpuPowerModel().powerWatts(cpuPlan.totalTdpWatts(), 0) * durationSeconds
                        : 0;
                devices.add(new DeviceEnergy("cpu", EnergyDomain.CPU_PACKAGE, joules, EnergyMethod.ESTIMATE, false,
                        "fallback after RAPL failure: " + CpuPowerPlan.fmt(cpuPlan.totalTdpWatts()) + " W TDP at no load"));
                return joules;
            }
        }
        devices.add(new DeviceEnergy("cpu", EnergyDomain.CPU_PACKAGE, estimatedCpuJoules, EnergyMethod.ESTIMATE,
                false, "CodeCarbon CPU model: " + cpuPlan.describe(settings.cpuPowerModel())));
        return estimatedCpuJoules;
    }

    private double gpuJoules(List<DeviceEnergy> devices, List<ThrottlePeriod> throttling) {
        if (nvmlSession == null) {
            return 0;
        }
        try {
            EnergyReading nvml = nvmlSession.stop();
            double joules = 0;
            for (DeviceEnergy d : nvml.devices()) {
                if (d.domain() == EnergyDomain.GPU) {
                    devices.add(d);
                    joules += d.energyJoules();
                }
            }
            throttling.addAll(nvml.throttling());
            nvml.warnings().forEach(warnings::add);
            return joules;
        } catch (EnergyException e) {
            warnings.add("NVML failed at the window's end, GPU energy left out: " + e.getMessage());
            return 0;
        }
    }

    private EmissionsRow row(long endNanos, double durationSeconds, double emissionsKg, double cpuJoules,
            double ramJoules, double gpuJoules, double consumedKwh, List<DeviceEnergy> devices) {
        Instant end = startWallClock.plusNanos(endNanos - startNanos).truncatedTo(ChronoUnit.SECONDS);
        // ISO 8601 with its offset (UTC, written Z), so the time cannot be read in another zone
        String timestamp = DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(end.atOffset(ZoneOffset.UTC));
        double perSecond = durationSeconds > 0 ? 1 / durationSeconds : 0;
        long gpuCount = devices.stream().filter(d -> d.domain() == EnergyDomain.GPU).count();
        // CodeCarbon's energy columns include the PUE, so that cpu + gpu + ram = energy_consumed; the
        // power columns are the devices' own (IT) powers
        double pue = settings.pue();
        return new EmissionsRow(timestamp, settings.projectName(), UUID.randomUUID().toString(),
                settings.experimentId(), durationSeconds, emissionsKg, emissionsKg * perSecond,
                cpuJoules * perSecond, gpuJoules * perSecond, ramPlan.powerWatts(), cpuJoules * pue / JOULES_PER_KWH,
                gpuJoules * pue / JOULES_PER_KWH, ramJoules * pue / JOULES_PER_KWH, consumedKwh, grid.countryName(),
                grid.isoCode(), "", "", "", host.os(), "", "", host.cpuCount(), host.cpuModel(), (int) gpuCount,
                String.join(" ", host.gpuNames()), "", "", host.ramTotalGb(), "machine", "N", settings.pue());
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        sampler.shutdownNow();
        if (raplSession != null) {
            raplSession.close();
        }
        if (nvmlSession != null) {
            nvmlSession.close();
        }
    }
}
