package lem.runtime.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.runtime.analysis.ExperimentComparison.MetricRow;
import lem.runtime.results.ExperimentFolders;
import lem.runtime.results.ExperimentFolders.Cycle;
import lem.runtime.results.TidyTable;

class ExperimentComparisonTest {
    @TempDir
    Path dir;

    /**
     * A: batch 4, 32-token prompts, measured, 3 cycles of 2 requests at 300, 310, 290 J.
     * B: batch 8, estimated, 3 cycles of 3 requests at 250, 262, 244 J.
     * C: as A but 64-token prompts.
     */
    private List<StoredExperiment> threeExperiments() throws Exception {
        Path root = dir.resolve("results");
        Path a = ExperimentFolders.experiment(root, "a", ExperimentFolders.config("a", 4, 32, "float16", 3), false,
                new Cycle(300, 2, 2, 32, 4, 100), new Cycle(310, 2, 2, 32, 4, 100), new Cycle(290, 2, 2, 32, 4, 100));
        Path b = ExperimentFolders.experiment(root, "b", ExperimentFolders.config("b", 8, 32, "float16", 3), true,
                new Cycle(250, 2, 3, 32, 4, 100), new Cycle(262, 2, 3, 32, 4, 100), new Cycle(244, 2, 3, 32, 4, 100));
        Path c = ExperimentFolders.experiment(root, "c", ExperimentFolders.config("c", 4, 64, "float16", 3), false,
                new Cycle(300, 2, 2, 64, 4, 100), new Cycle(310, 2, 2, 64, 4, 100), new Cycle(290, 2, 2, 64, 4, 100));
        return List.of(StoredExperiment.read(a), StoredExperiment.read(b), StoredExperiment.read(c));
    }

    @Test
    void listsTheDifferingKeysTheWelchTestAndWhyTheComparisonIsUnfair() throws Exception {
        ExperimentComparison comparison = ExperimentComparison.of(threeExperiments());

        List<String> keys = comparison.differences().stream().map(ExperimentComparison.ConfigDifference::key).toList();
        assertTrue(keys.contains("batching.batch_size"), keys.toString());
        assertTrue(keys.contains("prompts.synthetic.input_tokens"), keys.toString());
        assertFalse(keys.contains("decoder.max_new_tokens"), "equal everywhere: not listed");
        assertEquals(List.of("4", "8", "4"), comparison.differences().stream()
                .filter(d -> d.key().equals("batching.batch_size")).findFirst().orElseThrow().values());

        MetricRow energy = comparison.rows().stream().filter(r -> r.metric().equals("energy_j") && r.against().equals("b"))
                .findFirst().orElseThrow();
        assertEquals(900, energy.a(), 1e-9);
        assertEquals(756, energy.b(), 1e-9);
        assertEquals(-16, energy.differencePercent(), 1e-9); // (756 - 900) / 900
        // scipy.stats.ttest_ind([250, 262, 244], [300, 310, 290], equal_var=False), SciPy 1.17.1:
        // t = -6.129047, p = 0.00368019, df = 3.969981, 95% CI [-69.80889, -26.19111]
        assertEquals(-48, energy.test().difference(), 1e-9);
        assertEquals(-6.129047, energy.test().t(), 1e-6);
        assertEquals(0.00368019, energy.test().pValue(), 1e-8);
        assertEquals(3.969981, energy.test().degreesOfFreedom(), 1e-6);
        assertEquals(-69.80889, energy.test().ciLow(), 1e-5);
        assertEquals(-26.19111, energy.test().ciHigh(), 1e-5);

        String unfair = String.join("\n", comparison.unfair());
        assertTrue(unfair.contains("request counts differ (a 6, b 9)"), unfair);
        assertTrue(unfair.contains("estimates vs measurements: b's energy includes estimates (codecarbon), a's is measured (nvml)"),
                unfair);
        assertTrue(unfair.contains("prompt lengths differ (a 32.0, c 64.0 input tokens per request)"), unfair);
        assertFalse(unfair.contains("request counts differ (a 6, c"), "a and c did the same number of requests");
        assertFalse(unfair.contains("output lengths differ"), unfair);
    }

    @Test
    void everyMetricOfTheTableIsCompared() throws Exception {
        ExperimentComparison comparison = ExperimentComparison.of(threeExperiments().subList(0, 2));
        List<String> metrics = comparison.rows().stream().map(MetricRow::metric).toList();
        for (String expected : List.of("energy_j", "j_per_output_token", "output_tokens_per_s", "ttft_p99_ms")) {
            assertTrue(metrics.contains(expected), expected + " in " + metrics);
        }
        assertTrue(TidyTable.METRICS.size() >= metrics.size());
    }
}
