package lem.energy.rapl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.DeviceInfo;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyException;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;
import lem.api.energy.EnergySession;
import lem.api.energy.PowerSample;
import lem.api.energy.Probe;
import lem.api.energy.SessionSettings;

class RaplEnergySourceTest {
    private static final SessionSettings SETTINGS = new SessionSettings(Duration.ofMillis(20).toNanos(), Set.of(),
            Map.of());

    @TempDir
    Path root;

    private RaplEnergySource source() {
        return new RaplEnergySource(root, Duration.ofMillis(20));
    }

    private static Map<String, DeviceEnergy> byId(EnergyReading reading) {
        return reading.devices().stream().collect(Collectors.toMap(DeviceEnergy::deviceId, Function.identity()));
    }

    @Test
    void packageAndDramAreReportedButCoreAndUncoreAreNotAddedOnTop() throws Exception {
        FakePowercapTree tree = new FakePowercapTree(root);
        tree.zone("intel-rapl:0", "package-0", 1_000_000);
        tree.zone("intel-rapl:0/intel-rapl:0:0", "core", 500_000);
        tree.zone("intel-rapl:0/intel-rapl:0:1", "uncore", 100_000);
        tree.zone("intel-rapl:0/intel-rapl:0:2", "dram", 2_000_000);

        EnergySession session = source().start(SETTINGS);
        tree.setEnergy("intel-rapl:0", 31_000_000); // +30 J
        tree.setEnergy("intel-rapl:0/intel-rapl:0:0", 20_500_000); // +20 J, inside the package's 30 J
        tree.setEnergy("intel-rapl:0/intel-rapl:0:1", 5_100_000);
        tree.setEnergy("intel-rapl:0/intel-rapl:0:2", 6_000_000); // +4 J
        EnergyReading reading = session.stop();

        Map<String, DeviceEnergy> devices = byId(reading);
        assertEquals(Set.of("package-0", "package-0-dram"), devices.keySet());
        assertEquals(30.0, devices.get("package-0").energyJoules(), 1e-9);
        assertEquals(EnergyDomain.CPU_PACKAGE, devices.get("package-0").domain());
        assertEquals(4.0, devices.get("package-0-dram").energyJoules(), 1e-9);
        assertEquals(EnergyDomain.DRAM, devices.get("package-0-dram").domain());
        assertEquals(EnergyMethod.COUNTER, devices.get("package-0").method());
        assertEquals(34.0, reading.energyJoules(), 1e-9);
        assertTrue(source().probe().facts().get("skipped_zones").contains("intel-rapl:0:0 (core)"));
    }

    @Test
    void aCounterThatWrapsIsCorrectedByItsRangePlusOne() throws Exception {
        FakePowercapTree tree = new FakePowercapTree(root);
        long range = 65_532_610_987L;
        tree.zone("intel-rapl:0", "package-0", range - 2_000_000, range); // 2 J below the top

        EnergySession session = source().start(SETTINGS);
        tree.setEnergy("intel-rapl:0", 3_000_000); // wrapped, then 3 J more
        EnergyReading reading = session.stop();

        DeviceEnergy pkg = reading.devices().get(0);
        // 2 J to the top, 1 uJ for the step from the top to 0, then 3 J.
        assertEquals(5.000001, pkg.energyJoules(), 1e-9);
        assertTrue(pkg.note().contains("wrapped 1x"), pkg.note());
    }

    @Test
    void wrapCounterAddsRangePlusOneOnlyWhenTheReadingGoesDown() {
        WrappingCounter counter = new WrappingCounter(900, 999);
        assertEquals(50, counter.advance(950));
        assertEquals(60, counter.advance(10)); // 49 to the top, 1 to 0, 10 more
        assertEquals(0, counter.advance(10));
        assertEquals(110, counter.totalMicrojoules());
        assertEquals(1, counter.wraps());
    }

    @Test
    void everySocketIsReportedOnceWithHexZoneIds() throws Exception {
        FakePowercapTree tree = new FakePowercapTree(root);
        for (int socket = 0; socket < 11; socket++) {
            String dir = "intel-rapl:" + Integer.toHexString(socket);
            tree.zone(dir, "package-" + socket, 0);
            tree.zone(dir + "/" + dir + ":0", "dram", 0);
        }

        Probe probe = source().probe();
        assertTrue(probe.available(), probe.reason());
        List<String> ids = probe.devices().stream().map(DeviceInfo::id).toList();
        assertEquals(22, ids.size());
        assertTrue(ids.contains("package-10") && ids.contains("package-10-dram"), ids.toString());
        assertEquals("intel-rapl:a", probe.devices().stream().filter(d -> d.id().equals("package-10"))
                .findFirst().orElseThrow().facts().get("zone"));

        EnergySession session = source().start(SETTINGS);
        tree.setEnergy("intel-rapl:1", 7_000_000);
        tree.setEnergy("intel-rapl:a/intel-rapl:a:0", 2_500_000);
        Map<String, DeviceEnergy> devices = byId(session.stop());
        assertEquals(7.0, devices.get("package-1").energyJoules(), 1e-9);
        assertEquals(2.5, devices.get("package-10-dram").energyJoules(), 1e-9);
        assertEquals(0.0, devices.get("package-0").energyJoules(), 1e-9);
    }

