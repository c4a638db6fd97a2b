package lem.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;
import lem.api.energy.PowerSample;
import lem.api.model.ModelDescription;
import lem.api.model.Precision;
import lem.runtime.campaign.CampaignFolder;
import lem.runtime.campaign.CampaignPlan;
import lem.runtime.campaign.FailurePolicy;
import lem.runtime.campaign.Ordering;
import lem.runtime.campaign.PlannedRun;
import lem.runtime.campaign.RunRecord;
import lem.runtime.config.ConfigLoader;
import lem.runtime.results.BackendIdentity;
import lem.runtime.results.BaselinePower;
import lem.runtime.results.MeasurementWindow;
import lem.runtime.results.PowerSeriesFile;
import lem.runtime.results.RawResult;
import lem.runtime.results.RequestTimeline;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.TokenArrival;
import lem.runtime.results.WallClockAnchor;

/**
 * Experiment folders written by the runtime's real writer and aggregator, with numbers the test
 * chooses: requests one after another, a GPU power series at 100 ms (the idle baseline before the
 * first request, {@code prefillWatts} from a request's start to its first token, {@code decodeWatts}
 * after), the baseline, and an energy counter that reads the series' integral.
 */
final class ResultFolders {
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;
    static final double IDLE_WATTS = 60;

    private ResultFolders() {
    }

    /**
     * Writes {@code <root>/<id>/}: {@code cycles} cycles of {@code requests} requests, each with
     * TTFT {@code ttftMs}(+ cycle jitter) then {@code outputTokens} tokens {@code itlMs} apart.
     */
    static Path experiment(Path root, String id, int cycles, int requests, long ttftMs, long itlMs, int outputTokens,
            double prefillWatts, double decodeWatts) throws IOException {
        Path yaml = Files.createDirectories(root.resolveSibling(root.getFileName() + "-configs")).resolve(id + ".yaml");
        Files.writeString(yaml, """
                name: %s
                model: {source: synthetic, name: llama-tiny}
                backend: {name: djl, device: cuda}
                prompts: {source: synthetic, count: %d, synthetic: {input_tokens: 16}}
                decoder: {preset: deterministic, min_new_tokens: %d, max_new_tokens: %d}
                cycles: %d
                """.formatted(id, requests, outputTokens, outputTokens, cycles));
        ResultsDirectory directory = ResultsDirectory.create(root, id, id);
        directory.writeConfig(ConfigLoader.load(yaml, List.of()).treeWithProvenance());
        Files.writeString(directory.path().resolve("environment.json"), """
                {"hostname": "host-a", "os": {"name": "Linux", "kernel": "6.1"},
                 "energy_sources": {"nvml": {"available": true,
                   "devices": [{"id": "GPU-0", "name": "NVIDIA H200", "domain": "GPU"}]}}}
                """);
        for (int c = 1; c <= cycles; c++) {
            long ttft = (ttftMs + 3L * c) * MS;
            long itl = (itlMs + c) * MS;
            long requestNanos = ttft + itl * (outputTokens - 1);
            long windowStart = 0;
            long windowEnd = requests * (requestNanos + 50 * MS);
            List<RequestTimeline> timelines = new ArrayList<>();
            List<long[]> phases = new ArrayList<>(); // start, first token, end
            long t = 0;
            for (int r = 0; r < requests; r++) {
                List<TokenArrival> tokens = new ArrayList<>();
                for (int k = 0; k < outputTokens; k++) {
                    tokens.add(new TokenArrival(t + ttft + k * itl, 1));
                }
                long end = t + requestNanos;
                timelines.add(new RequestTimeline("c" + c + "-r" + r, 16, outputTokens, t, t + ttft, end, tokens, "length", null,
                        t));
                phases.add(new long[] {t, t + ttft, end});
                t = end + 50 * MS;
            }
            double joules = 0;
            try (PowerSeriesFile.Appender series = directory.openPowerSeries(c, 0)) {
                for (long at = windowStart - 500 * MS; at <= windowEnd + 200 * MS; at += 100 * MS) {
                    double watts = IDLE_WATTS;
                    for (long[] p : phases) {
                        if (at >= p[0] && at < p[1]) {
                            watts = prefillWatts;
                        } else if (at >= p[1] && at < p[2]) {
                            watts = decodeWatts;
                        }
                    }
                    if (at >= windowStart && at < windowEnd) {
                        joules += watts * 0.1;
                    }
                    series.append("nvml", new PowerSample("GPU-0", at, watts, Map.of(PowerSample.TEMPERATURE_CELSIUS, 40.0 + c)));
                }
            }
            DeviceEnergy gpu = new DeviceEnergy("GPU-0", EnergyDomain.GPU, joules, EnergyMethod.COUNTER, false,
                    "nvml total energy counter");
            EnergyReading reading = new EnergyReading("nvml", windowStart, windowEnd, List.of(gpu), List.of(), List.of(), Map.of());
            BaselinePower baseline = new BaselinePower("nvml", "GPU-0", IDLE_WATTS, 1.5, 300, 30 * S, 1_700_000_000_000L,
                    Map.of("pstate", "P8"));
            List<String> warnings = c == 1 ? List.of("cycle 1: GPU-0 throttled (test warning <b>)") : List.of();
            directory.writeRaw(new RawResult(RawResult.SCHEMA_VERSION, id, c, 0, "host-a",
                    new WallClockAnchor(1_700_000_000_000L, 0), new MeasurementWindow(windowStart, windowEnd),
                    new BackendIdentity("djl", "0.1.0", "PyTorch 2.7.1"), model(), timelines, List.of(reading), List.of(baseline),
                    null, null, List.of(), -1, warnings, ResultsDirectory.powerSeriesPath(c, 0), true, null));
        }
        directory.writeResult(directory.aggregate());
        directory.markComplete();
        return directory.path();
    }

    static ModelDescription model() {
        return new ModelDescription("llama-tiny", "llama", 1_000_000L, Precision.FLOAT32, Precision.FLOAT32, "none", Map.of());
    }

    /** A campaign folder whose runs made the given experiments, all complete. */
    static Path campaign(Path root, String campaignId, String name, List<String> experimentIds) throws IOException {
        List<CampaignPlan.PlannedExperiment> experiments = new ArrayList<>();
        List<PlannedRun> runs = new ArrayList<>();
        for (int i = 0; i < experimentIds.size(); i++) {
            experiments.add(new CampaignPlan.PlannedExperiment(i, experimentIds.get(i), "c.yaml", Map.of("batching.batch_size",
                    String.valueOf(i + 1)), "f" + i));
            runs.add(new PlannedRun(i, i, 1));
        }
        CampaignFolder folder = CampaignFolder.create(root, new CampaignPlan(CampaignPlan.SCHEMA_VERSION, campaignId, name,
                "c.yaml", 1_700_000_000_000L, 1, Ordering.GROUPED, 1, false, 0, null, FailurePolicy.CONTINUE, experiments, runs));
        for (int i = 0; i < experimentIds.size(); i++) {
            folder.write(new RunRecord(i, experimentIds.get(i), 1, RunRecord.State.COMPLETE, experimentIds.get(i),
                    root.resolve(experimentIds.get(i)).toString(), null, 0, 1_700_000_000_000L, 1_700_000_001_000L, List.of(), null));
        }
        return folder.path();
    }
}
