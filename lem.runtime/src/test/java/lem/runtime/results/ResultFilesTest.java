package lem.runtime.results;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.backend.ExecutedOperations;
import lem.api.energy.EnergyReading;
import lem.api.energy.PowerSample;
import lem.api.energy.ThrottlePeriod;
import lem.api.flops.Confidence;
import lem.api.flops.FlopsEstimate;
import lem.api.model.Precision;

class ResultFilesTest {
    @TempDir
    Path dir;

    @Test
    void atomicWriteReplacesWholeFileAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("result.json");
        AtomicFiles.write(file, "a long first version of the content".getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(file, "short".getBytes(StandardCharsets.UTF_8));
        assertEquals("short", Files.readString(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            // readable by others, as any file the user creates: not the owner-only mode of a temp file
            assertTrue(Files.getPosixFilePermissions(file).contains(java.nio.file.attribute.PosixFilePermission.OWNER_READ));
            assertEquals(Files.getPosixFilePermissions(Files.writeString(dir.resolve("plain.txt"), "x")),
                    Files.getPosixFilePermissions(file));
        }
    }

    @Test
    void rawResultRoundTripsWithEveryEmbeddedApiRecord() throws Exception {
        EnergyReading reading = new EnergyReading("nvml", 10, 20,
                List.of(Fixtures.gpu("GPU-0", 12.5)), List.of(new ThrottlePeriod("GPU-0", "thermal", 11, 15)),
                List.of("counter went backwards once"), Map.of("power_field", "186"));
        RawResult raw = new RawResult("1", "exp-1", 2, 1, "host-a", new WallClockAnchor(1_700_000_000_000L, 5),
                new MeasurementWindow(10, 20), new BackendIdentity("djl", "0.1.0", "PyTorch"), Fixtures.model(),
                List.of(Fixtures.request("r", 3, 10, 20, Fixtures.at(15, 1), Fixtures.at(20, 2))), List.of(reading),
                List.of(Fixtures.baseline("nvml", "GPU-0", 72.5)), new ExecutedOperations(100, 50, "matmuls"),
                new FlopsEstimate("architecture", Confidence.MEDIUM, 124_000_000L, 1000, 2000, Precision.BFLOAT16,
                        List.of("forward only")),
                List.of(new FlopsAttempt("calflops", false, "not installed"), new FlopsAttempt("architecture", true, "")),
                1 << 30, List.of("short window"), "timeseries/cycle_2_process_1.csv", false, "interrupted by Ctrl-C");

        ResultsDirectory directory = ResultsDirectory.create(dir, "exp-1", "quickstart");
        Path file = directory.writeRaw(raw);

        assertEquals(dir.resolve("exp-1/raw/cycle_2/process_1.json"), file);
        String json = Files.readString(file);
        assertTrue(json.contains("\"schema_version\" : \"1\""), json);
        assertTrue(json.contains("\"first_token_nanos\""), json);
        assertEquals(raw, ResultsJson.read(file, RawResult.class));
    }

    @Test
    void powerSeriesAppenderWritesRowsThatReadBack() throws Exception {
        ResultsDirectory directory = ResultsDirectory.create(dir, "exp-2", "series");
        try (PowerSeriesFile.Appender appender = directory.openPowerSeries(1, 0)) {
            appender.append("nvml", new PowerSample("GPU-0", 100, 72.5,
                    Map.of(PowerSample.TEMPERATURE_CELSIUS, 41.0, PowerSample.PSTATE, 0.0, "fan_percent", 30.0)));
            appender.append("nvml", new PowerSample("GPU-0", 200, 310.25, Map.of()));
        }
        Path file = directory.path().resolve(ResultsDirectory.powerSeriesPath(1, 0));
        List<String> lines = Files.readAllLines(file);
        assertEquals(PowerSeriesFile.HEADER, lines.get(0));
        assertTrue(lines.get(1).startsWith("100,nvml,GPU-0,72.5,41,"), lines.get(1));
        assertTrue(lines.get(1).endsWith(",0,fan_percent=30"), lines.get(1));
        assertEquals(List.of(new PowerSeriesPoint(100, "nvml", "GPU-0", 72.5),
                new PowerSeriesPoint(200, "nvml", "GPU-0", 310.25)), PowerSeriesFile.read(file));
    }

    @Test
    void aSeriesCutShortByACrashKeepsItsFinishedRows() throws Exception {
        Path file = dir.resolve("series.csv");
        Files.writeString(file, PowerSeriesFile.HEADER + "\n100,nvml,GPU-0,70,,,,,,,,,\n200,nvml,GP");
        assertEquals(List.of(new PowerSeriesPoint(100, "nvml", "GPU-0", 70)), PowerSeriesFile.read(file));
    }

    @Test
    void statusFollowsTheRunAndTheCsvKeepsOneRowPerExperiment() throws Exception {
        ResultsDirectory first = ResultsDirectory.create(dir, "first", "one");
        assertEquals(RunState.RUNNING, first.status().state());
        first.markIncomplete("backend djl went away");
        assertEquals(RunState.INCOMPLETE, first.status().state());
        assertEquals("backend djl went away", first.status().reason());
        ResultsDirectory second = ResultsDirectory.create(dir, "second", "two");
        second.markComplete();
        second.markComplete();

        List<String> lines = Files.readAllLines(dir.resolve(ResultsDirectory.EXPERIMENTS_CSV));
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("experiment_id,name,status,reason"));
        assertTrue(lines.get(1).startsWith("first,one,incomplete,backend djl went away,"), lines.get(1));
        assertTrue(lines.get(2).startsWith("second,two,complete,"), lines.get(2));
    }

