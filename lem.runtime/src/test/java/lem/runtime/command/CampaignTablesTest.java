package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import lem.runtime.campaign.CampaignSummary;
import lem.runtime.results.HeadlineMetric;
import lem.runtime.results.MetricStatistics;

class CampaignTablesTest {

    @Test
    void theSummaryHasARowPerExperimentItsVariedValuesAndEachMetricsMeanAndInterval() {
        MetricStatistics two = MetricStatistics.of("output_tokens_per_s", "tokens/s", List.of(100.0, 110.0));
        MetricStatistics one = MetricStatistics.of("output_tokens_per_s", "tokens/s", List.of(90.0));
        MetricStatistics none = MetricStatistics.of("output_tokens_per_s", "tokens/s", List.of());
        CampaignSummary summary = new CampaignSummary("grid-20261129T230000Z", List.of("batching.batch_size", "precision"),
                List.of(HeadlineMetric.OUTPUT_TOKENS_PER_SECOND),
                List.of(new CampaignSummary.Row("q-b=1", List.of("1", "float16"), 2, 2, List.of(two)),
                        new CampaignSummary.Row("q-b=4", List.of("4", ""), 1, 2, List.of(one)),
                        new CampaignSummary.Row("q-b=8", List.of("8", "float32"), 0, 2, List.of(none))),
                List.of("run 5: gone"));

        ResultTables.Rows table = CampaignTables.summary(summary, "complete");

        assertEquals("Campaign grid-20261129T230000Z: complete", table.title());
        assertEquals(List.of("EXPERIMENT", "batching.batch_size", "precision", "RUNS", "output_tokens_per_s"), table.headers());
        // t(0.975, 1) = 12.706; sd 7.071; half width 63.53
        assertEquals(List.of("q-b=1", "1", "float16", "2/2", "105.0 [41.47, 168.5]"), table.rows().get(0));
        assertEquals(List.of("q-b=4", "4", "", "1/2", "90.00 (n=1)"), table.rows().get(1));
        assertEquals(List.of("q-b=8", "8", "float32", "0/2", "-"), table.rows().get(2));
        assertEquals("run 5: gone", table.footer().get(1));
    }
}
