package lem.energy.rapl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
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
 * CPU package and DRAM energy from the RAPL counters that Linux exposes under powercap sysfs.
 * Reports one figure per package and per DRAM zone, never a zone nested in another.
 */
@Component(service = EnergySource.class, configurationPid = RaplEnergySource.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@EnergySourceService(source = RaplEnergySource.NAME)
@Designate(ocd = RaplEnergySource.Config.class)
public class RaplEnergySource implements EnergySource {
    public static final String NAME = "rapl";
    public static final String PID = "lem.energy.rapl";
    public static final String DEFAULT_POWERCAP_ROOT = "/sys/class/powercap";

    @ObjectClassDefinition(name = "lem RAPL energy source",
            description = "CPU package and DRAM energy from Linux powercap (RAPL) counters")
    public @interface Config {
        @AttributeDefinition(description = "Directory holding the intel-rapl:* zones")
        String powercap_root() default DEFAULT_POWERCAP_ROOT;

        @AttributeDefinition(description = "Longest time between two counter reads and between power samples, "
                + "milliseconds (10 to 1000; reads come sooner at high power or near a counter's wrap)")
        long sample_interval_ms() default 1000;
    }

    private static final long MAX_INTERVAL_NANOS = Duration.ofSeconds(1).toNanos();

    private volatile Path powercapRoot;
    private volatile long intervalNanos;

    /** For Declarative Services; {@link #activate} sets the configuration. */
    public RaplEnergySource() {
        this(Path.of(DEFAULT_POWERCAP_ROOT), Duration.ofSeconds(1));
    }

    /**
     * For direct use and tests.
     *
     * @param powercapRoot   the directory holding the {@code intel-rapl:*} zones
     * @param sampleInterval the longest time between two counter reads (at most 1 s)
     */
    public RaplEnergySource(Path powercapRoot, Duration sampleInterval) {
        this.powercapRoot = powercapRoot;
        this.intervalNanos = clampInterval(sampleInterval.toNanos());
    }

    @Activate
    @Modified
    void activate(Config config) {
        if (config.sample_interval_ms() < 10 || config.sample_interval_ms() > 1000) {
            throw new IllegalArgumentException(PID + ": sample.interval.ms = " + config.sample_interval_ms()
                    + " is not allowed; use 10 to 1000 (a counter must be read at least every second so that it "
                    + "cannot wrap twice unseen)");
        }
        this.powercapRoot = Path.of(config.powercap_root());
        this.intervalNanos = Duration.ofMillis(config.sample_interval_ms()).toNanos();
    }

    private static long clampInterval(long nanos) {
        return Math.max(PollSchedule.MIN_DELAY_NANOS, Math.min(MAX_INTERVAL_NANOS, nanos));
    }

    @Override
    public SourceInfo info() {
        return new SourceInfo(NAME, "CPU package and DRAM energy from RAPL counters (Linux powercap sysfs)",
                Set.of(EnergyDomain.CPU_PACKAGE, EnergyDomain.DRAM), false);
    }

    @Override
    public Probe probe() {
        try {
            RaplTopology topology = readableTopology();
            List<DeviceInfo> devices = new ArrayList<>();
            for (RaplZone zone : topology.zones()) {
                devices.add(new DeviceInfo(zone.id(), zone.zoneName(), zone.domain(), Map.of(
                        "zone", zone.directoryName(),
                        "max_energy_range_uj", Long.toString(zone.maxEnergyRangeMicrojoules()))));
            }
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("powercap_root", powercapRoot.toString());
            if (!topology.skipped().isEmpty()) {
                facts.put("skipped_zones", String.join("; ", topology.skipped()));
            }
            return new Probe(true, "", devices, facts);
        } catch (EnergyException e) {
            return Probe.unavailable(e.getMessage());
        }
    }

    @Override
    public EnergySession start(SessionSettings settings) throws EnergyException {
        List<RaplZone> zones = readableTopology().zones();
        if (!settings.deviceIds().isEmpty()) {
            Set<String> known = zones.stream().map(RaplZone::id).collect(Collectors.toSet());
            List<String> unknown = settings.deviceIds().stream().filter(id -> !known.contains(id)).sorted().toList();
            if (!unknown.isEmpty()) {
                throw new EnergyException("rapl: no zone " + unknown + " here; known zones: "
                        + zones.stream().map(RaplZone::id).toList());
            }
            zones = zones.stream().filter(z -> settings.deviceIds().contains(z.id())).toList();
        }
        long interval = Math.min(intervalNanos, clampInterval(settings.sampleIntervalNanos()));
        return new RaplSession(zones, interval);
    }

    /** The zones to report, each counter read once to prove it can be; otherwise why not. */
    private RaplTopology readableTopology() throws EnergyException {
        if (!Files.isDirectory(powercapRoot)) {
            throw new EnergyException("rapl: no " + powercapRoot + " directory (the kernel has no powercap "
                    + "support, or this is not Linux)");
        }
        RaplZoneScanner scanner = new RaplZoneScanner(powercapRoot);
        if (!scanner.hasZones()) {
            throw new EnergyException("rapl: no " + powercapRoot + "/intel-rapl:* zones (not an Intel/AMD RAPL "
                    + "host, the intel_rapl_msr module is not loaded, or a VM without RAPL)");
        }
        RaplTopology topology = scanner.scan();
        if (topology.zones().isEmpty()) {
            throw new EnergyException("rapl: no package or DRAM zone under " + powercapRoot + ": "
                    + String.join("; ", topology.skipped()));
        }
        List<String> unreadable = new ArrayList<>();
        for (RaplZone zone : topology.zones()) {
            try {
                Long.parseLong(Files.readString(zone.energyFile()).trim());
            } catch (IOException | NumberFormatException e) {
                unreadable.add(zone.energyFile() + " (" + describe(e) + ")");
            }
        }
        if (!unreadable.isEmpty()) {
            throw new EnergyException(unreadableMessage(unreadable, topology.zones()));
        }
        return topology;
    }

    private static String describe(Exception e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** The message for counters this process may not read, with the ways to fix it. */
    static String unreadableMessage(List<String> unreadable, List<RaplZone> zones) {
        String files = zones.stream().map(z -> z.energyFile().toString()).collect(Collectors.joining(" "));
        String sysfsConf = zones.stream()
                .map(z -> "mode class/powercap/" + z.directoryName() + "/energy_uj = 0444")
                .collect(Collectors.joining("\n  "));
        return "rapl: cannot read the energy counter(s) " + String.join(", ", unreadable) + ".\n"
                + "Since the Platypus fix (CVE-2020-8694) energy_uj is readable by root only (mode 0400). Fix one of:\n"
                + "- run lem as root;\n"
                + "- until the next reboot: sudo chmod o+r " + files + "\n"
                + "- at every boot, a udev rule in /etc/udev/rules.d/99-lem-powercap.rules:\n"
                + "  ACTION==\"add\", SUBSYSTEM==\"powercap\", RUN+=\"/bin/chmod o+r /sys%p/energy_uj\"\n"
                + "- at every boot with sysfsutils, lines in /etc/sysfs.conf:\n  " + sysfsConf + "\n"
                + "Granting read access re-opens the power side channel that CVE-2020-8694 closed; do it only on "
                + "a host whose users you trust.";
    }
}
