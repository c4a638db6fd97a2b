package lem.runtime.run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import lem.api.backend.BackendException;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationListener;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.LoadedModel;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;
import lem.api.energy.EnergyException;
import lem.api.energy.EnergyReading;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.PowerSample;
import lem.api.energy.SessionSettings;
import lem.api.flops.RequestShape;
import lem.api.flops.Workload;
import lem.runtime.config.ExperimentConfig;
import lem.runtime.config.LoadedConfig;
import lem.runtime.config.PromptFileReader.InvalidPromptFileException;
import lem.runtime.config.QualitySettings;
import lem.runtime.plugin.PluginCatalog;
import lem.runtime.plugin.PluginService;
import lem.runtime.results.AggregatedResult;
import lem.runtime.results.BackendIdentity;
import lem.runtime.results.BaselinePower;
import lem.runtime.results.MeasurementWindow;
import lem.runtime.results.PowerSeriesFile;
import lem.runtime.results.QualityResult;
import lem.runtime.results.RawResult;
import lem.runtime.results.RequestTimeline;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.ResultsJson;
import lem.runtime.results.TimelineRecorder;
import lem.runtime.results.WallClockAnchor;

/**
 * One experiment, start to finish: environment, baseline, model, warmup, the measurement cycles
 * and aggregation. Each cycle's raw file is written atomically as soon as the cycle ends, so an
 * interrupted run (Ctrl-C, a backend failure, a bundle going away) keeps every finished cycle,
 * writes what it had of the cut one marked incomplete, and says why.
 */
public final class ExperimentRunner {
    public static final String ENVIRONMENT_FILE = "environment.json";
    /** What the backend said about each cycle (engine time, how memory was measured), for the record. */
    public static final String BACKEND_NOTES_FILE = "backend-notes.json";
    static final long DRAIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    static final long PROGRESS_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final LoadedConfig loaded;
    private final ExperimentConfig config;
    private final RunServices services;
    private final BaselineMeter baselineMeter;
    private final LiveStatusFile progress;
    private final EnvironmentCapture environment;
    private final Path workingDirectory;

    private final Map<String, Object> backendNotes = new LinkedHashMap<>();
    private final QualitySettings quality;
    /** The generated ids of the cycle being measured, when {@code quality.generated} asks for them; else null. */
    private volatile GeneratedIds cycleIds;
    /**
     * The thread to interrupt on cancel, set only while the run waits on a backend or a source
     * (baseline, opening the model, warmup, generation). Saving files must not meet an interrupt:
     * NIO channels close on an interrupted thread, and the cycle that was cut would be lost.
     * Guarded by {@code this}.
     */
    private Thread runThread;
    private volatile String cancelReason;

    public ExperimentRunner(LoadedConfig loaded, RunServices services, BaselineMeter baselineMeter, RunProgress progress,
            EnvironmentCapture environment, Path workingDirectory) {
        if (!loaded.valid()) {
            throw new IllegalArgumentException("config has problems: " + loaded.problems());
        }
        var unfit = BackendFit.problems(loaded, services.backend());
        if (!unfit.isEmpty()) {
            throw new IllegalArgumentException("the config asks what the backend cannot do: " + unfit);
        }
        this.loaded = loaded;
        this.config = loaded.config();
        this.services = services;
        this.baselineMeter = baselineMeter;
        this.progress = new LiveStatusFile(progress);
        this.environment = environment;
        this.workingDirectory = workingDirectory;
        this.quality = QualitySettings.of(loaded.tree());
    }

    /** Stops the run as soon as it can; what was measured is kept and the run says {@code reason}. */
    public synchronized void cancel(String reason) {
        if (cancelReason == null) {
            cancelReason = reason;
        }
        if (runThread != null) {
            runThread.interrupt();
        }
    }

    public RunOutcome run() throws IOException {
        try {
            return runInCurrentThread();
        } finally {
            stopInterrupts(); // a late cancel must not leak an interrupt into the shell
        }
    }

    /** From here a cancel interrupts the calling thread, to wake it from a backend or a sleep. */
    private synchronized void allowInterrupts() {
        runThread = Thread.currentThread();
    }

    /** From here a cancel only records its reason; an interrupt already delivered is cleared. */
    private synchronized void stopInterrupts() {
        runThread = null;
        Thread.interrupted();
    }

