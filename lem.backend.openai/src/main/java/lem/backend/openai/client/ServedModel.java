package lem.backend.openai.client;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationListener;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.LoadedModel;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;
import lem.api.model.ModelDescription;
import lem.api.model.ModelSpec;

/**
 * A model served by an OpenAI-compatible server, attached by URL or launched by lem, as a
 * {@link LoadedModel}. Every backend of a server (openai, vllm, tensorrt) opens one of these
 * through {@link #open}; only the launch command differs.
 *
 * <p>Per request it reports {@code requestStarted} at the send instant, one {@link TokenEvent}
 * per streamed chunk (its token count as {@link TokenCountMethod} says) and the result. The
 * arrival instant of each request, and the load's figures, are in the result's notes until
 * lem.api carries arrival itself: {@code request.<id>.arrival_nanos}, {@code request.<id>.queue_nanos}
 * (send minus arrival: time the client held it), {@code load.*}, {@code token_count_method}.
 */
public final class ServedModel implements LoadedModel {
    /** Keys every server backend reads; launchers add their own. */
    public static final Set<String> SHARED_KEYS = Set.of("url", "model", "api_key_env", "endpoint", "logprobs",
            "token_ids", "vllm_sampling", "stall_timeout_s", "ready_timeout_s", "load_mode", "concurrency", "metrics",
            "metrics_path", "metrics_interval_ms", "device_ids", "log_dir", "results_dir", "extra_body", "vocab_size");
    /** Keys of a launched server besides the launcher's own. */
    public static final Set<String> LAUNCH_KEYS = Set.of("executable", "cuda_visible_devices", "host", "port");

    private final ModelDescription description;
    private final OpenAiClient client;
    private final ServerProcess process;
    private final MetricsScraper metrics;
    private final Set<String> deviceIds;
    private final int concurrency;
    private final Map<String, String> openNotes;

    private ServedModel(ModelDescription description, OpenAiClient client, ServerProcess process,
            MetricsScraper metrics, Set<String> deviceIds, int concurrency, Map<String, String> openNotes) {
        this.description = description;
        this.client = client;
        this.process = process;
        this.metrics = metrics;
        this.deviceIds = Set.copyOf(deviceIds);
        this.concurrency = concurrency;
        this.openNotes = Map.copyOf(openNotes);
    }

    /** The folder in an experiment's results folder that holds the server's log and metrics. */
    public static final String RESULTS_SUBFOLDER = "server";