    /**
     * A DRAM sub-zone takes its own package's name, not the first package's; a package zone
     * without a name gives "package-<index>-dram"; a top-level DRAM zone is "dram-<index>".
     */
    @Test
    void dramZonesAreNamedAfterThePackageTheyBelongTo() throws Exception {
        FakePowercapTree tree = new FakePowercapTree(root);
        tree.zone("intel-rapl:0", "package-0", 0);
        tree.zone("intel-rapl:1", "package-1", 0);
        tree.zone("intel-rapl:1/intel-rapl:1:0", "dram", 0);
        tree.zone("intel-rapl:2", "dram", 0);
        tree.zone("intel-rapl:3", "", 0);
        tree.zone("intel-rapl:3/intel-rapl:3:0", "dram", 0);

        EnergySession session = source().start(SETTINGS);
        tree.setEnergy("intel-rapl:1/intel-rapl:1:0", 3_000_000);
        tree.setEnergy("intel-rapl:2", 1_500_000);
        tree.setEnergy("intel-rapl:3/intel-rapl:3:0", 500_000);
        Map<String, DeviceEnergy> devices = byId(session.stop());

        assertEquals(Set.of("package-0", "package-1", "package-1-dram", "dram-2", "package-3-dram"), devices.keySet());
        assertEquals(3.0, devices.get("package-1-dram").energyJoules(), 1e-9);
        assertEquals(1.5, devices.get("dram-2").energyJoules(), 1e-9);
        assertEquals(0.5, devices.get("package-3-dram").energyJoules(), 1e-9);
        assertEquals(EnergyDomain.DRAM, devices.get("dram-2").domain());
    }

    @Test
    void psysIsNotAddedToThePackagesItContains() throws Exception {
        FakePowercapTree tree = new FakePowercapTree(root);
        tree.zone("intel-rapl:0", "package-0", 0);
        tree.zone("intel-rapl:1", "psys", 0);

        EnergySession session = source().start(SETTINGS);
        tree.setEnergy("intel-rapl:0", 10_000_000);
        tree.setEnergy("intel-rapl:1", 25_000_000);
        EnergyReading reading = session.stop();

        assertEquals(Set.of("package-0"), byId(reading).keySet());
        assertEquals(10.0, reading.energyJoules(), 1e-9);
        assertTrue(source().probe().facts().get("skipped_zones").contains("intel-rapl:1 (psys)"));
    }

    @Test
    void mmioDuplicateOfAPackageIsCountedOnce() throws Exception {
        FakePowercapTree tree = new FakePowercapTree(root);
        tree.zone("intel-rapl:0", "package-0", 0);
        tree.zone("intel-rapl-mmio:0", "package-0", 0);

        EnergySession session = source().start(SETTINGS);
        tree.setEnergy("intel-rapl:0", 8_000_000);
        tree.setEnergy("intel-rapl-mmio:0", 8_000_000);
        EnergyReading reading = session.stop();

        assertEquals(1, reading.devices().size());
        assertEquals(8.0, reading.energyJoules(), 1e-9);
        assertTrue(source().probe().facts().get("skipped_zones").contains("intel-rapl-mmio:0 (package-0): mmio duplicate"));
    }

    @Test
    void amdHostReportsThePackageAndNoDram() throws Exception {
        FakePowercapTree tree = new FakePowercapTree(root);
        // AMD Zen (amd_energy via intel_rapl_msr): one package zone per socket, no sub-zones.
        tree.zone("intel-rapl:0", "package-0", 123_456_789);

        Probe probe = source().probe();
        assertTrue(probe.available(), probe.reason());
        assertEquals(List.of(EnergyDomain.CPU_PACKAGE), probe.devices().stream().map(DeviceInfo::domain).toList());
        EnergySession session = source().start(SETTINGS);
        tree.setEnergy("intel-rapl:0", 124_456_789);
        assertEquals(1.0, session.stop().energyJoules(), 1e-9);
    }

