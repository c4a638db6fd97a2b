package lem.runtime.campaign;

import java.util.List;
import java.util.Map;

/**
 * {@code plan.json}: what a campaign runs, fixed when it starts. Written once; the state of each
 * run is in its own file ({@link RunRecord}), so runs can be recorded by different processes
 * (a background runner, Slurm array tasks) without rewriting a shared file.
 *
 * @param schemaVersion      {@link #SCHEMA_VERSION}
 * @param campaignId         the campaign's folder name
 * @param name               the campaign's name
 * @param campaignFile       the campaign file, absolute; resume expands it again
 * @param createdEpochMillis when the campaign started, wall clock
 * @param cycles             campaign cycles
 * @param order              grouped, interleaved or shuffled
 * @param seed               the seed of the order (drawn when the file gave none)
 * @param seedDrawn          true when the campaign drew the seed itself
 * @param gapSeconds         pause between runs
 * @param coolDown           the thermal gap after the pause, or null
 * @param onFailure          continue or stop
 * @param experiments        the experiments, by index
 * @param runs               every run, by index, in order
 */
public record CampaignPlan(String schemaVersion, String campaignId, String name, String campaignFile,
        long createdEpochMillis, int cycles, Ordering order, long seed, boolean seedDrawn, double gapSeconds,
        CoolDown coolDown, FailurePolicy onFailure, List<PlannedExperiment> experiments, List<PlannedRun> runs) {
    public static final String SCHEMA_VERSION = "1";

    public CampaignPlan {
        experiments = List.copyOf(experiments);
        runs = List.copyOf(runs);
    }

    /**
     * One experiment of the plan.
     *
     * @param index       0-based
     * @param name        its name (the config's {@code name})
     * @param source      the config file it came from
     * @param varied      key path to varied value as text (a list as {@code a+b}), in grid order
     * @param fingerprint SHA-256 of its resolved config; a resume refuses an experiment whose config changed
     */
    public record PlannedExperiment(int index, String name, String source, Map<String, String> varied,
            String fingerprint) {
        public PlannedExperiment {
            varied = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(varied));
        }
    }
}
