package lem.runtime.campaign;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import lem.runtime.results.AggregatedResult;
import lem.runtime.results.HeadlineMetric;
import lem.runtime.results.MetricStatistics;
import lem.runtime.results.ResultStore;
import lem.runtime.results.ResultsFileException;
import lem.runtime.results.UnknownExperimentException;

/**
 * The campaign's table: a row per experiment, its varied values, and each headline metric's mean
 * and 95% confidence interval across the campaign cycles (one value per complete run: the run's
 * overall figure, read from its {@code result.json}).
 *
 * @param campaignId the campaign
 * @param varied     the varied key paths, the table's value columns, in grid order
 * @param metrics    the metrics summarised
 * @param rows       per experiment, in plan order
 * @param notes      runs whose results could not be read, and why
 */
public record CampaignSummary(String campaignId, List<String> varied, List<HeadlineMetric> metrics, List<Row> rows,
        List<String> notes) {

    /** The metrics of the table unless others are asked for. */
    public static final List<HeadlineMetric> DEFAULT_METRICS = List.of(HeadlineMetric.OUTPUT_TOKENS_PER_SECOND,
            HeadlineMetric.JOULES_PER_OUTPUT_TOKEN, HeadlineMetric.TTFT_MEAN);

    public CampaignSummary {
        varied = List.copyOf(varied);
        metrics = List.copyOf(metrics);
        rows = List.copyOf(rows);
        notes = List.copyOf(notes);
    }

    /**
     * One experiment.
     *
     * @param experiment its name
     * @param values     its varied values as text, one per {@link CampaignSummary#varied} key ("" where it does not vary it)
     * @param complete   complete runs
     * @param planned    planned runs (the campaign cycles)
     * @param statistics per metric, over the complete runs, in {@link CampaignSummary#metrics} order
     */
    public record Row(String experiment, List<String> values, int complete, int planned,
            List<MetricStatistics> statistics) {
        public Row {
            values = List.copyOf(values);
            statistics = List.copyOf(statistics);
        }
    }

    /** Reads the campaign's plan, run records and results. */
    public static CampaignSummary of(CampaignFolder folder, List<HeadlineMetric> metrics) {
        CampaignPlan plan = folder.plan();
        Set<String> keys = new LinkedHashSet<>();
        plan.experiments().forEach(e -> keys.addAll(e.varied().keySet()));
        Map<Integer, RunRecord> records = folder.records();
        List<String> notes = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (CampaignPlan.PlannedExperiment e : plan.experiments()) {
            List<AggregatedResult> results = new ArrayList<>();
            int planned = 0;
            for (PlannedRun run : plan.runs()) {
                if (run.experiment() != e.index()) {
                    continue;
                }
                planned++;
                RunRecord record = records.get(run.index());
                if (record == null || !record.complete() || record.resultDirectory() == null) {
                    continue;
                }
                AggregatedResult result = result(Path.of(record.resultDirectory()), notes, run);
                if (result != null) {
                    results.add(result);
                }
            }
            List<String> values = new ArrayList<>();
            for (String key : keys) {
                values.add(e.varied().getOrDefault(key, ""));
            }
            List<MetricStatistics> statistics = new ArrayList<>();
            for (HeadlineMetric metric : metrics) {
                List<Double> perRun = new ArrayList<>();
                for (AggregatedResult r : results) {
                    Double value = metric.valueOf(r.overall());
                    if (value != null) {
                        perRun.add(value);
                    }
                }
                statistics.add(MetricStatistics.of(metric.key(), metric.unit(), perRun));
            }
            rows.add(new Row(e.name(), values, results.size(), planned, statistics));
        }
        return new CampaignSummary(plan.campaignId(), new ArrayList<>(keys), metrics, rows, notes);
    }

    private static AggregatedResult result(Path directory, List<String> notes, PlannedRun run) {
        try {
            return new ResultStore(directory.getParent()).load(directory.getFileName().toString());
        } catch (ResultsFileException | UnknownExperimentException e) {
            notes.add("run " + run.index() + ": " + e.getMessage());
            return null;
        }
    }
}