    /**
     * Attaches to {@code url} when the section sets it, else launches the server with
     * {@code launcher} (null: attaching is the only way), waits until it is ready, and starts
     * scraping its metrics.
     *
     * @param backend    the backend's name ({@code vllm}), for messages and the section name
     * @param vllmStyle  whether vLLM's sampling extensions are sent unless the config says otherwise
     */
    public static ServedModel open(String backend, ModelSpec spec, BackendSettings settings, ServerLauncher launcher,
            boolean vllmStyle, Path resultsFolder) throws BackendException {
        ServerOptions options = new ServerOptions("backend." + backend, settings.options());
        Set<String> allowed = new TreeSet<>(SHARED_KEYS);
        if (launcher != null) {
            allowed.addAll(LAUNCH_KEYS);
            allowed.addAll(launcher.launchKeys());
        }
        options.checkKeys(allowed);
        boolean attach = options.has("url");
        if (!attach && launcher == null) {
            throw new BackendException(options.name("url") + " is required: the " + backend
                    + " backend attaches to a running OpenAI-compatible server (http://host:port)");
        }
        Endpoint endpoint = Endpoint.valueOf(options.choice("endpoint", "completions", "completions", "chat")
                .toUpperCase(Locale.ROOT));
        String loadMode = options.choice("load_mode", "open", "open", "closed");
        int concurrency = loadMode.equals("closed") ? (int) options.integer("concurrency", settings.batchSize(), 1) : 0;
        Duration stall = Duration.ofMillis((long) (options.decimal("stall_timeout_s", 60, 0.001, 86_400) * 1000));
        Duration ready = Duration.ofMillis((long) (options.decimal("ready_timeout_s", attach ? 60 : 1200, 0.001,
                86_400) * 1000));
        Path logFolder = logFolder(options, backend, resultsFolder);
        Map<String, String> notes = new LinkedHashMap<>();
        notes.put("server.endpoint", endpoint.path());

        String model = options.text("model", null);
        ServerProcess process = null;
        String url;
        Set<String> deviceIds = new LinkedHashSet<>(options.list("device_ids"));
        if (attach) {
            url = options.text("url", null);
            try {
                URI uri = URI.create(url);
                if (uri.getScheme() == null || !uri.getScheme().startsWith("http") || uri.getHost() == null) {
                    throw new IllegalArgumentException("not http(s)");
                }
            } catch (IllegalArgumentException e) {
                throw new BackendException(options.name("url") + " must be an http(s) URL like http://127.0.0.1:8000,"
                        + " not " + url);
            }
            notes.put("server.mode", "attached");
        } else {
            String served = model != null ? model : spec.name();
            model = served;
            String host = options.text("host", "127.0.0.1");
            int port = (int) options.integer("port", 0, 0);
            if (port == 0) {
                port = ServerProcess.freePort();
            }
            List<String> cuda = options.list("cuda_visible_devices");
            Map<String, String> env = new HashMap<>();
            if (!cuda.isEmpty()) {
                env.put("CUDA_VISIBLE_DEVICES", String.join(",", cuda));
                cuda.stream().filter(d -> d.startsWith("GPU-") || d.startsWith("MIG-")).forEach(deviceIds::add);
            }
            List<String> command = launcher.command(options.text("executable", launcher.defaultExecutable()), options,
                    spec, served, host, port, logFolder);
            process = ServerProcess.start(command, env, logFolder.resolve(backend + "-server.log"));
            url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
            notes.put("server.mode", "launched");
            notes.put("server.command", String.join(" ", command));
            notes.put("server.log", process.log().toString());
            if (!cuda.isEmpty()) {
                notes.put("server.cuda_visible_devices", String.join(",", cuda));
            }
        }
        notes.put("server.url", url);
        OpenAiClient client = null;
        MetricsScraper scraper = null;
        try {
            ClientSettings clientSettings = new ClientSettings(URI.create(url), model, endpoint,
                    options.text("api_key_env", null), options.flag("logprobs", true), options.flag("token_ids", false),
                    options.flag("vllm_sampling", vllmStyle), stall, options.map("extra_body"));
            client = new OpenAiClient(clientSettings);
            ServerProcess launched = process;
            List<String> servedModels;
            try {
                servedModels = client.awaitReady(ready, launched == null ? () -> null : launched::deathReason);
            } catch (BackendException e) {
                throw launched == null || e.getMessage().contains(launched.log().toString()) ? e
                        : new BackendException(e.getMessage() + "; the end of its log (" + launched.log() + "):\n"
                                + launched.logTail());
            }
            if (model == null) {
                model = chooseModel(spec, servedModels, options);
                client.close();
                client = new OpenAiClient(clientSettings.withModel(model));
            } else if (!servedModels.isEmpty() && !servedModels.contains(model)) {
                throw new BackendException("the server at " + url + " serves " + servedModels + ", not " + model
                        + " (" + options.name("model") + ")");
            }
            notes.put("server.model", model);
            if (options.flag("metrics", true)) {
                String path = options.text("metrics_path", launcher == null ? "/metrics" : launcher.metricsPath());
                Duration every = Duration.ofMillis(options.integer("metrics_interval_ms", 1000, 10));
                scraper = new MetricsScraper(client, path, every, logFolder.resolve(backend + "-metrics.csv"));
                notes.put("server.metrics", scraper.file().toString());
            }
            Map<String, Object> config = new LinkedHashMap<>();
            if (options.has("vocab_size")) {
                config.put("vocab_size", (int) options.integer("vocab_size", 0, 1));
            }
            ModelDescription description = new ModelDescription(model, "unknown", 0, spec.precision(),
                    spec.precision(), spec.quantisation(), config);
            return new ServedModel(description, client, process, scraper, deviceIds, concurrency, notes);
        } catch (BackendException | RuntimeException e) {
            closeAll(scraper, client, process);
            throw e;
        } catch (IOException e) {
            closeAll(scraper, client, process);
            throw new BackendException("cannot write the server's metrics in " + logFolder + ": " + e.getMessage());
        } catch (InterruptedException e) {
            closeAll(scraper, client, process);
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted while waiting for the server at " + url);
        }
    }

    private static String chooseModel(ModelSpec spec, List<String> served, ServerOptions options)
            throws BackendException {
        if (served.contains(spec.name())) {
            return spec.name();
        }
        if (served.size() == 1) {
            return served.get(0);
        }
        throw new BackendException("the server serves " + served + "; name one with " + options.name("model"));
    }

    /**
     * Where the server's log and scraped metrics go: {@code log_dir}, else {@code results_dir}, else
     * {@value #RESULTS_SUBFOLDER} in the experiment's results folder when the runtime gave one, else
     * a stamped folder under {@code ./lem-server-logs/}.
     */
    static Path logFolder(ServerOptions options, String backend, Path resultsFolder) throws BackendException {
        String folder = options.text("log_dir", options.text("results_dir", null));
        if (folder != null) {
            return Path.of(folder).toAbsolutePath();
        }
        if (resultsFolder != null) {
            return resultsFolder.resolve(RESULTS_SUBFOLDER).toAbsolutePath();
        }
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(ZoneOffset.UTC).format(Instant.now());
        return Path.of("lem-server-logs", backend + "-" + stamp).toAbsolutePath();
    }

