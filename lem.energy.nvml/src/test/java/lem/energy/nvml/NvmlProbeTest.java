package lem.energy.nvml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.energy.DeviceInfo;
import lem.api.energy.EnergyException;
import lem.api.energy.Probe;
import lem.api.energy.SessionSettings;

class NvmlProbeTest {
    static final String H100 = "GPU-8f11f9a4-93f6-3d34-07a4-302555b6dd1e";
    static final String P100 = "GPU-0c0ffee0-1111-2222-3333-444444444444";

    @TempDir
    Path folder;

    @Test
    void probeKeysDevicesByUuidWithDriverCudaVersionPowerLimitAndCounterSupport() {
        FakeNvml.script(folder, String.join("\n",
                "driver_version 580.159.04",
                "cuda_driver_version 12040",
                "device 0 " + H100 + " NVIDIA H100 80GB HBM3",
                "device 1 " + P100 + " Tesla P100-PCIE-16GB",
                "power_limit " + H100 + " 700000",
                "power_limit " + P100 + " 250000",
                "mig_mode " + H100 + " 0",
                "energy_return " + P100 + " 3"));

        Probe probe = FakeNvml.source().probe();

        assertTrue(probe.available(), probe.reason());
        assertEquals("580.159.04", probe.facts().get("driver_version"));
        assertEquals("12.4", probe.facts().get("cuda_driver_version"));
        assertEquals(List.of(H100, P100), probe.devices().stream().map(DeviceInfo::id).collect(Collectors.toList()));
        DeviceInfo h100 = probe.devices().get(0);
        assertEquals("NVIDIA H100 80GB HBM3", h100.name());
        assertEquals("700.0", h100.facts().get("power_limit_w"));
        assertEquals("disabled", h100.facts().get("mig_mode"));
        assertEquals("supported", h100.facts().get("energy_counter"));
        DeviceInfo p100 = probe.devices().get(1);
        assertEquals("250.0", p100.facts().get("power_limit_w"));
        assertEquals("not supported", p100.facts().get("mig_mode"));
        assertTrue(p100.facts().get("energy_counter").startsWith("not supported: Not Supported (3)"),
                p100.facts().get("energy_counter"));
        assertEquals(0, FakeNvml.initDepth(), "probe must pair nvmlInit_v2 with nvmlShutdown");
    }

    @Test
    void cudaDriverVersionIsMajorDotMinor() {
        assertEquals("12.4", Nvml.formatCudaVersion(12040));
        assertEquals("11.8", Nvml.formatCudaVersion(11080));
        assertEquals("13.0", Nvml.formatCudaVersion(13000));
        assertEquals("12.10", Nvml.formatCudaVersion(12100));
    }

    @Test
    void missingLibraryMakesTheSourceUnavailableWithTheReason() {
        NvmlEnergySource source = new NvmlEnergySource("/nonexistent/libnvidia-ml.so.1", 100);

        Probe probe = source.probe();

        assertFalse(probe.available());
        assertTrue(probe.reason().startsWith("NVML library not found: /nonexistent/libnvidia-ml.so.1"), probe.reason());
        assertTrue(probe.reason().contains("no NVIDIA driver on this host?"), probe.reason());
        EnergyException e = assertThrows(EnergyException.class,
                () -> source.start(new SessionSettings(100_000_000L, Set.of(), Map.of())));
        assertEquals(probe.reason(), e.getMessage());
    }

    @Test
    void theSystemPropertyNamesTheLibraryWhenTheConfigurationDoesNot() {
        FakeNvml.script(folder, "device 0 " + H100 + " NVIDIA H100 80GB HBM3\n");
        String before = System.getProperty(Nvml.LIBRARY_PROPERTY);
        System.setProperty(Nvml.LIBRARY_PROPERTY, FakeNvml.LIBRARY);
        try {
            Probe probe = new NvmlEnergySource().probe();

            assertTrue(probe.available(), probe.reason());
            assertEquals(FakeNvml.LIBRARY, probe.facts().get("nvml_library"));
        } finally {
            if (before == null) {
                System.clearProperty(Nvml.LIBRARY_PROPERTY);
            } else {
                System.setProperty(Nvml.LIBRARY_PROPERTY, before);
            }
        }
    }

    @Test
    void driverNotLoadedMakesTheSourceUnavailableWithNvmlsReason() {
        FakeNvml.script(folder, "init_return 9\ndevice 0 " + H100 + " NVIDIA H100 80GB HBM3\n");

        Probe probe = FakeNvml.source().probe();

        assertFalse(probe.available());
        assertTrue(probe.reason().contains("nvmlInit_v2 failed: Driver Not Loaded (9)"), probe.reason());
    }

    @Test
    void hostWithoutGpusIsUnavailable() {
        FakeNvml.script(folder, "driver_version 580.159.04\n");

        Probe probe = FakeNvml.source().probe();

        assertFalse(probe.available());
        assertEquals("NVML sees no GPU", probe.reason());
    }

    @Test
    void migInstancesAreListedWithTheirParent() {
        FakeNvml.script(folder, String.join("\n",
                "device 0 " + H100 + " NVIDIA H100 80GB HBM3",
                "mig_mode " + H100 + " 1",
                "mig 0 0 MIG-aaaaaaaa-0000-5000-8000-000000000000 NVIDIA H100 80GB HBM3 MIG 3g.40gb",
                "mig 0 2 MIG-bbbbbbbb-0000-5000-8000-000000000000 NVIDIA H100 80GB HBM3 MIG 3g.40gb"));

        Probe probe = FakeNvml.source().probe();

        assertEquals(List.of(H100, "MIG-aaaaaaaa-0000-5000-8000-000000000000", "MIG-bbbbbbbb-0000-5000-8000-000000000000"),
                probe.devices().stream().map(DeviceInfo::id).collect(Collectors.toList()));
        assertEquals("enabled", probe.devices().get(0).facts().get("mig_mode"));
        DeviceInfo mig = probe.devices().get(1);
        assertEquals(H100, mig.facts().get("parent_uuid"));
        assertEquals("NVIDIA H100 80GB HBM3 MIG 3g.40gb", mig.name());
    }

    @Test
    void aSampleIntervalBelowTheMinimumIsAConfigurationErrorNamingTheKey() {
        FakeNvml.script(folder, "device 0 " + H100 + " NVIDIA H100 80GB HBM3\n");

        Probe probe = new NvmlEnergySource(FakeNvml.LIBRARY, 5).probe();

        assertFalse(probe.available());
        assertEquals("configuration lem.energy.nvml: sample.interval.ms = 5 is not allowed; it must be at least 10 (ms)",
                probe.reason());
    }
}
