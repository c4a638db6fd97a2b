package lem.runtime.campaign;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import lem.runtime.config.ConfigDocument;
import lem.runtime.config.LoadedConfig;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.TidyTable;
import lem.runtime.results.ResultsJson;
import lem.runtime.run.RunOutcome;

/**
 * Runs a campaign's missing runs in plan order, one experiment at a time, through an
 * {@link Executor} (the experiment runner, as {@code lem run} uses it). Each run's state is
 * written before it starts and after it ends, so a crash or kill -9 leaves it marked running and
 * a resume runs it again; what was finished is never run again.
 */
public final class CampaignRunner {

    /** Runs one experiment to its outcome; registers its cancel with the cancellation while it runs. */
    @FunctionalInterface
    public interface Executor {
        RunOutcome run(Experiment experiment, PlannedRun run, Cancellation cancellation) throws IOException;
    }

    /** What a campaign reports as it goes. */
    public interface Progress {
        void starting(PlannedRun run, Experiment experiment, int position, int count);

        void pausing(double seconds);

        /** Waiting for the devices to come back near idle, at most {@code coolDown.maxSeconds()}. */
        default void coolingDown(CoolDown coolDown) {
        }

        void ended(RunRecord record);

        Progress SILENT = new Progress() {
            @Override
            public void starting(PlannedRun run, Experiment experiment, int position, int count) {
            }

            @Override
            public void pausing(double seconds) {
            }

            @Override
            public void ended(RunRecord record) {
            }
        };
    }

    /**
     * How a campaign session ended.
     *
     * @param folder   the campaign's folder
     * @param ran      runs attempted in this session
     * @param complete runs complete over the whole campaign
     * @param failed   runs that failed or were cancelled, over the whole campaign
     * @param left     runs not complete (failed ones included)
     * @param stopped  why the session stopped before the end (a cancel, a failure with on_failure: stop), or null
     */
    public record Outcome(CampaignFolder folder, int ran, int complete, int failed, int left, String stopped) {
        public boolean finished() {
            return left == 0;
        }
    }

    private final CampaignFolder folder;
    private final List<Experiment> experiments;
    private final Executor executor;
    private final Progress progress;
    private final Cancellation cancellation = new Cancellation();
    /** Set by {@link #holdAfterCurrentRun}: the session stops before its next run, the campaign stays resumable. */
    private volatile String hold;
    private DeviceTelemetry telemetry;
    /** True when this session took the idle reference itself, just before its first run. */
    private boolean referenceTakenNow;
    /** The runs this session may run (a Slurm array task's shard), or null for all. */
    private java.util.Set<Integer> only;

    /**
     * @param experiments the campaign expanded now; must match the plan ({@link #checkMatches})
     */
    public CampaignRunner(CampaignFolder folder, List<Experiment> experiments, Executor executor, Progress progress) {
        checkMatches(folder.plan(), experiments);
        this.folder = folder;
        this.experiments = List.copyOf(experiments);
        this.executor = executor;
        this.progress = progress;
    }

    /**
     * Writes the plan of a new campaign: experiments, order (the file's seed, or one drawn now and
     * recorded) and settings, under {@code <output_dir>/campaigns/<id>}.
     */
    public static CampaignFolder create(CampaignExpansion.Result expansion, Path workingDirectory, long epochMillis)
            throws IOException {
        if (!expansion.valid()) {
            throw new IllegalArgumentException("campaign has problems: " + expansion.problems());
        }
        CampaignSpec spec = expansion.spec();
        boolean drawn = spec.seed() == null;
        long seed = drawn ? ThreadLocalRandom.current().nextLong() : spec.seed();
        Path resultsRoot = workingDirectory.resolve(spec.outputDir());
        String id = ResultsDirectory.newExperimentId(resultsRoot.resolve(CampaignFolder.CAMPAIGNS_DIR), spec.name(),
                epochMillis);
        List<CampaignPlan.PlannedExperiment> planned = new ArrayList<>();
        for (Experiment e : expansion.experiments()) {
            planned.add(new CampaignPlan.PlannedExperiment(e.index(), e.name(), e.source(), varied(e),
                    fingerprint(e.loaded())));
        }
        CampaignPlan plan = new CampaignPlan(CampaignPlan.SCHEMA_VERSION, id, spec.name(),
                spec.file().toAbsolutePath().normalize().toString(), epochMillis, spec.cycles(), spec.order(), seed,
                drawn, spec.gapSeconds(), spec.coolDown(), spec.onFailure(), planned, expansion.runs(seed));
        return CampaignFolder.create(resultsRoot, plan);
    }