    private static void closeAll(MetricsScraper scraper, OpenAiClient client, ServerProcess process) {
        if (scraper != null) {
            scraper.close();
        }
        if (client != null) {
            client.close();
        }
        if (process != null) {
            process.close();
        }
    }

    public OpenAiClient client() {
        return client;
    }

    /** The launched server, or null when attached. */
    public ServerProcess process() {
        return process;
    }

    /** What {@link #open} found and did: URL, mode, command, log and metrics files. */
    public Map<String, String> openNotes() {
        return openNotes;
    }

    @Override
    public ModelDescription description() {
        return description;
    }

    @Override
    public Set<String> deviceIds() {
        return deviceIds;
    }

    @Override
    public GenerationResult generate(List<GenerationRequest> requests, DecodeSettings decode,
            GenerationListener listener) throws BackendException {
        String dead = process == null ? null : process.deathReason();
        if (dead != null) {
            throw new BackendException("the server is not running: " + dead);
        }
        List<StreamRequest> streams = new ArrayList<>(requests.size());
        long[] offsets = new long[requests.size()];
        for (int i = 0; i < requests.size(); i++) {
            GenerationRequest r = requests.get(i);
            if (client.settings().endpoint() == Endpoint.CHAT && r.prompt().text() == null) {
                throw new BackendException("request " + r.id() + " has a token-id (synthetic) prompt, which the chat"
                        + " endpoint cannot take: set endpoint: completions");
            }
            streams.add(new StreamRequest(r.id(), r.prompt(), decode));
            offsets[i] = r.arrivalOffsetNanos();
        }
        for (int i = 1; i < offsets.length; i++) {
            offsets[i] = Math.max(offsets[i], offsets[i - 1]); // the plan's order is the send order
        }
        LoadGenerator load = concurrency > 0 ? LoadGenerator.closedLoop(concurrency) : LoadGenerator.openLoop(offsets);
        LoadReport report;
        try {
            report = load.run(streams, (request, sendNanos) -> {
                String gone = process == null ? null : process.deathReason();
                java.util.concurrent.CompletableFuture<StreamOutcome> outcome = gone != null
                        ? java.util.concurrent.CompletableFuture.completedFuture(StreamOutcome.failure(request.id(),
                                sendNanos, "the server died: " + gone, true))
                        : client.stream(request, (index, count, readNanos) -> listener
                                .tokens(new TokenEvent(request.id(), index, count, readNanos)), sendNanos);
                return outcome.thenApply(o -> {
                    listener.requestFinished(result(o, request));
                    return o;
                });
            }, (index, sendNanos) -> {
                if (concurrency > 0) {
                    // a closed loop's request arrives when a slot frees: it is sent then
                    listener.requestArrived(requests.get(index).id(), sendNanos);
                }
                listener.requestStarted(requests.get(index).id(), sendNanos);
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted: the streams in flight were abandoned");
        }
        Map<String, String> notes = new LinkedHashMap<>(openNotes);
        notes.putAll(report.figures());
        Set<String> methods = new TreeSet<>();
        List<RequestResult> results = new ArrayList<>(requests.size());
        String fatal = null;
        for (int i = 0; i < requests.size(); i++) {
            StreamOutcome o = report.outcomes().get(i);
            String id = requests.get(i).id();
            RequestResult result = result(o, streams.get(i));
            if (report.sendNanos()[i] != 0) {
                notes.put("request." + id + ".arrival_nanos", Long.toString(report.arrivalNanos()[i]));
                notes.put("request." + id + ".queue_nanos",
                        Long.toString(report.sendNanos()[i] - report.arrivalNanos()[i]));
                methods.add(o.method().noteName());
            } else {
                listener.requestFinished(result); // never sent: the server had gone
            }
            if (o.fatal() && fatal == null) {
                fatal = o.error();
            }
            results.add(result);
        }
        notes.put("token_count_method", String.join(",", methods));
        if (metrics != null && metrics.lastProblem() != null) {
            notes.put("server.metrics_problem", metrics.lastProblem());
        }
        String died = process == null ? null : process.deathReason();
        if (died != null) {
            throw new BackendException("the server died during the run: " + died);
        }
        if (fatal != null) {
            throw new BackendException("the server at " + client.settings().baseUrl() + " went away during the run: "
                    + fatal);
        }
        return new GenerationResult(results, java.util.Optional.empty(), -1, notes);
    }

    private static RequestResult result(StreamOutcome o, StreamRequest request) {
        int input = o.inputTokens() > 0 ? o.inputTokens() : request.prompt().tokenIds().size();
        return new RequestResult(o.requestId(), o.sendNanos() != 0 ? o.sendNanos() : o.endNanos(), o.firstTokenNanos(),
                o.endNanos(), input, o.outputTokens(), o.finishReason(), o.error());
    }

    /** Stops scraping, and stops the server lem launched. */
    @Override
    public void close() {
        closeAll(metrics, client, process);
    }
}
