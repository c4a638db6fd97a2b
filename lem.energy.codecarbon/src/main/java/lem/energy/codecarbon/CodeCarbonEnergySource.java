package lem.energy.codecarbon;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import lem.api.energy.DeviceInfo;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyException;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.EnergySourceService;
import lem.api.energy.Probe;
import lem.api.energy.SessionSettings;
import lem.api.energy.SourceInfo;

/**
 * CodeCarbon's estimation method, in Java: measured figures where a counter exists (RAPL for the
 * CPU, NVML for GPUs, each through its own energy source service), CodeCarbon's models elsewhere
 * (TDP for the CPU, per-DIMM watts for RAM), and emissions from the country's grid intensity and
 * the PUE. Always available: where nothing can be read, it estimates, and says so.
 */
@Component(service = EnergySource.class, configurationPid = CodeCarbonEnergySource.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@EnergySourceService(source = CodeCarbonEnergySource.NAME)
@Designate(ocd = CodeCarbonEnergySource.Config.class)
public class CodeCarbonEnergySource implements EnergySource {
    public static final String NAME = "codecarbon";
    public static final String PID = "lem.energy.codecarbon";

    @ObjectClassDefinition(name = "lem CodeCarbon-method energy source",
            description = "Estimates CPU/RAM energy as CodeCarbon does, adds RAPL/NVML where present, and "
                    + "turns energy into emissions")
    public @interface Config {
        @AttributeDefinition(description = "CPU model when RAPL is unreadable: 'load' (TDP x (0.1 + 0.9 x load^3), "
                + "CodeCarbon's default) or 'constant' (TDP x 0.5)")
        String cpu_power_model() default "load";

        @AttributeDefinition(description = "Number of DIMMs for the RAM model; 0 estimates it from total memory")
        int dimm_count() default 0;

        @AttributeDefinition(description = "ISO 3166-1 alpha-3 country code of the grid (FRA, USA); empty uses "
                + "the world average, 475 g CO2/kWh")
        String country_iso_code() default "";

        @AttributeDefinition(description = "Power usage effectiveness of the data centre, 1.0 or more")
        double pue() default 1.0;

        @AttributeDefinition(description = "project_name column of emissions.csv")
        String project_name() default "lem";

        @AttributeDefinition(description = "procfs root read for cpuinfo, meminfo and stat")
        String proc_root() default "/proc";

        @AttributeDefinition(description = "How often CPU load and power are sampled, milliseconds (100 to 600000); "
                + "0 or unset: the session's interval (energy.interval_ms), 100 ms at least")
        long sample_interval_ms() default 0;
    }

    /** The RAPL source, used for the CPU figure when it can measure. */
    @Reference(target = "(" + EnergySource.NAME + "=rapl)", cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    volatile EnergySource rapl;

    /** The NVML source, whose session runs inside ours for the GPU figures. */
    @Reference(target = "(" + EnergySource.NAME + "=nvml)", cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    volatile EnergySource nvml;

    private final CpuPowerTable cpuTable = CpuPowerTable.load();
    private final CarbonIntensityTable intensityTable = CarbonIntensityTable.load();
    private volatile Map<String, ?> config = Map.of();

    @Activate
    @Modified
    void activate(Map<String, Object> properties) {
        configure(properties);
    }

    /** Sets the configuration (DS properties, or a map in tests), checked as a session would check it. */
    void configure(Map<String, ?> properties) {
        try {
            TrackerSettings.resolve(properties, Map.of());
        } catch (EnergyException e) {
            throw new IllegalArgumentException(PID + ": " + e.getMessage(), e);
        }
        this.config = Map.copyOf(properties);
    }

    @Override
    public SourceInfo info() {
        return new SourceInfo(NAME, "CodeCarbon's method: RAPL/NVML where present, TDP and DIMM models elsewhere, "
                + "emissions from grid carbon intensity", Set.of(EnergyDomain.CPU_PACKAGE, EnergyDomain.DRAM,
                        EnergyDomain.GPU), true);
    }

    @Override
    public Probe probe() {
        TrackerSettings settings;
        try {
            settings = TrackerSettings.resolve(config, Map.of());
        } catch (EnergyException e) {
            return Probe.unavailable(e.getMessage());
        }
        ProcFacts proc = new ProcFacts(settings.procRoot());
        EnergySource raplNow = rapl;
        EnergySource nvmlNow = nvml;
        boolean raplUsable = raplNow != null && raplNow.probe().available();
        CpuPowerPlan cpu = cpuPlan(proc, raplUsable);
        RamPowerPlan ram = ramPlan(proc, settings);
        Probe gpuProbe = nvmlNow == null ? null : nvmlNow.probe();
        boolean gpus = gpuProbe != null && gpuProbe.available();

        List<DeviceInfo> devices = new ArrayList<>();
        devices.add(new DeviceInfo("cpu", cpu.model(), EnergyDomain.CPU_PACKAGE,
                Map.of("cpu_power_method", cpu.methodKey(settings.cpuPowerModel()),
                        "tdp_watts", CpuPowerPlan.fmt(cpu.totalTdpWatts()),
                        "sockets", Integer.toString(cpu.sockets()))));
        devices.add(new DeviceInfo("ram", "RAM", EnergyDomain.DRAM,
                Map.of("dimm_count", Integer.toString(ram.dimmCount()),
                        "power_watts", Double.toString(ram.powerWatts()))));
        if (gpus) {
            devices.addAll(gpuProbe.devices());
        }
        GridIntensity grid = intensityTable.forCountry(settings.countryIsoCode());
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("carbon_intensity_g_per_kwh", Double.toString(grid.gramsPerKwh()));
        facts.put("country_iso_code", grid.isoCode());
        facts.put("pue", Double.toString(settings.pue()));
        String reason = "estimate (CodeCarbon method): CPU from " + cpu.describe(settings.cpuPowerModel())
                + ", RAM from " + ram.describe() + ", GPU from "
                + (gpus ? "NVML (" + gpuProbe.devices().size() + " GPUs)" : "none")
                + (grid.worldAverage() ? "; carbon intensity: world average 475 g/kWh (country unknown)"
                        : "; carbon intensity: " + grid.countryName() + " " + grid.gramsPerKwh() + " g/kWh");
        return new Probe(true, reason, devices, facts);
    }

    @Override
    public EnergySession start(SessionSettings sessionSettings) throws EnergyException {
        TrackerSettings settings = TrackerSettings.resolve(config, sessionSettings.options());
        ProcFacts proc = new ProcFacts(settings.procRoot());
        List<String> warnings = new ArrayList<>();

        // RAPL is started last, just before the session's own start: NVML's probe and start
        // (nvmlInit, ~4 ms per counter read) and the procfs reads must not fall inside the CPU
        // counters' window, which is reported as the session's.
        EnergySource raplNow = rapl;
        Probe raplProbe = raplNow == null ? null : raplNow.probe();
        if (raplProbe != null && !raplProbe.available()) {
            warnings.add("RAPL unavailable, CPU from the TDP model: " + raplProbe.reason());
        }
        EnergySession nvmlSession = null;
        EnergySource nvmlNow = nvml;
        List<String> gpuNames = new ArrayList<>();
        if (nvmlNow != null) {
            Probe nvmlProbe = nvmlNow.probe();
            if (nvmlProbe.available()) {
                Set<String> gpuIds = new java.util.HashSet<>(sessionSettings.deviceIds());
                gpuIds.removeAll(Set.of("cpu", "ram"));
                try {
                    nvmlSession = nvmlNow.start(new SessionSettings(sessionSettings.sampleIntervalNanos(), gpuIds,
                            sessionSettings.options()));
                    nvmlProbe.devices().stream()
                            .filter(d -> gpuIds.isEmpty() || gpuIds.contains(d.id()))
                            .forEach(d -> gpuNames.add(d.name()));
                } catch (EnergyException e) {
                    warnings.add("NVML could not start, GPU energy left out: " + e.getMessage());
                }
            }
        }
        RamPowerPlan ram = ramPlan(proc, settings);
        GridIntensity grid = intensityTable.forCountry(settings.countryIsoCode());
        String os = System.getProperty("os.name") + "-" + System.getProperty("os.version") + "-"
                + System.getProperty("os.arch");
        int cpuCount = proc.cpuCount();
        CpuPowerPlan tdpPlan = cpuPlan(proc, false);
        EnergySession raplSession = null;
        if (raplProbe != null && raplProbe.available()) {
            try {
                raplSession = raplNow.start(new SessionSettings(sessionSettings.sampleIntervalNanos(), Set.of(),
                        Map.of()));
            } catch (EnergyException e) {
                warnings.add("RAPL could not start (" + e.getMessage() + "); CPU from the TDP model");
            }
        }
        CpuPowerPlan cpu = raplSession == null ? tdpPlan
                : new CpuPowerPlan(true, tdpPlan.model(), tdpPlan.tableName(), tdpPlan.tdpWatts(),
                        tdpPlan.sockets());
        CodeCarbonSession.HostFacts host = new CodeCarbonSession.HostFacts(cpu.model(), cpuCount,
                ram.totalGb(), gpuNames, os);
        long intervalNanos = settings.sampleIntervalNanos(sessionSettings.sampleIntervalNanos());
        if (intervalNanos > sessionSettings.sampleIntervalNanos() && settings.sampleIntervalNanos() == 0) {
            warnings.add(String.format(Locale.ROOT, "CPU load sampled every %d ms, not every %.0f ms as asked: "
                    + "/proc/stat counts 100 ticks a second per CPU, too few to tell a load over a shorter interval",
                    intervalNanos / 1_000_000, sessionSettings.sampleIntervalNanos() / 1e6));
        }
        return new CodeCarbonSession(settings, intervalNanos, cpu, ram, grid, raplSession, nvmlSession, proc, host,
                warnings);
    }

    private CpuPowerPlan cpuPlan(ProcFacts proc, boolean fromRapl) {
        String model = proc.cpuModel().orElse("unknown");
        int sockets = proc.socketCount();
        return cpuTable.match(model)
                .map(m -> new CpuPowerPlan(fromRapl, model, m.tableName(), m.tdpWatts(), sockets))
                .orElse(new CpuPowerPlan(fromRapl, model, "", CpuPowerPlan.DEFAULT_TDP_WATTS, sockets));
    }

    private static RamPowerPlan ramPlan(ProcFacts proc, TrackerSettings settings) {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean arm = arch.contains("arm") || arch.contains("aarch");
        return RamPowerPlan.of(settings.dimmCount(), proc.totalMemoryGb().orElse(0.0), arm);
    }
}
