package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import lem.api.backend.BackendInfo;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.Capabilities;
import lem.api.backend.InferenceBackend;
import lem.api.backend.LoadedModel;
import lem.api.backend.Parallelism;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.Probe;
import lem.api.energy.SessionSettings;
import lem.api.energy.SourceInfo;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.runtime.plugin.PluginService;

class ListingsTest {
    @Test
    void aBackendRowSaysWhatItCanRunOn() {
        InferenceBackend backend = new InferenceBackend() {
            @Override
            public BackendInfo info() {
                return new BackendInfo("djl", "", "DJL 0.35.1 / PyTorch", new Capabilities(true,
                        EnumSet.of(BatchingMode.STATIC), Set.of("cuda", "cpu"),
                        Set.of(Precision.FLOAT32, Precision.BFLOAT16), Set.of(Parallelism.NONE), false, Set.of()));
            }

            @Override
            public LoadedModel open(ModelSpec model, BackendSettings settings) {
                throw new UnsupportedOperationException("not opened in a listing");
            }
        };
        Listings.BackendRow row = Listings.BackendRow.of(new PluginService<>("djl", "lem.backend.djl", "0.1.0", "ACTIVE", 0, backend));
        assertEquals(new Listings.BackendRow("djl", "DJL 0.35.1 / PyTorch", "streaming; devices cpu/cuda; bfloat16/float32",
                "lem.backend.djl", "0.1.0", "ACTIVE"), row);
        assertEquals(List.of(List.of("djl", "DJL 0.35.1 / PyTorch", "streaming; devices cpu/cuda; bfloat16/float32",
                "lem.backend.djl", "0.1.0", "ACTIVE")), new Listings.Backends(List.of(row)).rows());
    }

    @Test
    void twoBundlesRegisteringOneBackendNameAreShownAsAClashNamingTheOneARunUses() {
        InferenceBackend backend = new InferenceBackend() {
            @Override
            public BackendInfo info() {
                return new BackendInfo("echo", "", "echo", new Capabilities(true, EnumSet.of(BatchingMode.STATIC), Set.of("cpu"),
                        Set.of(Precision.FLOAT32), Set.of(Parallelism.NONE), false, Set.of()));
            }

            @Override
            public LoadedModel open(ModelSpec model, BackendSettings settings) {
                throw new UnsupportedOperationException("not opened in a listing");
            }
        };
        Listings.Backends listed = Listings.Backends.of(List.of(
                new PluginService<>("echo", "lem.example.backend", "0.1.0", "ACTIVE", 0, backend),
                new PluginService<>("echo", "lem.example.backend", "0.3.0", "ACTIVE", 0, backend),
                new PluginService<>("solo", "other", "1.0.0", "ACTIVE", 0, backend)), List.of());
        assertEquals(3, listed.rows().size());
        assertEquals(List.of("clash: backend 'echo' is registered by 2 bundles (lem.example.backend 0.3.0 ranking 0,"
                + " lem.example.backend 0.1.0 ranking 0); a run uses lem.example.backend 0.3.0 (highest service ranking,"
                + " then highest bundle version) unless its config sets backend.version"), listed.footer());
        assertTrue(TableFormat.render(listed).replaceAll("\\s+", " ").contains(listed.footer().get(0)), "the clash line, wrapped to the width");
        assertEquals(List.of(), Listings.Backends.of(List.of(new PluginService<>("solo", "other", "1.0.0", "ACTIVE", 0, backend)),
                List.of()).footer());
    }

    @Test
    void anEnergySourceWhoseProbeThrowsIsListedAsUnavailableWithTheReason() {
        EnergySource broken = new EnergySource() {
            @Override
            public SourceInfo info() {
                return new SourceInfo("rapl", "", Set.of(EnergyDomain.DRAM, EnergyDomain.CPU_PACKAGE), false);
            }

            @Override
            public Probe probe() {
                throw new IllegalStateException("sysfs vanished");
            }

            @Override
            public EnergySession start(SessionSettings settings) {
                throw new UnsupportedOperationException();
            }
        };
        Listings.EnergyRow row = Listings.EnergyRow.of(new PluginService<>("rapl", "lem.energy.rapl", "0.1.0", "ACTIVE", 0, broken));
        assertFalse(row.available());
        assertTrue(row.reason().startsWith("probe failed: ") && row.reason().contains("sysfs vanished"), row.reason());
        assertEquals("CPU_PACKAGE,DRAM", row.domains());
        List<String> cells = new Listings.EnergySources(List.of(row)).rows().get(0);
        assertEquals(List.of("rapl", "no", "measured", "CPU_PACKAGE,DRAM", "0"), cells.subList(0, 5));
    }

    @Test
    void anAvailableSourceShowsItsDevices() {
        EnergySource estimate = new EnergySource() {
            @Override
            public SourceInfo info() {
                return new SourceInfo("codecarbon", "", Set.of(EnergyDomain.CPU_PACKAGE), true);
            }

            @Override
            public Probe probe() {
                return new Probe(true, "estimate", List.of(new lem.api.energy.DeviceInfo("cpu", "CPU",
                        EnergyDomain.CPU_PACKAGE, Map.of())), Map.of());
            }

            @Override
            public EnergySession start(SessionSettings settings) {
                throw new UnsupportedOperationException();
            }
        };
        List<String> cells = new Listings.EnergySources(List.of(Listings.EnergyRow.of(
                new PluginService<>("codecarbon", "b", "1", "ACTIVE", 0, estimate)))).rows().get(0);
        assertEquals(List.of("codecarbon", "yes", "estimate", "CPU_PACKAGE", "1"), cells.subList(0, 5));
        assertEquals("estimate", cells.get(8));
    }
}
