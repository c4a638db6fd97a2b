package lem.energy.nvml;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
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
 * NVIDIA GPUs through NVML: each board's energy counter, with power, temperature, clocks,
 * utilisation and clock-event (throttle) reasons sampled in the background. The library is loaded
 * when first needed; a host without it keeps running and {@link #probe()} says why.
 */
@Component(service = EnergySource.class, configurationPid = NvmlEnergySource.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@EnergySourceService(source = NvmlEnergySession.SOURCE)
@Designate(ocd = NvmlEnergySource.Config.class)
public final class NvmlEnergySource implements EnergySource {
    /** Configuration PID. */
    public static final String PID = "lem.energy.nvml";
    /** The shortest sampling interval: NVML's readings change only about every 100 ms on an H100. */
    public static final long MIN_SAMPLE_INTERVAL_MILLIS = 10;
    /** {@link SessionSettings#options()} key that overrides the session's interval for this source, ms. */
    public static final String OPTION_SAMPLE_INTERVAL_MS = "nvml.sample_interval_ms";

    @ObjectClassDefinition(name = "lem NVML energy source",
            description = "Energy, power and telemetry of NVIDIA GPUs through libnvidia-ml.")
    public @interface Config {
        @AttributeDefinition(name = "NVML library",
                description = "Path or JNA name of libnvidia-ml; empty: the system property lem.nvml.library,"
                        + " else libnvidia-ml.so.1, else nvidia-ml.")
        String library() default "";

        @AttributeDefinition(name = "Default sample interval (ms)", min = "10",
                description = "The power sampling interval this source advertises (probe fact"
                        + " default_sample_interval_ms) and uses for defaultSettings(); at least 10.")
        long sample_interval_ms() default 100;
    }

    private final String configuredLibrary;
    private final long defaultIntervalMillis;
    /** Why the configuration is unusable, empty when it is fine. */
    private final String configurationError;
    private volatile Nvml nvml;

    /** With the defaults: the library from {@value Nvml#LIBRARY_PROPERTY} or the system, 100 ms. */
    public NvmlEnergySource() {
        this("", 100);
    }

    @Activate
    public NvmlEnergySource(Config config) {
        this(config.library(), config.sample_interval_ms());
    }

    /**
     * @param library               path or JNA name of libnvidia-ml, empty for the default lookup
     * @param defaultIntervalMillis the advertised default sampling interval, at least 10 ms
     */
    public NvmlEnergySource(String library, long defaultIntervalMillis) {
        this.configuredLibrary = library == null ? "" : library;
        this.defaultIntervalMillis = defaultIntervalMillis;
        this.configurationError = defaultIntervalMillis < MIN_SAMPLE_INTERVAL_MILLIS
                ? "configuration " + PID + ": sample.interval.ms = " + defaultIntervalMillis
                        + " is not allowed; it must be at least " + MIN_SAMPLE_INTERVAL_MILLIS + " (ms)"
                : "";
    }

    @Override
    public SourceInfo info() {
        return new SourceInfo(NvmlEnergySession.SOURCE,
                "NVIDIA GPU energy counters and power through NVML", Set.of(EnergyDomain.GPU), false);
    }

    /** Settings that sample every device at this source's default interval. */
    public SessionSettings defaultSettings() {
        return new SessionSettings(TimeUnit.MILLISECONDS.toNanos(Math.max(defaultIntervalMillis,
                MIN_SAMPLE_INTERVAL_MILLIS)), Set.of(), Map.of());
    }

    @Override
    public Probe probe() {
        if (!configurationError.isEmpty()) {
            return Probe.unavailable(configurationError);
        }
        try {
            Nvml loaded = library();
            try (Nvml.Scope scope = loaded.open()) {
                List<GpuDevice> devices = GpuInventory.scan(loaded, true);
                Map<String, String> facts = new LinkedHashMap<>();
                facts.put("nvml_library", loaded.libraryName());
                facts.put("driver_version", loaded.driverVersion());
                facts.put("cuda_driver_version", Nvml.formatCudaVersion(loaded.cudaDriverVersion()));
                facts.put("default_sample_interval_ms", Long.toString(defaultIntervalMillis));
                List<DeviceInfo> infos = devices.stream().map(GpuDevice::info).collect(Collectors.toList());
                if (devices.isEmpty()) {
                    return new Probe(false, "NVML sees no GPU", infos, facts);
                }
                return new Probe(true, "", infos, facts);
            }
        } catch (NvmlException e) {
            return Probe.unavailable(e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            // a broken or foreign library must not take the host down
            return Probe.unavailable("NVML probe failed: " + e);
        }
    }

    @Override
    public EnergySession start(SessionSettings settings) throws EnergyException {
        if (!configurationError.isEmpty()) {
            throw new EnergyException(configurationError);
        }
        List<String> warnings = new ArrayList<>();
        long intervalNanos = intervalNanos(settings, warnings);
        Nvml loaded;
        try {
            loaded = library();
        } catch (NvmlException e) {
            throw new EnergyException(e.getMessage(), e);
        }
        Nvml.Scope scope;
        try {
            scope = loaded.open();
        } catch (NvmlException e) {
            throw new EnergyException(e.getMessage(), e);
        } catch (LinkageError e) {
            throw new EnergyException(loaded.libraryName() + " is not a usable NVML library: " + e.getMessage(), e);
        }
        try {
            List<GpuDevice> measured = select(GpuInventory.scan(loaded, false), settings.deviceIds());
            NvmlEnergySession session = new NvmlEnergySession(loaded, scope, measured, intervalNanos, warnings);
            session.begin();
            return session;
        } catch (NvmlException e) {
            scope.close();
            throw new EnergyException(e.getMessage(), e);
        } catch (EnergyException | RuntimeException e) {
            scope.close();
            throw e;
        }
    }

    private static long intervalNanos(SessionSettings settings, List<String> warnings) throws EnergyException {
        long nanos = settings.sampleIntervalNanos();
        Object option = settings.options().get(OPTION_SAMPLE_INTERVAL_MS);
        if (option != null) {
            try {
                nanos = Math.round(Double.parseDouble(option.toString()) * 1e6);
            } catch (NumberFormatException e) {
                throw new EnergyException("option " + OPTION_SAMPLE_INTERVAL_MS + " = '" + option
                        + "' is not a number of milliseconds");
            }
        }
        long min = TimeUnit.MILLISECONDS.toNanos(MIN_SAMPLE_INTERVAL_MILLIS);
        if (nanos < min) {
            warnings.add("sample interval " + nanos / 1e6 + " ms raised to " + MIN_SAMPLE_INTERVAL_MILLIS
                    + " ms, the shortest NVML sampling supported (readings change about every 100 ms)");
            nanos = min;
        }
        return nanos;
    }

    /** The devices asked for, by UUID; none asked: every physical GPU (not its MIG instances, to count each board once). */
    private static List<GpuDevice> select(List<GpuDevice> all, Set<String> ids) throws EnergyException {
        if (all.isEmpty()) {
            throw new EnergyException("NVML sees no GPU on this host");
        }
        if (ids.isEmpty()) {
            return all.stream().filter(device -> !device.mig()).collect(Collectors.toList());
        }
        List<GpuDevice> selected = new ArrayList<>();
        for (String id : ids) {
            GpuDevice device = all.stream().filter(d -> d.id().equals(id)).findFirst().orElseThrow(
                    () -> new EnergyException("NVML has no device '" + id + "'; this host has: "
                            + all.stream().map(GpuDevice::id).collect(Collectors.joining(", "))));
            selected.add(device);
        }
        return selected;
    }

    private Nvml library() throws NvmlException {
        Nvml loaded = nvml;
        if (loaded == null) {
            synchronized (this) {
                loaded = nvml;
                if (loaded == null) {
                    loaded = Nvml.load(configuredLibrary);
                    nvml = loaded;
                }
            }
        }
        return loaded;
    }
}
