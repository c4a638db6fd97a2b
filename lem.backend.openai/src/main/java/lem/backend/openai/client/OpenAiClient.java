package lem.backend.openai.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import lem.api.backend.BackendException;
import lem.api.backend.DecodeSettings;
import lem.api.backend.Prompt;

/**
 * Streams completions from one OpenAI-compatible server over {@link HttpClient} (HTTP/1.1, one
 * connection per stream in flight). Bytes are parsed as they are delivered, on the client's
 * threads, so hundreds of streams need no thread each; each event is timestamped when its bytes
 * arrive. The API key is read from the environment once, sent as a bearer token and never logged,
 * stored in results or shown in a message.
 */
public final class OpenAiClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ERROR_BODY_CHARS = 500;

    private final ClientSettings settings;
    private final String authorization;
    private final HttpClient http;
    private final ScheduledExecutorService watchdog;

    public OpenAiClient(ClientSettings settings) throws BackendException {
        this(settings, System::getenv);
    }

    /** @param environment looks up environment variables (tests pass their own) */
    public OpenAiClient(ClientSettings settings, Function<String, String> environment) throws BackendException {
        this.settings = settings;
        if (settings.apiKeyEnv() != null && !settings.apiKeyEnv().isBlank()) {
            String key = environment.apply(settings.apiKeyEnv());
            if (key == null || key.isBlank()) {
                throw new BackendException("api_key_env names the environment variable " + settings.apiKeyEnv()
                        + ", which is not set or empty");
            }
            authorization = "Bearer " + key.strip();
        } else {
            authorization = null;
        }
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lem-openai-stall-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    public ClientSettings settings() {
        return settings;
    }

    /** {@code baseUrl + path}. */
    public URI uri(String path) {
        return URI.create(settings.baseUrl() + path);
    }

    /** A GET with the API key; the body as text, or an {@link IOException}. */
    public HttpResponse<String> get(String path, Duration timeout) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(timeout).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Waits until the server answers: {@code /health} with 200 (skipped when the server has no
     * such page), then {@code /v1/models} listing the configured model.
     *
     * @param death null while the server may still come up, else why it never will (a launched
     *              process that exited)
     * @return the served model ids
     */
    public List<String> awaitReady(Duration timeout, Supplier<String> death) throws BackendException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        boolean healthy = false;
        while (true) {
            String dead = death.get();
            if (dead != null) {
                throw new BackendException("the server at " + settings.baseUrl() + " never became ready: " + dead);
            }
            try {
                if (!healthy) {
                    int status = get("/health", Duration.ofSeconds(5)).statusCode();
                    healthy = status == 200 || status == 404;
                    last = "/health answered " + status;
                }
                if (healthy) {
                    HttpResponse<String> models = get("/v1/models", Duration.ofSeconds(5));
                    if (models.statusCode() == 200) {
                        return servedModels(models.body());
                    }
                    last = "/v1/models answered " + models.statusCode() + ": " + shorten(models.body());
                    if (models.statusCode() == 401 || models.statusCode() == 403) {
                        throw new BackendException("the server at " + settings.baseUrl() + " refused the API key"
                                + (settings.apiKeyEnv() == null ? " (none was sent: set backend api_key_env)" : "")
                                + ": " + last);
                    }
                }
            } catch (IOException e) {
                last = describe(e);
            }
            if (System.nanoTime() > deadline) {
                throw new BackendException("the server at " + settings.baseUrl() + " was not ready within "
                        + timeout.toSeconds() + " s (ready_timeout_s); last: " + last);
            }
            Thread.sleep(200);
        }
    }

    private List<String> servedModels(String body) throws BackendException {
        try {
            List<String> ids = new ArrayList<>();
            for (JsonNode m : JSON.readTree(body).path("data")) {
                ids.add(m.path("id").asText());
            }
            return ids;
        } catch (JsonProcessingException e) {
            throw new BackendException("/v1/models of " + settings.baseUrl() + " is not JSON: " + shorten(body));
        }
    }

    /**
     * Sends one streaming request now. The future always completes normally, with the outcome
     * (failed ones carry their reason); cancelling the future abandons the stream.
     */
    public CompletableFuture<StreamOutcome> stream(StreamRequest request, StreamObserver observer) {
        return stream(request, observer, System.nanoTime());
    }

    /** As {@link #stream(StreamRequest, StreamObserver)}, recording {@code sendNanos} as its send instant. */
    public CompletableFuture<StreamOutcome> stream(StreamRequest request, StreamObserver observer, long sendNanos) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(body(request));
        } catch (IllegalArgumentException | JsonProcessingException e) {
            return CompletableFuture.completedFuture(StreamOutcome.failure(request.id(), sendNanos, e.getMessage(), false));
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(settings.endpoint().path()))
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        CompletionStream stream = new CompletionStream(request, observer, sendNanos);
        CompletableFuture<HttpResponse<StreamOutcome>> exchange = http.sendAsync(b.build(), stream::subscriber);
        exchange.whenComplete((response, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                stream.fail(describe(cause), isFatal(cause));
            }
        });
        long stallNanos = settings.stallTimeout().toNanos();
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(20), stallNanos / 4);
        ScheduledFuture<?> check = watchdog.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - stream.lastActivityNanos > stallNanos) {
                stream.fail("stalled: no data from the server for " + settings.stallTimeout().toMillis()
                        + " ms (stall_timeout_s) after " + stream.outputTokens + " token(s)", false);
            }
        }, period, period, TimeUnit.NANOSECONDS);
        stream.result.whenComplete((o, e) -> {
            check.cancel(false);
            if (o.failed()) {
                exchange.cancel(true); // a stalled or failed exchange is abandoned; a finished one is reused
            }
        });
        return stream.result;
    }

    ObjectNode body(StreamRequest request) {
        ObjectNode root = JSON.createObjectNode();
        if (settings.model() != null) {
            root.put("model", settings.model());
        }
        Prompt prompt = request.prompt();
        if (settings.endpoint() == Endpoint.CHAT) {
            if (prompt.text() == null) {
                throw new IllegalArgumentException("request " + request.id() + " has a token-id prompt, which the chat"
                        + " endpoint cannot take: use endpoint: completions for synthetic prompts");
            }
            ObjectNode message = root.putArray("messages").addObject();
            message.put("role", "user");
            message.put("content", prompt.text());
            if (settings.logprobs()) {
                root.put("logprobs", true);
            }
        } else {
            if (!prompt.tokenIds().isEmpty()) {
                ArrayNode ids = root.putArray("prompt");
                prompt.tokenIds().forEach(ids::add);
            } else {
                root.put("prompt", prompt.text());
            }
            if (settings.logprobs()) {
                root.put("logprobs", 1);
            }
        }
        DecodeSettings d = request.decode();
        root.put("max_tokens", d.maxNewTokens());
        root.put("temperature", d.temperature());
        root.put("top_p", d.topP());
        root.put("seed", d.seed());
        root.put("stream", true);
        root.putObject("stream_options").put("include_usage", true);
        if (settings.tokenIds()) {
            root.put("return_token_ids", true);
        }
        if (settings.vllmSampling()) {
            if (d.minNewTokens() > 0) {
                root.put("min_tokens", d.minNewTokens());
            }
            if (d.minNewTokens() == d.maxNewTokens()) {
                root.put("ignore_eos", true);
            }
            if (d.topK() > 0) {
                root.put("top_k", d.topK());
            }
            if (d.repetitionPenalty() != 1.0) {
                root.put("repetition_penalty", d.repetitionPenalty());
            }
        }
        for (Map.Entry<String, Object> e : settings.extraBody().entrySet()) {
            root.set(e.getKey(), JSON.valueToTree(e.getValue()));
        }
        return root;
    }

    /** Connection refused or reset, or the server closed it mid-answer: the server is gone. */
    static boolean isFatal(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    static String describe(Throwable t) {
        if (t instanceof HttpTimeoutException) {
            return "timed out: " + t.getMessage();
        }
        if (isFatal(t)) {
            return "cannot connect to the server: " + t;
        }
        return t.getMessage() == null ? t.toString() : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    static String shorten(String text) {
        String flat = text.replaceAll("\\s+", " ").strip();
        return flat.length() > ERROR_BODY_CHARS ? flat.substring(0, ERROR_BODY_CHARS) + "..." : flat;
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }

    /** One request's stream: the HTTP body subscriber, the SSE parser and the chunk counting. */
    private final class CompletionStream implements SseParser.Listener {
        final CompletableFuture<StreamOutcome> result = new CompletableFuture<>();
        private final StreamRequest request;
        private final StreamObserver observer;
        private final long sendNanos;
        private final SseParser parser = new SseParser(this);
        volatile long lastActivityNanos;
        private volatile Flow.Subscription subscription;
        private long firstTokenNanos;
        volatile int outputTokens;
        private int chunks;
        private int inputTokens;
        private int usageOutputTokens = -1;
        private boolean exact;
        private TokenCountMethod method = TokenCountMethod.CHUNKS;
        private String finishReason;

        CompletionStream(StreamRequest request, StreamObserver observer, long sendNanos) {
            this.request = request;
            this.observer = observer;
            this.sendNanos = sendNanos;
            this.lastActivityNanos = sendNanos;
            this.inputTokens = request.prompt().tokenIds().size();
        }

        HttpResponse.BodySubscriber<StreamOutcome> subscriber(HttpResponse.ResponseInfo info) {
            lastActivityNanos = System.nanoTime();
            if (info.statusCode() != 200) {
                HttpResponse.BodySubscriber<String> text = HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
                text.getBody().whenComplete((body, e) -> fail("HTTP " + info.statusCode() + " from "
                        + settings.endpoint().path() + ": " + (body == null ? "" : shorten(body)), false));
                return new Delegating(text);
            }
            return new Events();
        }

        /** Completes the outcome once; later calls do nothing. */
        void fail(String error, boolean fatal) {
            if (result.complete(new StreamOutcome(request.id(), sendNanos, firstTokenNanos, System.nanoTime(),
                    inputTokens, outputTokens, chunks, method(), "error", error, fatal))) {
                Flow.Subscription s = subscription;
                if (s != null) {
                    s.cancel();
                }
            }
        }

        private TokenCountMethod method() {
            return !exact && usageOutputTokens >= 0 ? TokenCountMethod.USAGE : method;
        }

        @Override
        public void event(String data, long readNanos) {
            if (result.isDone()) {
                return;
            }
            if (data.equals("[DONE]")) {
                int total = method() == TokenCountMethod.USAGE ? usageOutputTokens : outputTokens;
                result.complete(new StreamOutcome(request.id(), sendNanos, firstTokenNanos, readNanos, inputTokens, total,
                        chunks, method(), finishReason, null, false));
                return;
            }
            JsonNode root;
            try {
                root = JSON.readTree(data);
            } catch (JsonProcessingException e) {
                fail("malformed event from the server (not JSON): " + shorten(data), false);
                return;
            }
            if (!root.isObject()) {
                fail("malformed event from the server (not a JSON object): " + shorten(data), false);
                return;
            }
            JsonNode error = root.get("error");
            if (error != null && !error.isNull()) {
                fail("the server sent an error event: "
                        + shorten(error.isObject() ? error.path("message").asText(error.toString()) : error.asText()),
                        false);
                return;
            }
            JsonNode usage = root.get("usage");
            if (usage != null && usage.isObject()) {
                if (usage.has("prompt_tokens")) {
                    inputTokens = usage.get("prompt_tokens").asInt();
                }
                if (usage.has("completion_tokens")) {
                    usageOutputTokens = usage.get("completion_tokens").asInt();
                }
            }
            JsonNode choice = root.path("choices").path(0);
            if (choice.isMissingNode()) {
                return; // the usage chunk
            }
            JsonNode finish = choice.get("finish_reason");
            if (finish != null && finish.isTextual()) {
                finishReason = finish.asText();
            }
            int count = countTokens(choice);
            if (count > 0) {
                if (firstTokenNanos == 0) {
                    firstTokenNanos = readNanos;
                }
                observer.tokens(outputTokens, count, readNanos);
                outputTokens += count;
                chunks++;
            }
        }

        private int countTokens(JsonNode choice) {
            JsonNode ids = choice.get("token_ids");
            if (ids != null && ids.isArray() && ids.size() > 0) {
                exact = true;
                method = TokenCountMethod.TOKEN_IDS;
                return ids.size();
            }
            JsonNode logprobs = choice.get("logprobs");
            if (logprobs != null && logprobs.isObject()) {
                JsonNode entries = settings.endpoint() == Endpoint.CHAT ? logprobs.get("content") : logprobs.get("tokens");
                if (entries != null && entries.isArray() && entries.size() > 0) {
                    exact = true;
                    if (method != TokenCountMethod.TOKEN_IDS) {
                        method = TokenCountMethod.LOGPROBS;
                    }
                    return entries.size();
                }
            }
            String text = settings.endpoint() == Endpoint.CHAT ? choice.path("delta").path("content").asText("")
                    : choice.path("text").asText("");
            return text.isEmpty() ? 0 : 1; // a role-only delta or an empty chunk is not a token
        }

        /** The 200 body: every read goes through the SSE parser with its arrival time. */
        private final class Events implements HttpResponse.BodySubscriber<StreamOutcome> {
            @Override
            public CompletionStage<StreamOutcome> getBody() {
                return result;
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                if (result.isDone()) {
                    s.cancel();
                } else {
                    s.request(Long.MAX_VALUE);
                }
            }

            @Override
            public void onNext(List<ByteBuffer> buffers) {
                long now = System.nanoTime();
                lastActivityNanos = now;
                for (ByteBuffer buffer : buffers) {
                    parser.feed(buffer, now);
                }
            }

            @Override
            public void onError(Throwable t) {
                fail("the stream broke after " + outputTokens + " token(s): " + describe(t), false);
            }

            @Override
            public void onComplete() {
                fail("the server closed the stream without [DONE] after " + outputTokens + " token(s)", false);
            }
        }

        /** An error body, read whole for its message. */
        private final class Delegating implements HttpResponse.BodySubscriber<StreamOutcome> {
            private final HttpResponse.BodySubscriber<String> text;

            Delegating(HttpResponse.BodySubscriber<String> text) {
                this.text = text;
            }

            @Override
            public CompletionStage<StreamOutcome> getBody() {
                return result;
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                text.onSubscribe(s);
            }

            @Override
            public void onNext(List<ByteBuffer> item) {
                text.onNext(item);
            }

            @Override
            public void onError(Throwable t) {
                text.onError(t);
            }

            @Override
            public void onComplete() {
                text.onComplete();
            }
        }
    }
}