    /** Varied key path to value as text, in grid order. */
    static Map<String, String> varied(Experiment e) {
        Map<String, String> varied = new LinkedHashMap<>();
        for (ConfigDocument.Setting s : e.varied()) {
            varied.put(s.keyPath(), CampaignExpansion.valueText(s.value()));
        }
        return varied;
    }

    /** SHA-256 of the resolved config as JSON (keys sorted): equal configs, equal fingerprints. */
    static String fingerprint(LoadedConfig loaded) {
        try {
            byte[] json = ResultsJson.toBytes(loaded.tree());
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * A resume runs the experiments it planned, or none: the campaign file and every config it names
     * must expand to the same experiments with the same resolved configs.
     */
    public static void checkMatches(CampaignPlan plan, List<Experiment> experiments) {
        if (experiments.size() != plan.experiments().size()) {
            throw new CampaignException("the campaign file " + plan.campaignFile() + " now expands to "
                    + experiments.size() + " experiments, the campaign planned " + plan.experiments().size()
                    + "; start a new campaign to measure the changed set");
        }
        for (CampaignPlan.PlannedExperiment p : plan.experiments()) {
            Experiment now = experiments.get(p.index());
            if (!now.name().equals(p.name()) || !fingerprint(now.loaded()).equals(p.fingerprint())) {
                throw new CampaignException("experiment " + p.name() + " (" + p.source()
                        + ") changed since the campaign started: its resolved config differs now"
                        + "; put the file back, or start a new campaign to measure the change");
            }
        }
    }

    /** Where a campaign with {@code cool_down} reads device power and temperature; without it, there is no cool-down. */
    public CampaignRunner withTelemetry(DeviceTelemetry deviceTelemetry) {
        this.telemetry = deviceTelemetry;
        return this;
    }

    /** Stops the campaign: the running experiment keeps what it measured and is recorded cancelled. */
    public void cancel(String reason) {
        cancellation.cancel(reason);
    }

    /**
     * Pauses the campaign: the run in flight finishes and is recorded as usual, then the session
     * stops before the next one with {@code reason} as its {@link Outcome#stopped}; a resume goes on.
     */
    public void holdAfterCurrentRun(String reason) {
        hold = reason;
    }

    /**
     * Runs only these run indexes (a Slurm array task's shard) and counts only them in the outcome,
     * under a lock of their own, so that other array tasks run the campaign's other runs beside it.
     */
    public CampaignRunner only(java.util.Set<Integer> runIndexes) {
        this.only = java.util.Set.copyOf(runIndexes);
        return this;
    }

    public CampaignFolder folder() {
        return folder;
    }

    /** Runs every run that is not complete, in plan order. */
    public Outcome run() throws IOException {
        CampaignPlan plan = folder.plan();
        String stopped = null;
        int ran = 0;
        try (AutoCloseable lock = only == null ? folder.lock()
                : folder.lock(CampaignFolder.LOCK_FILE + "_run_" + java.util.Collections.min(only))) {
            List<PlannedRun> missing = folder.missing().stream().filter(r -> only == null || only.contains(r.index()))
                    .toList();
            Map<String, DeviceTelemetry.DeviceState> idle = null;
            for (int i = 0; i < missing.size(); i++) {
                PlannedRun run = missing.get(i);
                if (cancellation.cancelled() || hold != null) {
                    stopped = cancellation.cancelled() ? cancellation.reason() : hold;
                    break;
                }
                double gap = 0;
                if (ran > 0 && plan.gapSeconds() > 0) {
                    progress.pausing(plan.gapSeconds());
                    try {
                        if (!cancellation.pause(plan.gapSeconds())) {
                            stopped = cancellation.reason();
                            break;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        stopped = "interrupted during the pause";
                        break;
                    }
                    gap = plan.gapSeconds();
                }
                CoolDown.Wait wait = null;
                if (plan.coolDown() != null) {
                    try {
                        if (idle == null) {
                            idle = idleReference(plan.coolDown());
                        }
                        wait = coolDown(plan.coolDown(), idle, ran > 0 || !referenceTakenNow);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        stopped = "interrupted during the cool-down";
                        break;
                    }
                    if (cancellation.cancelled()) {
                        stopped = cancellation.reason();
                        break;
                    }
                }
                if (hold != null) {
                    stopped = hold;
                    break;
                }
                Experiment experiment = experiments.get(run.experiment());
                progress.starting(run, experiment, i + 1, missing.size());
                RunRecord record = runOne(run, experiment, gap, wait);
                ran++;
                progress.ended(record);
                if (record.state() == RunRecord.State.CANCELLED) {
                    stopped = record.reason();
                    break;
                }
                if (record.state() == RunRecord.State.FAILED && plan.onFailure() == FailurePolicy.STOP) {
                    stopped = "run " + run.index() + " (" + experiment.name() + ") failed and on_failure is stop: "
                            + record.reason();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception closing) {
            throw new IOException("releasing the campaign lock: " + closing.getMessage(), closing);
        }
        int complete = 0;
        int failed = 0;
        Map<Integer, RunRecord> records = folder.records();
        for (RunRecord r : records.values()) {
            if (only != null && !only.contains(r.index())) {
                continue;
            }
            if (r.complete()) {
                complete++;
            } else if (r.state() != RunRecord.State.RUNNING) {
                failed++;
            }
        }
        int planned = only == null ? plan.runs().size() : only.size();
        return new Outcome(folder, ran, complete, failed, planned - complete, stopped);
    }

    /**
     * The devices as they were before the campaign's first run, kept in {@code idle.json} so that a
     * resume (perhaps right after a crash, on a warm GPU) compares with the same reference.
     */
    private Map<String, DeviceTelemetry.DeviceState> idleReference(CoolDown coolDown)
            throws IOException, InterruptedException {
        java.nio.file.Path file = folder.path().resolve(IDLE_FILE);
        if (java.nio.file.Files.isRegularFile(file)) {
            return ResultsJson.read(file, IdleReference.class).devices();
        }
        if (telemetry == null) {
            return Map.of();
        }
        Map<String, DeviceTelemetry.DeviceState> idle = telemetry.sample(coolDown.sampleSeconds());
        referenceTakenNow = true;
        if (!idle.isEmpty()) {
            ResultsJson.writeAtomically(file, new IdleReference(idle, System.currentTimeMillis()));
        }
        return idle;
    }

    /** {@code idle.json}: the cool-down's reference. */
    public record IdleReference(Map<String, DeviceTelemetry.DeviceState> devices, long takenEpochMillis) {
    }

    static final String IDLE_FILE = "idle.json";

    /**
     * The wait before a run. None before the first run after the reference was taken; a resume
     * waits before its first run too, since a crash may have left the device warm.
     */
    private CoolDown.Wait coolDown(CoolDown coolDown, Map<String, DeviceTelemetry.DeviceState> idle, boolean wait)
            throws InterruptedException {
        if (idle.isEmpty() || telemetry == null) {
            return new CoolDown.Wait(false, 0, idle, Map.of(), "no energy source reports device power here; no cool-down");
        }
        if (!wait) {
            return new CoolDown.Wait(true, 0, idle, idle, "the idle reference was taken just before this run");
        }
        progress.coolingDown(coolDown);
        return coolDown.await(idle, telemetry, cancellation);
    }

    private RunRecord runOne(PlannedRun run, Experiment experiment, double gapSeconds, CoolDown.Wait wait)
            throws IOException {
        List<String> earlier = new ArrayList<>();
        folder.record(run.index()).ifPresent(previous -> {
            earlier.addAll(previous.earlierAttempts());
            earlier.add(previous.attemptNote());
        });
        long started = System.currentTimeMillis();
        folder.write(new RunRecord(run.index(), experiment.name(), run.cycle(), RunRecord.State.RUNNING, null, null,
                null, gapSeconds, started, 0, earlier, wait));
        RunRecord.State state;
        String reason = null;
        String experimentId = null;
        String directory = null;
        try {
            RunOutcome outcome = executor.run(experiment, run, cancellation);
            experimentId = outcome.experimentId();
            directory = outcome.directory() == null ? null : outcome.directory().toString();
            if (outcome.complete()) {
                state = RunRecord.State.COMPLETE;
            } else {
                state = cancellation.cancelled() ? RunRecord.State.CANCELLED : RunRecord.State.FAILED;
                reason = outcome.reason();
            }
        } catch (IOException | RuntimeException e) {
            // a failed experiment is recorded and the campaign decides; it does not take the campaign down
            state = cancellation.cancelled() ? RunRecord.State.CANCELLED : RunRecord.State.FAILED;
            reason = e.getMessage() == null ? e.toString() : e.getMessage();
        } finally {
            cancellation.whileRunning(null);
        }
        RunRecord record = new RunRecord(run.index(), experiment.name(), run.cycle(), state, experimentId, directory,
                reason, gapSeconds, started, System.currentTimeMillis(), earlier, wait);
        folder.write(record);
        if (directory != null) {
            // the tidy table's campaign columns come from this record, which exists only now
            TidyTable.refresh(Path.of(directory).getParent(), experimentId);
        }
        return record;
    }
}
