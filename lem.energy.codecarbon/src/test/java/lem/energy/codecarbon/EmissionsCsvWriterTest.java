package lem.energy.codecarbon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmissionsCsvWriterTest {
    /** CodeCarbon's emissions.csv columns, as listed in MEASUREMENT.md. */
    private static final String CODECARBON_HEADER = "timestamp,project_name,run_id,experiment_id,duration,emissions,"
            + "emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,"
            + "country_name,country_iso_code,region,cloud_provider,cloud_region,os,python_version,"
            + "codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,ram_total_size,"
            + "tracking_mode,on_cloud,pue";

    @TempDir
    Path dir;

    private static EmissionsRow row(String experimentId, String cpuModel) {
        return new EmissionsRow("2026-11-23T15:00:00", "lem", "run-1", experimentId, 10.0, 0.002, 0.0002, 100.0,
                0.0, 20.0, 2.7e-4, 0.0, 5.5e-5, 3.3e-4, "France", "FRA", "", "", "", "Linux", "", "", 8, cpuModel,
                0, "", "", "", 62.7, "machine", "N", 1.2);
    }

    @Test
    void headerIsCodeCarbonsAndWrittenOnce() throws Exception {
        EmissionsCsvWriter writer = new EmissionsCsvWriter(dir);
        assertEquals("", writer.append(row("exp-1", "Intel Xeon Gold 6154")));
        assertEquals("", writer.append(row("exp-2", "AMD EPYC 7763, 64 cores \"Milan\"")));

        List<String> lines = Files.readAllLines(dir.resolve("emissions.csv"));
        assertEquals(CODECARBON_HEADER, lines.get(0));
        assertEquals(3, lines.size());
        assertEquals(1, lines.stream().filter(l -> l.startsWith("timestamp,")).count());
    }

    @Test
    void aRowParsesBack() throws Exception {
        new EmissionsCsvWriter(dir).append(row("exp-1", "AMD EPYC 7763, 64 cores \"Milan\""));
        List<Map<String, String>> rows = EmissionsCsvWriter.readRows(dir.resolve("emissions.csv"));
        assertEquals(1, rows.size());
        Map<String, String> r = rows.get(0);
        assertEquals(List.copyOf(EmissionsCsvWriter.COLUMNS), List.copyOf(r.keySet()));
        assertEquals("exp-1", r.get("experiment_id"));
        assertEquals("AMD EPYC 7763, 64 cores \"Milan\"", r.get("cpu_model"));
        assertEquals(0.002, Double.parseDouble(r.get("emissions")), 0);
        assertEquals(3.3e-4, Double.parseDouble(r.get("energy_consumed")), 0);
        assertEquals("1.2", r.get("pue"));
    }

    @Test
    void aFileWithOtherColumnsIsMovedAsideNotAppendedTo() throws Exception {
        Files.writeString(dir.resolve("emissions.csv"), "timestamp,emissions\n2020-01-01,1.0\n");
        String warning = new EmissionsCsvWriter(dir).append(row("exp-1", "x"));
        assertTrue(warning.contains("emissions.csv.bak"), warning);
        assertEquals(CODECARBON_HEADER, Files.readAllLines(dir.resolve("emissions.csv")).get(0));
        assertEquals("timestamp,emissions", Files.readAllLines(dir.resolve("emissions.csv.bak")).get(0));
    }
}