    @Test
    void unreadableCounterMakesTheSourceUnavailableWithTheFix() throws Exception {
        FakePowercapTree tree = new FakePowercapTree(root);
        Path zone = tree.zone("intel-rapl:0", "package-0", 0);
        Path energy = zone.resolve("energy_uj");
        Files.setPosixFilePermissions(energy, PosixFilePermissions.fromString("r--------"));
        Files.setPosixFilePermissions(energy, PosixFilePermissions.fromString("---------"));
        if (Files.isReadable(energy)) {
            // Running as root, where mode 0400 (and even 0000) stays readable: make the file
            // unreadable for everyone instead, by putting a directory in its place.
            Files.delete(energy);
            Files.createDirectory(energy);
        }

        Probe probe = source().probe();
        assertFalse(probe.available());
        assertTrue(probe.reason().contains(energy.toString()), probe.reason());
        assertTrue(probe.reason().contains("CVE-2020-8694"), probe.reason());
        assertTrue(probe.reason().contains("run lem as root"), probe.reason());
        assertTrue(probe.reason().contains("sudo chmod o+r " + energy), probe.reason());
        assertTrue(probe.reason().contains("mode class/powercap/intel-rapl:0/energy_uj = 0444"), probe.reason());
        EnergyException e = assertThrows(EnergyException.class, () -> source().start(SETTINGS));
        assertEquals(probe.reason(), e.getMessage());
    }

    @Test
    void noPowercapTreeSaysSo() throws Exception {
        Probe missing = new RaplEnergySource(root.resolve("absent"), Duration.ofSeconds(1)).probe();
        assertFalse(missing.available());
        assertTrue(missing.reason().contains("no " + root.resolve("absent") + " directory"), missing.reason());

        Files.createDirectories(root.resolve("dtpm")); // another powercap control type, no RAPL
        Probe empty = source().probe();
        assertFalse(empty.available());
        assertTrue(empty.reason().contains("intel-rapl:* zones"), empty.reason());
        assertTrue(empty.reason().contains("a VM"), empty.reason());
    }

    @Test
    void powerSamplesIntegrateToTheCounterDelta() throws Exception {
        FakePowercapTree tree = new FakePowercapTree(root);
        tree.zone("intel-rapl:0", "package-0", 0);

        long startNanos = System.nanoTime();
        EnergySession session = source().start(SETTINGS);
        long energy = 0;
        for (int i = 0; i < 5; i++) {
            energy += 2_000_000; // 2 J a step
            tree.setEnergy("intel-rapl:0", energy);
            Thread.sleep(60);
        }
        EnergyReading reading = session.stop();
        List<PowerSample> samples = session.drainSamples();

        assertTrue(samples.size() >= 3, "samples: " + samples.size());
        double integralJoules = 0;
        long previousNanos = reading.startNanos();
        for (PowerSample s : samples) {
            assertEquals("package-0", s.deviceId());
            assertTrue(s.timestampNanos() >= startNanos && s.powerWatts() >= 0);
            integralJoules += s.powerWatts() * (s.timestampNanos() - previousNanos) / 1e9;
            previousNanos = s.timestampNanos();
        }
        assertEquals(10.0, reading.energyJoules(), 1e-9);
        assertEquals(10.0, integralJoules, 1e-6);
        assertTrue(session.drainSamples().isEmpty(), "a sample is returned once");
    }

    @Test
    void unknownDeviceIdNamesTheKnownZones() {
        new FakePowercapTree(root).zone("intel-rapl:0", "package-0", 0);
        SessionSettings settings = new SessionSettings(1_000_000_000L, Set.of("package-7"), Map.of());
        EnergyException e = assertThrows(EnergyException.class, () -> source().start(settings));
        assertTrue(e.getMessage().contains("package-7") && e.getMessage().contains("[package-0]"), e.getMessage());
    }

    @Test
    void pollingComesSoonerAtHighPowerAndNearTheTopOfTheRange() {
        long second = 1_000_000_000L;
        long range = FakePowercapTree.RANGE_UJ;
        assertEquals(second, PollSchedule.nextDelayNanos(second, 0, range, 0));
        assertEquals(second, PollSchedule.nextDelayNanos(second, 0, range, 300));
        // 100 J left at 400 W: the wrap is due in 250 ms, read just after it.
        assertEquals(260_000_000L, PollSchedule.nextDelayNanos(second, range - 100_000_000L, range, 400));
        // A small range (4 J) at 8 W fills in 0.5 s: read four times per range.
        assertEquals(125_000_000L, PollSchedule.nextDelayNanos(second, 0, 4_000_000L, 8));
    }
}
