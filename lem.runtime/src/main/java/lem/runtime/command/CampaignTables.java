package lem.runtime.command;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import lem.runtime.campaign.CampaignExpansion;
import lem.runtime.campaign.CampaignFolder;
import lem.runtime.campaign.CampaignPlan;
import lem.runtime.campaign.CampaignSummary;
import lem.runtime.campaign.DurationEstimate;
import lem.runtime.campaign.Experiment;
import lem.runtime.campaign.PlannedRun;
import lem.runtime.campaign.RunRecord;
import lem.runtime.config.ConfigDocument;
import lem.runtime.results.HeadlineMetric;
import lem.runtime.results.MetricStatistics;

/** The campaign commands' tables: the dry run's plan, the runs' states, the summary across cycles. */
final class CampaignTables {
    private CampaignTables() {
    }

    /** {@code --dry-run}: every experiment with its varied values and estimated duration, then the order. */
    static ResultTables.Rows plan(CampaignExpansion.Result expansion, List<DurationEstimate> estimates, long seed,
            boolean seedDrawn) {
        List<String> keys = new ArrayList<>();
        for (Experiment e : expansion.experiments()) {
            for (ConfigDocument.Setting s : e.varied()) {
                if (!keys.contains(s.keyPath())) {
                    keys.add(s.keyPath());
                }
            }
        }
        List<String> headers = new ArrayList<>(List.of("#", "EXPERIMENT"));
        headers.addAll(keys);
        headers.addAll(List.of("RUNS", "ESTIMATE PER RUN"));
        List<List<String>> rows = new ArrayList<>();
        int cycles = expansion.spec().cycles();
        double total = 0;
        boolean allKnown = true;
        for (Experiment e : expansion.experiments()) {
            List<String> row = new ArrayList<>(List.of(String.valueOf(e.index()), e.name()));
            for (String key : keys) {
                row.add(e.varied().stream().filter(s -> s.keyPath().equals(key)).findFirst()
                        .map(s -> CampaignExpansion.valueText(s.value())).orElse(""));
            }
            DurationEstimate estimate = estimates.get(e.index());
            row.add(String.valueOf(cycles));
            row.add((estimate.known() ? "" : ">= ") + DurationEstimate.format(estimate.seconds()) + " s");
            rows.add(row);
            total += estimate.seconds() * cycles;
            allKnown &= estimate.known();
        }
        List<PlannedRun> runs = expansion.runs(seed);
        total += expansion.spec().gapSeconds() * Math.max(0, runs.size() - 1);
        List<String> footer = new ArrayList<>();
        footer.add(runs.size() + " runs: " + expansion.experiments().size() + " experiment(s) x " + cycles
                + " campaign cycle(s), " + expansion.spec().order().configName()
                + (expansion.spec().order() == lem.runtime.campaign.Ordering.SHUFFLED
                        ? " (seed " + seed + (seedDrawn ? ", drawn for this dry run; a real start draws its own" : "") + ")"
                        : "")
                + ", gap " + DurationEstimate.format(expansion.spec().gapSeconds()) + " s"
                + (expansion.spec().coolDown() == null ? "" : ", then cool-down until within "
                        + DurationEstimate.format(expansion.spec().coolDown().withinWatts()) + " W and "
                        + DurationEstimate.format(expansion.spec().coolDown().withinCelsius()) + " C of idle (at most "
                        + DurationEstimate.format(expansion.spec().coolDown().maxSeconds()) + " s, not in the estimate)")
                + ", on_failure " + expansion.spec().onFailure().configName());
        footer.add("order: " + String.join(" ", runs.stream().map(r -> r.experiment() + "/" + r.cycle()).toList())
                + "  (experiment #/campaign cycle)");
        footer.add("estimated total: " + (allKnown ? "" : ">= ") + DurationEstimate.format(total)
                + " s (baselines, earlier runs' measured windows and gaps; model loading and warmup not counted)");
        estimates.stream().filter(e -> !e.known()).findFirst()
                .ifPresent(e -> footer.add("'>=': " + e.basis()));
        return new ResultTables.Rows("Dry run: campaign " + expansion.spec().name() + " is valid; this is what would run",
                headers, rows, footer);
    }

    /** A row per experiment: varied values, runs complete, each metric's mean and 95% CI across campaign cycles. */
    static ResultTables.Rows summary(CampaignSummary summary, String status) {
        List<String> headers = new ArrayList<>(List.of("EXPERIMENT"));
        headers.addAll(summary.varied());
        headers.add("RUNS");
        for (HeadlineMetric metric : summary.metrics()) {
            headers.add(metric.key());
        }
        List<List<String>> rows = new ArrayList<>();
        for (CampaignSummary.Row r : summary.rows()) {
            List<String> row = new ArrayList<>(List.of(r.experiment()));
            row.addAll(r.values());
            row.add(r.complete() + "/" + r.planned());
            for (MetricStatistics s : r.statistics()) {
                row.add(statistic(s));
            }
            rows.add(row);
        }
        List<String> footer = new ArrayList<>();
        footer.add("mean [95% CI with t(0.975, n-1)] over the complete runs, one value per campaign cycle; "
                + "units: " + String.join(", ", summary.metrics().stream().map(m -> m.key() + " " + m.unit()).toList()));
        footer.addAll(summary.notes());
        return new ResultTables.Rows("Campaign " + summary.campaignId() + ": " + status, headers, rows, footer);
    }

    static String statistic(MetricStatistics s) {
        if (s.mean() == null) {
            return "-";
        }
        if (s.ciLow() == null) {
            return ResultTables.num(s.mean()) + " (n=" + s.n() + ")";
        }
        return ResultTables.num(s.mean()) + " [" + ResultTables.num(s.ciLow()) + ", " + ResultTables.num(s.ciHigh()) + "]";
    }

    /** Every planned run and where it stands. */
    static ResultTables.Rows runs(CampaignFolder folder) {
        CampaignPlan plan = folder.plan();
        var records = folder.records();
        List<List<String>> rows = new ArrayList<>();
        for (PlannedRun run : plan.runs()) {
            RunRecord r = records.get(run.index());
            rows.add(List.of(String.valueOf(run.index()), plan.experiments().get(run.experiment()).name(),
                    String.valueOf(run.cycle()), r == null ? "pending" : r.state().name().toLowerCase(Locale.ROOT),
                    r == null || r.experimentId() == null ? "" : r.experimentId(),
                    r == null || r.reason() == null ? "" : r.reason()));
        }
        return new ResultTables.Rows("Runs of campaign " + plan.campaignId() + " (" + plan.order().configName()
                + ", seed " + plan.seed() + ")", List.of("#", "EXPERIMENT", "CYCLE", "STATE", "EXPERIMENT ID", "REASON"),
                rows, List.of());
    }
}
