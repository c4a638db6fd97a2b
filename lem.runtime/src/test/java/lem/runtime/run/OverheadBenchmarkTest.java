package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.backend.InferenceBackend;
import lem.api.energy.EnergySource;
import lem.runtime.config.ConfigLoader;
import lem.runtime.config.LoadedConfig;
import lem.runtime.plugin.PluginService;
import lem.runtime.results.MetricStatistics;
import lem.runtime.results.RawResult;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.ResultsJson;
import lem.runtime.run.OverheadBenchmark.Ratio;
import lem.runtime.run.OverheadBenchmark.Report;
import lem.runtime.run.OverheadBenchmark.Setting;
import lem.runtime.run.OverheadBenchmark.SettingFigures;

class OverheadBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void withoutASeedEveryRoundRunsOffThenHundredThenTenMilliseconds() {
        List<Setting> order = OverheadBenchmark.schedule(3, null);
        List<Setting> round = List.of(Setting.OFF, Setting.ON_100_MS, Setting.ON_10_MS);
        List<Setting> expected = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            expected.addAll(round);
        }
        assertEquals(expected, order);
    }

    @Test
    void aSeedShufflesEachRoundAndTheSameSeedGivesTheSameOrder() {
        List<Setting> order = OverheadBenchmark.schedule(8, 11L);
        assertEquals(order, OverheadBenchmark.schedule(8, 11L));
        assertNotEquals(order, OverheadBenchmark.schedule(8, 12L));
        var rounds = new HashSet<List<Setting>>();
        for (int r = 0; r < 8; r++) {
            List<Setting> round = order.subList(3 * r, 3 * r + 3);
            assertEquals(Setting.values().length, new HashSet<>(round).size(), "each round runs every setting once: " + round);
            rounds.add(round);
        }
        assertTrue(rounds.size() > 1, "the order changes between rounds: " + order);
    }

    @Test
    void onlyTheOffSettingTurnsTheSourcesOffAndEachOnSettingSamplesAndKeepsItsRate() {
        assertEquals(List.of("energy.sources=none"), Setting.OFF.overrides());
        assertEquals(List.of("energy.interval_ms=100", "timeseries.enabled=true", "timeseries.interval_ms=100"),
                Setting.ON_100_MS.overrides());
        assertEquals(List.of("energy.interval_ms=10", "timeseries.enabled=true", "timeseries.interval_ms=10"),
                Setting.ON_10_MS.overrides());
    }

    @Test
    void ratioOfMeansAndItsIntervalByHand() {
        // on 98, 100, 102: mean 100, s 2; off 104, 108, 112: mean 108, s 4; R = 100 / 108 = 0.925926
        // relative variances of the means: 4 / (3 x 100^2) = 1.33333e-4 and 16 / (3 x 108^2) = 4.57247e-4
        // se = sqrt(5.90581e-4) = 0.0243019
        // Welch df = 5.90581e-4^2 / ((1.33333e-4)^2 / 2 + (4.57247e-4)^2 / 2) = 3.07 -> 3, t(0.975, 3) = 3.182446
        // interval R exp(-+ 3.182446 x 0.0243019) = [0.857015, 1.000378]
        Ratio ratio = OverheadBenchmark.ratioOfMeans(MetricStatistics.of("x", "tokens/s", List.of(98.0, 100.0, 102.0)),
                MetricStatistics.of("x", "tokens/s", List.of(104.0, 108.0, 112.0)));
        assertEquals(0.925926, ratio.ratio(), 1e-6);
        assertEquals(3, ratio.degreesOfFreedom());
        assertEquals(0.857015, ratio.ciLow(), 1e-6);
        assertEquals(1.000378, ratio.ciHigh(), 1e-6);
    }

    @Test
    void aRatioWithoutSpreadHasNoWidthAndOneRunASideHasNoInterval() {
        Ratio exact = OverheadBenchmark.ratioOfMeans(MetricStatistics.of("x", "ms", List.of(5.0, 5.0)),
                MetricStatistics.of("x", "ms", List.of(4.0, 4.0)));
        assertEquals(1.25, exact.ratio(), 1e-12);
        assertEquals(1.25, exact.ciLow(), 1e-12);
        assertEquals(1.25, exact.ciHigh(), 1e-12);
        Ratio single = OverheadBenchmark.ratioOfMeans(MetricStatistics.of("x", "ms", List.of(5.0)),
                MetricStatistics.of("x", "ms", List.of(4.0, 4.2)));
        assertEquals(1.25 * 4 / 4.1, single.ratio(), 1e-12);
        assertNull(single.ciLow());
    }

    /**
     * The whole loop through real runs of a scripted backend: the runs alternate, the meters-off
     * runs start no energy session and take no baseline, the meters-on runs sample at their rate,
     * and the figures are those of the runs' own results.
     */
    @Test
    void offRunsStartNoSessionAndOnRunsSampleAtTheirRate() throws IOException {
        Path file = UnmeteredRunTest.configFile(dir, "[meter]", "baseline: {duration_s: 0.05, interval_ms: 10}\n");
        ScriptedBackend backend = new ScriptedBackend();
        MeteredEnergySource meter = new MeteredEnergySource("meter", new double[] {50});
        List<Setting> ran = new ArrayList<>();
        List<Integer> sessionsBefore = new ArrayList<>();
        List<Integer> sessionsAfter = new ArrayList<>();
        BaselineMeter baselines = new BaselineMeter();

        Report report = OverheadBenchmark.run(2, null, (setting, overrides) -> {
            LoadedConfig loaded = ConfigLoader.load(file, overrides);
            assertTrue(loaded.valid(), () -> String.valueOf(loaded.problems()));
            // what lem:bench does: the config decides the sources; none means an empty list
            List<EnergySource> sources = loaded.config().energy().none() ? List.of() : List.of(meter);
            RunServices services = new RunServices(new PluginService<>(ScriptedBackend.NAME, "b", "1", "ACTIVE", 0,
                    (InferenceBackend) backend), sources.stream().map(s -> new PluginService<>("meter", "m", "1", "ACTIVE", 0, s))
                            .toList(), List.of(), Map.of());
            ran.add(setting);
            sessionsBefore.add(meter.sessions.size());
            RunOutcome outcome = new ExperimentRunner(loaded, services, baselines, RunProgress.SILENT,
                    new EnvironmentCapture(dir), dir).run();
            sessionsAfter.add(meter.sessions.size());
            return outcome;
        }, run -> { });

        assertEquals(OverheadBenchmark.schedule(2, null), ran);
        assertNull(report.stopped());
        for (int i = 0; i < ran.size(); i++) {
            int started = sessionsAfter.get(i) - sessionsBefore.get(i);
            OverheadBenchmark.Run run = report.runs().get(i);
            RawResult raw = ResultsJson.read(run.directory().resolve(ResultsDirectory.rawPath(1, 0)), RawResult.class);
            if (ran.get(i) == Setting.OFF) {
                assertEquals(0, started, "a meters-off run starts no energy session, baseline included");
                assertTrue(raw.energy().isEmpty() && raw.baseline().isEmpty(), raw.toString());
                assertEquals(List.of(), run.energySources());
            } else {
                assertTrue(started >= 1, "a meters-on run measures");
                long interval = ran.get(i) == Setting.ON_100_MS ? 100_000_000L : 10_000_000L;
                assertEquals(interval, meter.sessions.get(sessionsAfter.get(i) - 1).intervalNanos);
                assertEquals(List.of("meter"), run.energySources());
            }
        }
        SettingFigures off = report.settings().get(0);
        assertEquals(Setting.OFF, off.setting());
        assertEquals(2, off.outputTokensPerSecond().n());
        List<Double> offThroughput = report.runs().stream().filter(r -> r.setting() == Setting.OFF)
                .map(OverheadBenchmark.Run::outputTokensPerSecond).toList();
        assertEquals(offThroughput, off.outputTokensPerSecond().values());
        assertNull(off.throughputRatio());
        SettingFigures on = report.settings().get(1);
        assertEquals(on.outputTokensPerSecond().mean() / off.outputTokensPerSecond().mean(), on.throughputRatio().ratio(), 1e-12);
        assertEquals(on.decodeMsPerToken().mean() / off.decodeMsPerToken().mean(), on.decodeRatio().ratio(), 1e-12);
    }
}