    private RunOutcome runInCurrentThread() throws IOException {
        Path resultsRoot = workingDirectory.resolve(config.output().dir());
        ResultsDirectory dir = null;
        for (int attempt = 1; dir == null; attempt++) {
            String id = ResultsDirectory.newExperimentId(resultsRoot, config.name(), System.currentTimeMillis());
            try {
                dir = ResultsDirectory.create(resultsRoot, id, config.name());
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                // another process (a Slurm array task on the shared folder) took the same id in the same second
                if (attempt >= 20) {
                    throw taken;
                }
            }
        }
        progress.start(dir.path(), dir.experimentId(), config.name(), config.cycles());
        // from here every way out leaves status.json complete or incomplete with the reason
        List<String> warnings = new ArrayList<>();
        String failure = null;
        int cyclesDone = 0;
        LoadedModel model = null;
        try {
            dir.writeConfig(loaded.treeWithProvenance());
            WallClockAnchor anchor = WallClockAnchor.now();
            progress.phase("environment");
            Map<String, Object> env = environment.capture();
            String host = String.valueOf(env.get("hostname"));
            env.put("lem_bundles", services.bundles());
            env.put("energy_sources", probes());
            env.put("wall_clock_anchor", anchor);
            ResultsJson.writeAtomically(dir.path().resolve(ENVIRONMENT_FILE), env);

            allowInterrupts();
            checkCancelled();
            List<BaselinePower> baselines = baselines(warnings);
            checkCancelled();
            progress.phase("opening model " + config.model().name() + " on " + services.backend().name());
            model = services.backend().service().open(BackendFit.modelSpec(config), BackendFit.backendSettings(config),
                    dir.path());
            BackendIdentity backend = new BackendIdentity(services.backend().name(), services.backend().bundleVersion(),
                    services.backend().service().info().engine());
            DecodeSettings decode = decodeSettings();
            // one plan per run: every cycle sends the same requests (the prompt file is read once)
            List<GenerationRequest> plan = RequestPlan.build(config, RequestPlan.vocabularySize(model.description()), "r");
            warmup(model, decode, plan, warnings);
            stopInterrupts();
            List<GenerationRequest> requests = List.of();
            for (int cycle = 1; cycle <= config.cycles(); cycle++) {
                checkCancelled();
                progress.phase("cycle " + cycle + "/" + config.cycles());
                requests = RequestPlan.withIdPrefix(plan, "c" + cycle + "-");
                cycleIds = quality.generated() ? new GeneratedIds() : null;
                RawResult raw = measureCycle(dir, anchor, host, backend, model, requests, decode, baselines, warnings,
                        cycle);
                dir.writeRaw(raw);
                if (!raw.complete()) {
                    failure = raw.incompleteReason();
                    break;
                }
                cyclesDone++;
            }
            if (failure == null && quality.enabled()) {
                scoreQuality(dir, model, requests);
            }
        } catch (BackendException | EnergyException e) {
            failure = cancelReason != null ? cancelReason : e.getMessage();
        } catch (InterruptedException e) {
            failure = cancelReason != null ? cancelReason : "interrupted";
        } catch (InvalidPromptFileException e) {
            failure = e.getMessage();
        } catch (RuntimeException e) {
            // a plugin's bug must not take the host down: the run ends, the host keeps going
            failure = cancelReason != null ? cancelReason : "failed: " + e;
        } catch (IOException e) {
            failure = "writing the results failed: " + describe(e);
        } catch (Throwable e) { // out of memory, a plugin's LinkageError: the state on disk must still say so
            failure = describe(e);
        } finally {
            if (model != null) {
                try {
                    model.close();
                } catch (RuntimeException e) {
                    warnings.add("closing the model failed: " + e);
                }
            }
        }

        stopInterrupts();
        AggregatedResult result = null;
        try {
            progress.phase("aggregating");
            if (failure != null) {
                dir.markIncomplete(failure); // before aggregating: the result says why the run stopped
            }
            result = dir.aggregate();
            dir.writeResult(result);
        } catch (IOException e) {
            failure = (failure == null ? "" : failure + "; ") + "writing result.json failed: " + describe(e);
        } catch (RuntimeException | Error e) {
            failure = (failure == null ? "" : failure + "; ") + "aggregating failed: " + describe(e);
        }
        if (failure == null) {
            dir.markComplete();
        } else {
            dir.markIncomplete(failure);
        }
        progress.finish(failure == null ? "complete" : "incomplete: " + failure);
        return new RunOutcome(dir.experimentId(), dir.path(), failure == null, failure, result);
    }