    @Test
    void aReasonOverSeveralLinesStaysOneCsvRowWhenTheRowIsReplaced() throws Exception {
        ResultsDirectory run = ResultsDirectory.create(dir, "multi", "multi");
        run.markIncomplete("backend failed:\nout of memory, \"cuda:0\"");
        ResultsDirectory other = ResultsDirectory.create(dir, "other", "other");
        other.markComplete();
        run.markIncomplete("stopped by the user");

        String csv = Files.readString(dir.resolve(ResultsDirectory.EXPERIMENTS_CSV));
        List<String> lines = csv.lines().toList();
        assertEquals(3, lines.size(), csv);
        assertTrue(lines.get(1).startsWith("multi,multi,incomplete,stopped by the user,"), csv);
        assertTrue(lines.get(2).startsWith("other,other,complete,"), csv);
    }

    @Test
    void anExistingExperimentIsNeverOverwrittenAndIdsMustBeFileSafe() throws Exception {
        ResultsDirectory.create(dir, "taken", "x");
        var error = assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> ResultsDirectory.create(dir, "taken", "x"));
        assertTrue(error.getMessage().contains("exists already"), error.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> ResultsDirectory.create(dir, "../up", "x"));
        assertTrue(bad.getMessage().contains("'../up'"), bad.getMessage());
        String id = ResultsDirectory.newExperimentId(dir, "My Experiment!", 0);
        assertEquals("my-experiment-19700101T000000Z", id);
        ResultsDirectory.create(dir, id, "x");
        assertEquals(id + "-2", ResultsDirectory.newExperimentId(dir, "My Experiment!", 0));
    }

    @Test
    void configIsWrittenAsGiven() throws Exception {
        ResultsDirectory directory = ResultsDirectory.create(dir, "cfg", "cfg");
        directory.writeConfig(Map.of("config", Map.of("cycles", 3), "provenance", Map.of("cycles", "override")));
        @SuppressWarnings("unchecked")
        Map<String, Object> read = ResultsJson.read(directory.path().resolve("config.json"), Map.class);
        assertEquals(Map.of("cycles", 3), read.get("config"));
    }
}
