package lem.runtime.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;
import lem.runtime.command.ResultTables;
import lem.runtime.config.ConfigLoader;

/** CO2 in result.json, the summary and the tidy table, against a hand calculation. */
class CarbonFootprintTest {
    @TempDir
    Path dir;

    /** CodeCarbon's facts for France: 56 g/kWh, PUE 1.2. */
    static final Map<String, String> FRANCE = Map.of("carbon_intensity_g_per_kwh", "56.0", "pue", "1.2",
            "country_iso_code", "FRA", "country_name", "France",
            "carbon_intensity_source", "Our World in Data 2021 via CodeCarbon's global_energy_mix.json");

    private Path experiment(Path root, String id, Map<String, String> facts, double... gpuJoulesPerCycle) throws Exception {
        Path yaml = Files.createDirectories(dir.resolve("configs")).resolve(id + ".yaml");
        Files.writeString(yaml, ExperimentFolders.config(id, 1, 8, "float16", gpuJoulesPerCycle.length));
        ResultsDirectory directory = ResultsDirectory.create(root, id, id);
        directory.writeConfig(ConfigLoader.load(yaml, List.of()).treeWithProvenance());
        for (int c = 0; c < gpuJoulesPerCycle.length; c++) {
            RequestTimeline request = Fixtures.request("r" + c, 8, 0, 50 * Fixtures.MS, Fixtures.at(10 * Fixtures.MS, 4));
            // the GPU measured by NVML; CodeCarbon relays the grid's intensity (its own RAM estimate: 36 kJ)
            EnergyReading nvml = Fixtures.reading("nvml", 0, 2 * Fixtures.S, Fixtures.gpu("GPU-0", gpuJoulesPerCycle[c]));
            EnergyReading codecarbon = new EnergyReading("codecarbon", 0, 2 * Fixtures.S,
                    List.of(new DeviceEnergy("ram", EnergyDomain.DRAM, 36_000, EnergyMethod.ESTIMATE, false, "RAM model")),
                    List.of(), List.of(), facts);
            directory.writeRaw(Fixtures.raw(id, c + 1, 0, 0, 2 * Fixtures.S, List.of(request), List.of(nvml, codecarbon),
                    List.of(), null));
        }
        directory.writeResult(directory.aggregate());
        directory.markComplete();
        return directory.path();
    }

    @Test
    void co2IsTheSummarysEnergyTimesPueTimesTheGridIntensity() throws Exception {
        Path root = dir.resolve("results");
        Path experiment = experiment(root, "fra", FRANCE, 360_000, 720_000);

        JsonNode result = ResultsJson.mapper().readTree(experiment.resolve("result.json").toFile());
        JsonNode overall = result.at("/overall");
        // counted: GPU 0.1 + 0.2 kWh, RAM 2 x 0.01 kWh = 0.32 kWh; x PUE 1.2 x 56 g/kWh = 21.504 g
        assertEquals(1_152_000, overall.at("/energy/raw_joules").asDouble(), 1e-6);
        assertEquals(21.504, overall.at("/carbon/co2_g").asDouble(), 1e-9);
        assertEquals(56, overall.at("/carbon/carbon_intensity_g_per_kwh").asDouble());
        assertEquals("FRA", overall.at("/carbon/country_iso_code").asText());
        assertEquals(1.2, overall.at("/carbon/pue").asDouble());
        assertTrue(overall.at("/carbon/carbon_intensity_source").asText().contains("Our World in Data"));
        // cycle 1: 0.11 kWh x 1.2 x 56 = 7.392 g
        assertEquals(7.392, result.at("/cycles/0/metrics/carbon/co2_g").asDouble(), 1e-9);

        AggregatedResult stored = ResultsJson.read(experiment.resolve("result.json"), AggregatedResult.class);
        ResultTables.Rows summary = ResultTables.summary(stored, "complete", experiment.toString());
        List<String> co2 = summary.rows().stream().filter(r -> r.get(0).equals("CO2")).findFirst().orElseThrow();
        assertEquals(21.504, Double.parseDouble(co2.get(1)), 0.01, co2.toString());
        assertEquals("g", co2.get(2));
        assertTrue(co2.get(3).contains("56 g/kWh") && co2.get(3).contains("France") && co2.get(3).contains("PUE 1.2"), co2.toString());

        Map<String, String> row = TidyTableTest.rows(Files.readString(root.resolve(TidyTable.EXPERIMENTS_FILE))).get(0);
        assertEquals(21.504, Double.parseDouble(row.get("co2_g")), 1e-9);
        assertEquals(56, Double.parseDouble(row.get("carbon_intensity_g_per_kwh")));
        assertTrue(row.get("carbon_intensity_source").contains("Our World in Data"), row.toString());
        // cycle 2: GPU 0.2 kWh + RAM 0.01 kWh
        Map<String, String> cycle2 = TidyTableTest.rows(Files.readString(root.resolve(TidyTable.CYCLES_FILE))).get(1);
        assertEquals(0.21 * 1.2 * 56, Double.parseDouble(cycle2.get("co2_g")), 1e-9);
    }

    @Test
    void withoutAGridIntensityThereIsNoCo2AndTheSummarySaysWhy() throws Exception {
        Path root = dir.resolve("results");
        Path experiment = experiment(root, "nowhere", Map.of(), 360_000);
        AggregatedResult stored = ResultsJson.read(experiment.resolve("result.json"), AggregatedResult.class);
        assertNull(stored.overall().carbon());
        assertTrue(ResultsJson.mapper().readTree(experiment.resolve("result.json").toFile()).at("/overall/carbon").isMissingNode());
        List<String> co2 = ResultTables.summary(stored, "complete", "x").rows().stream().filter(r -> r.get(0).equals("CO2"))
                .findFirst().orElseThrow();
        assertEquals("-", co2.get(1));
        assertTrue(co2.get(3).contains("no energy source gave a grid carbon intensity"), co2.toString());
    }
}