    /**
     * Perplexity after the last cycle's window has closed (its energy sessions are stopped), so
     * scoring costs no measured energy; written to {@link QualityResult#FILE} for aggregation. A
     * failure of the scorer is recorded there and never fails the run.
     */
    private void scoreQuality(ResultsDirectory dir, LoadedModel model, List<GenerationRequest> lastCycle)
            throws IOException {
        progress.phase("quality: scoring perplexity (after the measurement)");
        long startedNanos = System.nanoTime();
        QualityResult result;
        try {
            result = new QualityScoring(quality).score(model, services.backend().name(), lastCycle,
                    cycleIds == null ? Map.of() : cycleIds.byRequest());
        } catch (RuntimeException e) {
            result = new QualityResult(null, null, List.of("quality: scoring failed: " + describe(e)), startedNanos,
                    System.nanoTime());
        }
        ResultsJson.writeAtomically(dir.path().resolve(QualityResult.FILE), result);
    }

    /** A throwable in words a user can act on; the JVM's out-of-memory errors say what to change. */
    static String describe(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof OutOfMemoryError) {
            return "out of memory (" + message + "): give the JVM more heap (LEM_JAVA_OPTS=-Xmx...) or run fewer or"
                    + " shorter requests";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason() + " (" + f.getFile() + ")";
        }
        return e instanceof IOException ? message : e.getClass().getSimpleName() + ": " + message;
    }

    private void checkCancelled() throws InterruptedException {
        if (cancelReason != null || Thread.currentThread().isInterrupted()) {
            throw new InterruptedException(cancelReason);
        }
    }

    private Map<String, Object> probes() {
        Map<String, Object> probes = new LinkedHashMap<>();
        for (PluginService<EnergySource> source : services.energySources()) {
            probes.put(source.name(), PluginCatalog.probe(source.service()));
        }
        return probes;
    }

    private List<BaselinePower> baselines(List<String> warnings) throws InterruptedException {
        List<BaselinePower> baselines = new ArrayList<>();
        var baseline = config.baseline();
        if (!baseline.enabled()) {
            warnings.add("baseline disabled: adjusted energy equals raw energy");
            return baselines;
        }
        for (PluginService<EnergySource> source : services.energySources()) {
            if (source.service().info().estimate()) {
                continue; // a modelled power has no idle state to measure
            }
            progress.phase("baseline " + source.name() + " (" + baseline.durationSeconds() + " s idle)");
            try {
                baselines.addAll(baselineMeter.baseline(source.name(), source.service(),
                        (long) (baseline.durationSeconds() * 1e9), TimeUnit.MILLISECONDS.toNanos(baseline.intervalMillis()),
                        TimeUnit.SECONDS.toNanos(baseline.cacheTtlSeconds()), sessionOptions(null)));
            } catch (EnergyException e) {
                warnings.add("baseline of " + source.name() + " failed: " + e.getMessage());
            }
        }
        return baselines;
    }

    private DecodeSettings decodeSettings() {
        var d = config.decoder();
        return new DecodeSettings(d.temperature(), d.topK(), d.topP(), d.repetitionPenalty(), d.seed(), d.minNewTokens(),
                d.maxNewTokens());
    }

    /**
     * Warms the model up with the cycles' own batch shape and ends once a quantity that settles has
     * settled. Each step sends the next {@code batching.batch_size} requests of the cycles' plan
     * (the whole plan when it is smaller) in one generate call, as a cycle's batches are sent, and
     * records the batch's mean per-token decode time, (E2E - TTFT) / (output tokens - 1) over its
     * requests of 2 or more tokens (the batch's mean E2E latency when none has 2 tokens). Per-request
     * E2E latency does not settle: it carries the prompt's length and the request's place in its
     * batch, which differ from request to request whatever the warm state. Warmup ends when the
     * coefficient of variation of the last {@link #warmupWindowBatches} batch figures is under the
     * threshold and at least {@code min_requests} requests have run; at most {@code max_requests}
     * requests, rounded up to whole batches. One progress line, at the end.
     */
    private void warmup(LoadedModel model, DecodeSettings decode, List<GenerationRequest> plan, List<String> warnings)
            throws BackendException, InterruptedException {
        var w = config.warmup();
        if (!w.enabled()) {
            warnings.add("warmup disabled");
            return;
        }
        int batchSize = Math.max(1, Math.min(config.batching().batchSize(), plan.size()));
        int windowBatches = warmupWindowBatches(w.window(), batchSize);
        List<Double> figures = new ArrayList<>();
        boolean decodeTimes = true;
        double cv = Double.NaN;
        int sent = 0;
        while (sent < w.maxRequests()) {
            checkCancelled();
            List<GenerationRequest> batch = new ArrayList<>(batchSize);
            for (int k = 0; k < batchSize; k++, sent++) {
                batch.add(new GenerationRequest("warmup-" + sent, plan.get(sent % plan.size()).prompt(), 0));
            }
            GenerationResult r = model.generate(batch, decode, NO_LISTENER);
            for (RequestResult rr : r.requests()) {
                if (rr.failed()) {
                    throw new BackendException("warmup request " + rr.requestId() + " failed: " + rr.error());
                }
            }
            double perToken = meanDecodeNanosPerToken(r.requests());
            decodeTimes &= !Double.isNaN(perToken);
            figures.add(Double.isNaN(perToken) ? meanE2eNanos(r.requests()) : perToken);
            if (figures.size() >= windowBatches) {
                cv = coefficientOfVariation(figures.subList(figures.size() - windowBatches, figures.size()));
            }
            if (sent >= w.minRequests() && cv < w.cvThreshold()) {
                progress.phase(String.format(Locale.ROOT,
                        "warmup converged: %s CV %.3f < %.3f over the last %d batches of %d, %d requests",
                        decodeTimes ? "per-token decode time" : "batch latency", cv, w.cvThreshold(), windowBatches,
                        batchSize, sent));
                return;
            }
        }
        String text = String.format(Locale.ROOT,
                "warmup did not converge: %s CV %.3f >= %.3f over the last %d batches of %d after %d requests",
                decodeTimes ? "per-token decode time" : "batch latency", cv, w.cvThreshold(), windowBatches, batchSize,
                sent);
        progress.phase(text);
        warnings.add(text);
    }

    /** Batches judged together: those that hold the last {@code window} requests, and never fewer than 2. */
    static int warmupWindowBatches(int windowRequests, int batchSize) {
        return Math.max(2, (windowRequests + batchSize - 1) / batchSize);
    }

    /**
     * Mean of (E2E - TTFT) / (output tokens - 1) over the requests with 2 or more output tokens,
     * in nanoseconds; NaN when none has 2.
     */
    static double meanDecodeNanosPerToken(List<RequestResult> requests) {
        double sum = 0;
        int n = 0;
        for (RequestResult r : requests) {
            if (r.outputTokens() >= 2) {
                sum += (double) (r.endNanos() - r.firstTokenNanos()) / (r.outputTokens() - 1);
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private static double meanE2eNanos(List<RequestResult> requests) {
        return requests.stream().mapToDouble(r -> r.endNanos() - r.startNanos()).average().orElse(Double.NaN);
    }

    static double coefficientOfVariation(List<Double> values) {
        double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        if (values.size() < 2 || mean == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (double v : values) {
            sum += (v - mean) * (v - mean);
        }
        return Math.sqrt(sum / (values.size() - 1)) / mean;
    }

    private RawResult measureCycle(ResultsDirectory dir, WallClockAnchor anchor, String host, BackendIdentity backend,
            LoadedModel model, List<GenerationRequest> requests, DecodeSettings decode, List<BaselinePower> baselines,
            List<String> runWarnings, int cycle) throws IOException, EnergyException {
        // the drain thread adds to it too
        List<String> warnings = java.util.Collections.synchronizedList(new ArrayList<>(runWarnings));
        TimelineRecorder recorder = new TimelineRecorder();
        AtomicInteger finished = new AtomicInteger();
        GenerationListener listener = new GenerationListener() {
            @Override
            public void requestArrived(String requestId, long timestampNanos) {
                recorder.requestArrived(requestId, timestampNanos);
            }

            @Override
            public void requestStarted(String requestId, long timestampNanos) {
                recorder.requestStarted(requestId, timestampNanos);
            }

            @Override
            public void tokens(TokenEvent event) {
                recorder.tokens(event);
            }

            @Override
            public void tokenIds(String requestId, int index, int[] ids) {
                if (cycleIds != null) {
                    cycleIds.add(requestId, index, ids);
                }
            }

            @Override
            public void requestFinished(RequestResult result) {
                recorder.requestFinished(result);
                finished.incrementAndGet();
            }
        };

        Map<String, EnergySession> sessions = new LinkedHashMap<>();
        PowerSeriesFile.Appender series = config.timeseries().enabled() ? dir.openPowerSeries(cycle, 0) : null;
        Map<String, Double> latestWatts = new ConcurrentHashMap<>();
        Map<String, Long> lastKeptNanos = new ConcurrentHashMap<>();
        SampleDrain drain = null;
        long start = 0;
        long end = 0;
        GenerationResult result = null;
        String incomplete = null;
        List<EnergyReading> readings = new ArrayList<>();
        try {
            // sources sample at energy.interval_ms; timeseries.interval_ms thins what is kept on disk
            long intervalNanos = TimeUnit.MILLISECONDS.toNanos(config.energy().intervalMillis());
            for (PluginService<EnergySource> source : services.energySources()) {
                sessions.put(source.name(), source.service().start(new SessionSettings(intervalNanos, null, sessionOptions(dir))));
            }
            drain = new SampleDrain(sessions, series, latestWatts, lastKeptNanos, warnings, cycle, requests.size(), finished,
                    System.nanoTime());
            drain.start();
            allowInterrupts();
            checkCancelled();
            // the work window: from handing the backend its requests to its return
            start = System.nanoTime();
            recorder.expect(start, requests); // each request arrives at start + its offset in the plan
            result = model.generate(requests, decode, listener);
            end = System.nanoTime();
        } catch (BackendException e) {
            end = System.nanoTime();
            incomplete = cancelReason != null ? cancelReason : "backend failed: " + e.getMessage();
        } catch (RuntimeException e) {
            end = System.nanoTime();
            incomplete = cancelReason != null ? cancelReason : "backend failed: " + e;
        } catch (InterruptedException e) {
            end = System.nanoTime();
            incomplete = cancelReason != null ? cancelReason : "interrupted";
        } finally {
            // generate has returned: left set, an interrupt would close the channels that write this
            // cycle's series and raw file (ClosedByInterruptException); one nobody asked for still ends the run
            boolean interrupted = Thread.currentThread().isInterrupted();
            stopInterrupts();
            if (interrupted && cancelReason == null) {
                cancelReason = "interrupted";
            }
            // the sessions close first, right at the work's end: the drain thread's sleep must not
            // lengthen their windows (aggregation moves what is left onto the work window)
            for (Map.Entry<String, EnergySession> s : sessions.entrySet()) {
                try {
                    readings.add(s.getValue().stop());
                } catch (EnergyException | RuntimeException e) {
                    warnings.add("energy source " + s.getKey() + " failed to stop: " + e.getMessage());
                    if (incomplete == null) {
                        incomplete = "energy source " + s.getKey() + " failed: " + e.getMessage();
                    }
                }
            }
            if (drain != null) {
                drain.finish();
            }
            for (Map.Entry<String, EnergySession> s : sessions.entrySet()) {
                drainInto(s.getKey(), s.getValue(), series, latestWatts, lastKeptNanos, warnings);
                s.getValue().close();
            }
            if (series != null) {
                series.close();
            }
        }
        if (start == 0) {
            start = end = System.nanoTime();
        }
        List<RequestTimeline> timelines = recorder.finished();
        for (String id : recorder.unfinished().keySet()) {
            warnings.add("request " + id + " did not finish in the window");
        }
        var ops = result == null ? null : result.operations().orElse(null);
        var flops = new FlopsChain(services.flopsStrategies()).estimate(model.description(),
                new Workload(timelines.stream().map(t -> new RequestShape(t.inputTokens(), t.outputTokens())).toList(),
                        java.util.Optional.ofNullable(ops)));
        if (result != null && !result.notes().isEmpty()) {
            backendNotes.put("cycle_" + cycle, new java.util.TreeMap<>(result.notes()));
            ResultsJson.writeAtomically(dir.path().resolve(BACKEND_NOTES_FILE), backendNotes);
        }
        return new RawResult(null, dir.experimentId(), cycle, 0, host, anchor, new MeasurementWindow(start, end),
                backend, model.description(), timelines, readings, baselines, ops, flops.estimate(), flops.attempts(),
                result == null ? -1 : result.peakDeviceMemoryBytes(), warnings,
                series == null ? null : ResultsDirectory.powerSeriesPath(cycle, 0), incomplete == null, incomplete,
                services.energySources().stream().filter(s -> s.service().info().estimate()).map(PluginService::name)
                        .toList());
    }

    private Map<String, Object> sessionOptions(ResultsDirectory dir) {
        Map<String, Object> options = new HashMap<>();
        options.put("experiment_id", dir == null ? "baseline" : dir.experimentId());
        options.put("project_name", config.name());
        if (dir != null) {
            options.put("output_dir", dir.path().toString());
        }
        config.carbon().countryIso3().ifPresent(c -> options.put("country_iso_code", c));
        options.put("pue", config.carbon().pue());
        return options;
    }

    /**
     * Moves a session's samples to the power series: every sample at least
     * {@code timeseries.interval_ms} (less a tenth, for jitter) after the last one kept for its
     * device, so the file has the resolution asked for whatever rate the source samples at.
     */
    void drainInto(String source, EnergySession session, PowerSeriesFile.Appender series,
            Map<String, Double> latestWatts, Map<String, Long> lastKeptNanos, List<String> warnings) {
        long keepEveryNanos = TimeUnit.MILLISECONDS.toNanos(config.timeseries().intervalMillis()) * 9 / 10;
        for (PowerSample sample : session.drainSamples()) {
            String key = source + "/" + sample.deviceId();
            latestWatts.put(key, sample.powerWatts());
            Long last = lastKeptNanos.get(key);
            if (last != null && sample.timestampNanos() - last < keepEveryNanos) {
                continue;
            }
            lastKeptNanos.put(key, sample.timestampNanos());
            if (series != null) {
                try {
                    series.append(source, sample);
                } catch (IOException e) {
                    warnings.add("power series write failed: " + e.getMessage());
                    return;
                }
            }
        }
    }

    /** Moves samples from the sessions to the power series file and reports progress. */
    private final class SampleDrain extends Thread {
        private final Map<String, EnergySession> sessions;
        private final PowerSeriesFile.Appender series;
        private final Map<String, Double> latestWatts;
        private final Map<String, Long> lastKeptNanos;
        private final List<String> warnings;
        private final int cycle;
        private final int total;
        private final AtomicInteger finished;
        private final long startNanos;
        private volatile boolean running = true;

        SampleDrain(Map<String, EnergySession> sessions, PowerSeriesFile.Appender series, Map<String, Double> latestWatts,
                Map<String, Long> lastKeptNanos, List<String> warnings, int cycle, int total, AtomicInteger finished,
                long startNanos) {
            super("lem-sample-drain");
            setDaemon(true);
            this.sessions = sessions;
            this.series = series;
            this.latestWatts = latestWatts;
            this.lastKeptNanos = lastKeptNanos;
            this.warnings = warnings;
            this.cycle = cycle;
            this.total = total;
            this.finished = finished;
            this.startNanos = startNanos;
        }

        @Override
        public void run() {
            long nextProgress = startNanos + PROGRESS_INTERVAL_NANOS;
            while (running) {
                // parking ignores interrupts: the drain outlives a cancel long enough to save samples
                java.util.concurrent.locks.LockSupport.parkNanos(DRAIN_INTERVAL_NANOS);
                for (Map.Entry<String, EnergySession> s : sessions.entrySet()) {
                    drainInto(s.getKey(), s.getValue(), series, latestWatts, lastKeptNanos, warnings);
                }
                long now = System.nanoTime();
                if (now >= nextProgress) {
                    nextProgress = now + PROGRESS_INTERVAL_NANOS;
                    double measured = watts(false);
                    boolean estimated = Double.isNaN(measured);
                    progress.measuring(cycle, config.cycles(), finished.get(), total, now - startNanos,
                            estimated ? watts(true) : measured, estimated);
                }
            }
        }

        /** Latest total power of the measuring sources, or of the estimating ones. */
        private double watts(boolean estimates) {
            double sum = 0;
            boolean any = false;
            for (PluginService<EnergySource> source : services.energySources()) {
                if (source.service().info().estimate() != estimates) {
                    continue;
                }
                for (Map.Entry<String, Double> e : latestWatts.entrySet()) {
                    if (e.getKey().startsWith(source.name() + "/")) {
                        sum += e.getValue();
                        any = true;
                    }
                }
            }
            return any ? sum : Double.NaN;
        }

        void finish() {
            running = false;
            try {
                join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final GenerationListener NO_LISTENER = new GenerationListener() {
        @Override
        public void requestStarted(String requestId, long timestampNanos) {
        }

        @Override
        public void tokens(TokenEvent event) {
        }

        @Override
        public void requestFinished(RequestResult result) {
        }
    };

}
