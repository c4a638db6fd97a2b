package lem.backend.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.LoadedModel;
import lem.api.backend.Prompt;
import lem.api.backend.RequestResult;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.openai.client.FakeOpenAiServer;
import lem.runtime.results.RequestTimeline;
import lem.runtime.results.TimelineRecorder;
import lem.runtime.results.TokenArrival;

class OpenAiBackendTest {
    static final DecodeSettings FIXED_8 = new DecodeSettings(0, 0, 1, 1, 1, 8, 8);

    private final FakeOpenAiServer server;
    @TempDir
    Path logs;

    OpenAiBackendTest() throws Exception {
        server = new FakeOpenAiServer("served-model", false);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private LoadedModel open(Map<String, Object> options) throws BackendException {
        return new OpenAiBackend().open(new ModelSpec("served", "served-model", Precision.BFLOAT16, "none", 0, Map.of()),
                new BackendSettings("cuda", BatchingMode.CONTINUOUS, 4, options));
    }

    private static List<GenerationRequest> requests(int n, long gapNanos) {
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new GenerationRequest("r" + i, Prompt.ofTokens(List.of(1, 2, 3)), i * gapNanos));
        }
        return list;
    }

    @Test
    void attachedServerGivesEveryRequestItsTimesTokensArrivalAndMetrics() throws Exception {
        server.chunkPattern = new int[] { 1, 2 };
        server.chunkDelayMillis = 5;
        TimelineRecorder recorder = new TimelineRecorder();
        try (LoadedModel model = open(Map.of("url", server.url(), "log_dir", logs.toString(), "metrics_interval_ms", 20,
                "device_ids", List.of("GPU-1234")))) {
            assertEquals("served-model", model.description().name());
            assertEquals(java.util.Set.of("GPU-1234"), model.deviceIds());
            GenerationResult result = model.generate(requests(6, 20_000_000L), FIXED_8, recorder);

            assertEquals(6, result.requests().size());
            for (RequestResult r : result.requests()) {
                assertEquals(null, r.error());
                assertEquals(8, r.outputTokens());
                assertEquals(3, r.inputTokens());
                long arrival = Long.parseLong(result.notes().get("request." + r.requestId() + ".arrival_nanos"));
                long queue = Long.parseLong(result.notes().get("request." + r.requestId() + ".queue_nanos"));
                assertEquals(r.startNanos(), arrival + queue, "send = arrival + time the client held it");
                // a busy machine may read the last chunks in the same read as the first: equal instants then
                assertTrue(r.startNanos() < r.firstTokenNanos() && r.firstTokenNanos() <= r.endNanos());
                RequestTimeline timeline = recorder.finished().stream()
                        .filter(t -> t.requestId().equals(r.requestId())).findFirst().orElseThrow();
                assertEquals(8, timeline.tokenEvents().stream().mapToInt(TokenArrival::tokenCount).sum(),
                        "token events add up to the output");
                assertEquals(r.firstTokenNanos(), timeline.tokenEvents().get(0).timestampNanos());
            }
            long r0 = Long.parseLong(result.notes().get("request.r0.arrival_nanos"));
            long r5 = Long.parseLong(result.notes().get("request.r5.arrival_nanos"));
            assertEquals(100_000_000L, r5 - r0, "arrivals follow the plan's offsets");
            assertEquals(6, recorder.finished().size());
            assertTrue(recorder.unfinished().isEmpty());
            assertEquals("logprobs", result.notes().get("token_count_method"));
            assertEquals("open", result.notes().get("load.mode"));
            assertEquals("attached", result.notes().get("server.mode"));
        }
        Path metrics = logs.resolve("openai-metrics.csv");
        List<String> lines = Files.readAllLines(metrics);
        assertTrue(lines.get(0).startsWith("nano_time,"));
        assertTrue(lines.stream().anyMatch(l -> l.contains("vllm:num_requests_running")), "scraped the gauges");
        assertTrue(lines.stream().noneMatch(l -> l.contains("_bucket")), "histogram buckets are left out");
    }

    @Test
    void theServersMetricsGoToTheExperimentsResultsFolderUnlessLogDirSaysElsewhere() throws Exception {
        Path experiment = Files.createDirectories(logs.resolve("results/exp-1"));
        ModelSpec spec = new ModelSpec("served", "served-model", Precision.BFLOAT16, "none", 0, Map.of());
        try (LoadedModel model = new OpenAiBackend().open(spec, new BackendSettings("cuda", BatchingMode.CONTINUOUS, 4,
                Map.of("url", server.url(), "metrics_interval_ms", 20)), experiment)) {
            model.generate(requests(2, 0), FIXED_8, new TimelineRecorder());
        }
        assertTrue(Files.readAllLines(experiment.resolve("server/openai-metrics.csv")).size() > 1,
                "scraped into <results folder>/server/");

        Path elsewhere = logs.resolve("elsewhere");
        try (LoadedModel model = new OpenAiBackend().open(spec, new BackendSettings("cuda", BatchingMode.CONTINUOUS, 4,
                Map.of("url", server.url(), "metrics_interval_ms", 20, "log_dir", elsewhere.toString())), experiment)) {
            model.generate(requests(1, 0), FIXED_8, new TimelineRecorder());
        }
        assertTrue(Files.isRegularFile(elsewhere.resolve("openai-metrics.csv")), "log_dir wins over the results folder");
    }

    @Test
    void closedLoopHonoursTheConcurrencySetting() throws Exception {
        server.chunkDelayMillis = 5;
        try (LoadedModel model = open(Map.of("url", server.url(), "log_dir", logs.toString(), "load_mode", "closed",
                "concurrency", 2, "metrics", false))) {
            TimelineRecorder recorder = new TimelineRecorder();
            long generate = System.nanoTime();
            recorder.expect(generate, requests(6, 0)); // the plan says: all at once
            GenerationResult result = model.generate(requests(6, 0), FIXED_8, recorder);
            assertEquals("closed", result.notes().get("load.mode"));
            assertEquals("2", result.notes().get("load.in_flight_max"));
            // in a closed loop a request arrives when a slot frees and is sent then: no queueing, so
            // the later requests' TTFT does not include the earlier ones' time
            for (RequestTimeline t : recorder.finished()) {
                assertEquals(t.startNanos(), t.arrivalNanos(), t.requestId() + " arrives when sent");
            }
            assertTrue(recorder.finished().stream().anyMatch(t -> t.arrivalNanos() > generate + 5_000_000L),
                    "the last requests arrived after the first ones' tokens, not with the plan");
        }
    }

    @Test
    void aServerThatGoesAwayEndsTheRunWithTheReasonAndKeepsFinishedRequests() throws Exception {
        TimelineRecorder recorder = new TimelineRecorder();
        try (LoadedModel model = open(Map.of("url", server.url(), "log_dir", logs.toString(), "load_mode", "closed",
                "concurrency", 1, "metrics", false))) {
            model.generate(requests(1, 0), FIXED_8, recorder);
            server.failure = FakeOpenAiServer.Failure.DIE;
            BackendException e = assertThrows(BackendException.class,
                    () -> model.generate(requests(4, 0), FIXED_8, recorder));
            assertTrue(e.getMessage().contains("went away") && e.getMessage().contains("cannot connect"), e.getMessage());
        }
        List<RequestTimeline> finished = recorder.finished();
        assertEquals(5, finished.size(), "every request is reported, finished or not");
        assertEquals(null, finished.get(0).error());
        assertTrue(finished.get(4).error().startsWith("not sent"), finished.get(4).error());
    }

    @Test
    void badSettingsNameTheKeyAndWhatIsAllowed() {
        BackendException unknown = assertThrows(BackendException.class,
                () -> open(Map.of("url", server.url(), "max_num_seqs", 4)));
        assertTrue(unknown.getMessage().startsWith("backend.openai.max_num_seqs is not a setting"), unknown.getMessage());
        BackendException noUrl = assertThrows(BackendException.class, () -> open(Map.of()));
        assertTrue(noUrl.getMessage().contains("backend.openai.url is required"), noUrl.getMessage());
        BackendException endpoint = assertThrows(BackendException.class,
                () -> open(Map.of("url", server.url(), "endpoint", "embeddings")));
        assertTrue(endpoint.getMessage().contains("backend.openai.endpoint must be one of completions, chat"),
                endpoint.getMessage());
        BackendException wrongModel = assertThrows(BackendException.class,
                () -> open(Map.of("url", server.url(), "model", "other", "metrics", false)));
        assertTrue(wrongModel.getMessage().contains("serves [served-model], not other"), wrongModel.getMessage());
    }
}
