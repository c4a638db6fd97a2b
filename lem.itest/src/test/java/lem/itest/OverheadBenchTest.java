package lem.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import com.fasterxml.jackson.databind.JsonNode;

import lem.api.energy.EnergyReading;

/**
 * {@code lem:bench overhead} typed as a user types it, with the paced backend and the simulated
 * meter registered as services: the settings alternate, a meters-off run starts no session of the
 * meter (no baseline, no window), a meters-on run samples, and the table has every setting.
 * It checks the mechanics only; what the figures are depends on the machine.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class OverheadBenchTest {
    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 10_000)
    CommandProcessor processor;

    @Test
    void metersOffRunsStartNoSessionAndTheSettingsAlternate() throws Exception {
        try (ExperimentRuns runs = new ExperimentRuns(context, "overhead", ExperimentRuns.pacedBackend())) {
            benchAlternatesAndLeavesTheMeterOffWhenOff(runs);
        }
    }

    private void benchAlternatesAndLeavesTheMeterOffWhenOff(ExperimentRuns runs) throws Exception {
        Path config = runs.write("exp.yaml", runs.config(1));
        int readingsBefore = runs.meter.readings.size();

        Shell.Outcome bench = new Shell(processor).execute("lem:bench overhead " + config + " --repeats 2");

        assertFalse(bench.failed(), bench.transcript());
        List<String> settings = new ArrayList<>();
        for (String line : bench.out().split("\\R")) {
            if (line.startsWith("  round ")) {
                settings.add(line.substring(line.indexOf("meters"), line.indexOf("  ", line.indexOf("meters"))).strip());
            }
        }
        List<String> round = List.of("meters off", "meters on, 100 ms", "meters on, 10 ms");
        List<String> twoRounds = new ArrayList<>(round);
        twoRounds.addAll(round);
        assertEquals(twoRounds, settings, bench.out());
        assertTrue(bench.out().contains("The cost of measuring: 6 runs"), bench.out());
        for (String setting : round) {
            assertTrue(bench.out().lines().anyMatch(l -> l.matches(java.util.regex.Pattern.quote(setting) + "\\s+2\\s+.*")),
                    setting + " row with 2 runs: " + bench.out());
        }

        Path folder;
        try (var children = Files.list(runs.resultsRoot)) {
            folder = children.filter(p -> p.getFileName().toString().startsWith("overhead-")).findFirst().orElseThrow();
        }
        List<String> csv = Files.readAllLines(folder.resolve("overhead-runs.csv"));
        assertEquals(7, csv.size(), String.join("\n", csv));
        List<EnergyReading> readings = runs.meter.readings.subList(readingsBefore, runs.meter.readings.size());
        long previousWindowEnd = Long.MIN_VALUE;
        for (String line : csv.subList(1, csv.size())) {
            String[] cells = line.split(",", -1);
            Path experiment = folder.resolve(cells[2]);
            JsonNode raw = ExperimentRuns.json(experiment.resolve("raw/cycle_1/process_0.json"));
            JsonNode result = ExperimentRuns.json(experiment.resolve("result.json"));
            long windowStart = raw.path("window").path("start_nanos").asLong();
            long windowEnd = raw.path("window").path("end_nanos").asLong();
            if (cells[1].equals("off")) {
                assertTrue(result.path("unmetered").asBoolean(), experiment + " is labelled unmetered");
                assertEquals(0, raw.path("energy").size(), raw.path("energy").toString());
                assertEquals(0, raw.path("baseline").size(), raw.path("baseline").toString());
                // no session began from the end of the run before to the end of this window (its
                // baseline, warmup and window); the run before may stop its own session after its window
                for (EnergyReading reading : readings) {
                    assertFalse(reading.startNanos() > previousWindowEnd && reading.startNanos() < windowEnd,
                            "the meter had a session during meters-off run " + experiment.getFileName());
                }
                assertEquals("", cells[6], "a meters-off run counts no source");
            } else {
                assertFalse(result.path("unmetered").asBoolean());
                assertEquals(1, raw.path("energy").size(), raw.path("energy").toString());
                long windowReadings = readings.stream()
                        .filter(r -> r.startNanos() <= windowEnd && r.endNanos() >= windowStart).count();
                assertEquals(1, windowReadings, "one session of the meter over a meters-on window");
                assertEquals(ExperimentRuns.METER, cells[6]);
            }
            previousWindowEnd = windowEnd;
        }
    }
}
