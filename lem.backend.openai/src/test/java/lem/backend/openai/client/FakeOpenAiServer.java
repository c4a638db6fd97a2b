package lem.backend.openai.client;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A loopback OpenAI-compatible server that streams SSE as vLLM and trtllm-serve do: for chat a
 * role-only delta first, then content chunks (several tokens per chunk where the chunk pattern
 * says so), each with per-token logprobs and token ids when asked, the finish reason on the last
 * content chunk, the usage chunk with empty choices, and {@code data: [DONE]}. It stops at an
 * "end of sequence" after {@link #eosAfterTokens} tokens unless the request sets
 * {@code ignore_eos} or a {@code min_tokens} beyond it, as a real model may. It serves
 * {@code /health}, {@code /v1/models} and a Prometheus {@code /metrics} page, limits how many
 * requests it generates for at once (the rest wait, as in a server's queue), and can fail in every
 * way a real server does. Run {@link #main} to use it as the stand-in for {@code vllm serve} or
 * {@code trtllm-serve}.
 */
public final class FakeOpenAiServer implements AutoCloseable {
    /** How the server misbehaves. */
    public enum Failure {
        NONE,
        /** {@code /health} answers 503 for ever. */
        NEVER_READY,
        /** Streams {@link #failAfterTokens} tokens, then sends nothing more and keeps the connection open. */
        STALL,
        /** Answers {@link #httpStatus} with a JSON error body. */
        HTTP_ERROR,
        /** After {@link #failAfterTokens} tokens sends an event that is not JSON. */
        MALFORMED,
        /** After {@link #failAfterTokens} tokens sends an OpenAI error event. */
        ERROR_EVENT,
        /** After {@link #failAfterTokens} tokens the whole server stops (connections closed, later ones refused). */
        DIE,
        /** After {@link #failAfterTokens} tokens this process exits at once (launch tests). */
        EXIT
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-openai");
        t.setDaemon(true);
        return t;
    });
    private final String model;
    private final boolean trtllmFlavour;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicLong promptTokensTotal = new AtomicLong();
    private final AtomicLong generationTokensTotal = new AtomicLong();
    private final AtomicInteger completed = new AtomicInteger();
    /** Bodies of every generation request received, in order. */
    public final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    /** Authorization headers received, in order ({@code none} when absent). */
    public final List<String> authorizations = new CopyOnWriteArrayList<>();

    public volatile Failure failure = Failure.NONE;
    public volatile int failAfterTokens = 2;
    public volatile int httpStatus = 500;
    public volatile long firstTokenDelayMillis = 0;
    public volatile long chunkDelayMillis = 0;
    /** {@link System#nanoTime()} just before each event was written, in order (the test shares the clock). */
    public final List<Long> eventSentNanos = new CopyOnWriteArrayList<>();
    /** Tokens per content chunk, cycled: {1, 3} gives chunks of 1, 3, 1, 3, ... tokens. */
    public volatile int[] chunkPattern = {1};
    /** A comment line ({@code : ping}) before every content chunk. */
    public volatile boolean keepAlives = true;
    /** CRLF line ends instead of LF. */
    public volatile boolean crlf = false;
    /** The model "emits end of sequence" after this many tokens unless told to ignore it. */
    public volatile int eosAfterTokens = Integer.MAX_VALUE;
    private volatile Semaphore slots = new Semaphore(Integer.MAX_VALUE);

    public FakeOpenAiServer(String model, boolean trtllmFlavour) throws IOException {
        this(model, trtllmFlavour, 0);
    }

    public FakeOpenAiServer(String model, boolean trtllmFlavour, int port) throws IOException {
        this.model = model;
        this.trtllmFlavour = trtllmFlavour;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
        server.setExecutor(executor);
        server.createContext("/health", this::health);
        server.createContext("/v1/models", this::models);
        server.createContext("/metrics", this::metrics);
        server.createContext("/prometheus/metrics", this::metrics);
        server.createContext("/v1/completions", e -> generate(e, false));
        server.createContext("/v1/chat/completions", e -> generate(e, true));
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** At most {@code n} requests generate at once; the rest wait (a server's queue). */
    public void maxRunning(int n) {
        slots = new Semaphore(n);
    }

    public int completed() {
        return completed.get();
    }

    private void health(HttpExchange e) throws IOException {
        respond(e, failure == Failure.NEVER_READY ? 503 : 200, "text/plain", "");
    }

    private void models(HttpExchange e) throws IOException {
        if (failure == Failure.NEVER_READY) {
            respond(e, 503, "application/json", "{\"error\":{\"message\":\"loading\"}}");
            return;
        }
        respond(e, 200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"" + model
                + "\",\"object\":\"model\",\"owned_by\":\"" + (trtllmFlavour ? "tensorrt_llm" : "vllm") + "\"}]}");
    }

    private void metrics(HttpExchange e) throws IOException {
        String m = "model_name=\"" + model + "\"";
        String page = "# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
                + "# TYPE vllm:num_requests_running gauge\n"
                + "vllm:num_requests_running{" + m + "} " + running.get() + ".0\n"
                + "# TYPE vllm:num_requests_waiting gauge\n"
                + "vllm:num_requests_waiting{" + m + "} " + waiting.get() + ".0\n"
                + "vllm:gpu_cache_usage_perc{" + m + "} " + (running.get() * 0.01) + "\n"
                + "vllm:prefix_cache_queries_total{" + m + "} " + promptTokensTotal.get() + ".0\n"
                + "vllm:prefix_cache_hits_total{" + m + "} 0.0\n"
                + "vllm:prompt_tokens_total{" + m + "} " + promptTokensTotal.get() + ".0\n"
                + "vllm:generation_tokens_total{" + m + "} " + generationTokensTotal.get() + ".0\n"
                + "# TYPE vllm:e2e_request_latency_seconds histogram\n"
                + "vllm:e2e_request_latency_seconds_bucket{" + m + ",le=\"1.0\"} " + completed.get() + ".0\n"
                + "vllm:e2e_request_latency_seconds_bucket{" + m + ",le=\"+Inf\"} " + completed.get() + ".0\n"
                + "vllm:e2e_request_latency_seconds_count{" + m + "} " + completed.get() + ".0\n";
        respond(e, 200, "text/plain; version=0.0.4", page);
    }

    private static void respond(HttpExchange e, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        e.getResponseHeaders().set("Content-Type", type);
        e.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = e.getResponseBody()) {
            out.write(bytes);
        }
    }

    private void generate(HttpExchange e, boolean chat) throws IOException {
        JsonNode body;
        try {
            body = JSON.readTree(e.getRequestBody());
        } catch (IOException bad) {
            respond(e, 400, "application/json", "{\"error\":{\"message\":\"bad json\"}}");
            return;
        }
        requests.add(body);
        String auth = e.getRequestHeaders().getFirst("Authorization");
        authorizations.add(auth == null ? "none" : auth);
        if (failure == Failure.HTTP_ERROR) {
            respond(e, httpStatus, "application/json", "{\"object\":\"error\",\"message\":\"fake failure "
                    + httpStatus + "\",\"type\":\"BadRequestError\",\"code\":" + httpStatus + "}");
            return;
        }
        if (!model.equals(body.path("model").asText())) {
            respond(e, 404, "application/json", "{\"error\":{\"message\":\"The model `" + body.path("model").asText()
                    + "` does not exist.\"}}");
            return;
        }
        int promptTokens = chat ? body.path("messages").path(0).path("content").asText().split(" ").length
                : body.path("prompt").isArray() ? body.path("prompt").size()
                        : body.path("prompt").asText().split(" ").length;
        int maxTokens = body.path("max_tokens").asInt(16);
        int minTokens = body.path("min_tokens").asInt(0);
        boolean ignoreEos = body.path("ignore_eos").asBoolean(false);
        int tokens = ignoreEos ? maxTokens : Math.min(maxTokens, Math.max(minTokens, eosAfterTokens));
        boolean logprobs = chat ? body.path("logprobs").asBoolean(false) : body.has("logprobs") && !body.get("logprobs").isNull();
        boolean tokenIds = body.path("return_token_ids").asBoolean(false);
        boolean usage = body.path("stream_options").path("include_usage").asBoolean(false);

        waiting.incrementAndGet();
        Semaphore s = slots;
        try {
            s.acquire();
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
        } finally {
            waiting.decrementAndGet();
        }
        running.incrementAndGet();
        promptTokensTotal.addAndGet(promptTokens);
        try {
            stream(e, chat, promptTokens, tokens, tokens == maxTokens ? "length" : "stop", logprobs, tokenIds, usage);
        } finally {
            running.decrementAndGet();
            s.release();
        }
    }

    private void stream(HttpExchange e, boolean chat, int promptTokens, int tokens, String finish, boolean logprobs,
            boolean tokenIds, boolean usage) throws IOException {
        e.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        e.sendResponseHeaders(200, 0);
        OutputStream out = e.getResponseBody();
        String id = (chat ? "chatcmpl-" : "cmpl-") + System.nanoTime();
        try {
            if (chat) {
                ObjectNode first = chunk(id, true);
                ObjectNode choice = ((ArrayNode) first.get("choices")).addObject();
                choice.put("index", 0);
                choice.putObject("delta").put("role", "assistant").put("content", "");
                choice.putNull("logprobs");
                choice.putNull("finish_reason");
                event(out, first.toString());
            }
            sleep(firstTokenDelayMillis);
            int sent = 0;
            int k = 0;
            int[] pattern = chunkPattern;
            while (sent < tokens) {
                if (failure != Failure.NONE && sent >= failAfterTokens) {
                    fail(out);
                    return;
                }
                if (sent > 0) {
                    sleep(chunkDelayMillis);
                }
                int n = Math.min(pattern[k++ % pattern.length], tokens - sent);
                ObjectNode c = chunk(id, chat);
                ObjectNode choice = ((ArrayNode) c.get("choices")).addObject();
                choice.put("index", 0);
                StringBuilder text = new StringBuilder();
                for (int t = 0; t < n; t++) {
                    text.append("t").append(sent + t).append(' ');
                }
                if (chat) {
                    choice.putObject("delta").put("content", text.toString());
                } else {
                    choice.put("text", text.toString());
                }
                if (logprobs) {
                    ObjectNode lp = choice.putObject("logprobs");
                    if (chat) {
                        ArrayNode content = lp.putArray("content");
                        for (int t = 0; t < n; t++) {
                            content.addObject().put("token", "t" + (sent + t) + " ").put("logprob", -0.5)
                                    .putArray("top_logprobs");
                        }
                    } else {
                        ArrayNode toks = lp.putArray("tokens");
                        ArrayNode values = lp.putArray("token_logprobs");
                        ArrayNode offsets = lp.putArray("text_offset");
                        for (int t = 0; t < n; t++) {
                            toks.add("t" + (sent + t) + " ");
                            values.add(-0.5);
                            offsets.add(t);
                        }
                        lp.putArray("top_logprobs");
                    }
                } else {
                    choice.putNull("logprobs");
                }
                if (tokenIds) {
                    ArrayNode ids = choice.putArray("token_ids");
                    for (int t = 0; t < n; t++) {
                        ids.add(1000 + sent + t);
                    }
                }
                sent += n;
                generationTokensTotal.addAndGet(n);
                if (sent == tokens) {
                    choice.put("finish_reason", finish);
                } else {
                    choice.putNull("finish_reason");
                }
                if (keepAlives) {
                    write(out, ": ping" + eol() + eol());
                }
                event(out, c.toString());
            }
            if (usage) {
                ObjectNode u = chunk(id, chat);
                u.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens + tokens)
                        .put("completion_tokens", tokens);
                event(out, u.toString());
            }
            event(out, "[DONE]");
            completed.incrementAndGet();
            out.close();
        } catch (IOException closed) {
            // the client went away
        }
    }

    private void fail(OutputStream out) throws IOException {
        switch (failure) {
        case STALL -> sleep(600_000);
        case MALFORMED -> {
            event(out, "{\"choices\": [ this is not json");
            sleep(600_000);
        }
        case ERROR_EVENT -> {
            event(out, "{\"error\":{\"message\":\"out of KV cache blocks\",\"type\":\"InternalServerError\",\"code\":500}}");
            sleep(600_000);
        }
        case DIE -> {
            server.stop(0);
            executor.shutdownNow();
        }
        case EXIT -> Runtime.getRuntime().halt(3);
        default -> throw new IllegalStateException(failure.toString());
        }
    }

    private ObjectNode chunk(String id, boolean chat) {
        ObjectNode c = JSON.createObjectNode();
        c.put("id", id);
        c.put("object", chat ? "chat.completion.chunk" : "text_completion");
        c.put("created", 1_700_000_000);
        c.put("model", model);
        c.putArray("choices");
        return c;
    }

    private String eol() {
        return crlf ? "\r\n" : "\n";
    }

    private void event(OutputStream out, String data) throws IOException {
        eventSentNanos.add(System.nanoTime());
        write(out, "data: " + data + eol() + eol());
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /**
     * The stand-in for {@code vllm serve MODEL --port N ...} and {@code trtllm-serve MODEL --port N
     * ...}: serves MODEL on the port until killed. It writes its arguments and
     * {@code CUDA_VISIBLE_DEVICES} to the log (stdout). {@code FAKE_FAILURE} picks a
     * {@link Failure}; {@code FAKE_EXIT_AT_START} makes it exit with code 7 before listening;
     * {@code FAKE_START_DELAY_MS} delays listening (model loading).
     */
    public static void main(String[] args) throws Exception {
        List<String> list = new ArrayList<>(Arrays.asList(args));
        System.out.println("INFO fake server args: " + String.join(" ", list));
        System.out.println("INFO CUDA_VISIBLE_DEVICES=" + System.getenv("CUDA_VISIBLE_DEVICES"));
        if (System.getenv("FAKE_EXIT_AT_START") != null) {
            System.out.println("ERROR CUDA out of memory (fake)");
            System.exit(7);
        }
        String delay = System.getenv("FAKE_START_DELAY_MS");
        if (delay != null) {
            Thread.sleep(Long.parseLong(delay));
        }
        list.remove("serve");
        String model = list.stream().filter(a -> !a.startsWith("-")).findFirst().orElse("model");
        int port = Integer.parseInt(list.get(list.indexOf("--port") + 1));
        FakeOpenAiServer server = new FakeOpenAiServer(model, list.contains("--tp_size"), port);
        String failure = System.getenv("FAKE_FAILURE");
        if (failure != null) {
            server.failure = Failure.valueOf(failure.toUpperCase(Locale.ROOT));
        }
        server.chunkDelayMillis = 1;
        System.out.println("INFO Started server process on " + server.url());
        System.out.flush();
        Thread.currentThread().join();
    }
}
