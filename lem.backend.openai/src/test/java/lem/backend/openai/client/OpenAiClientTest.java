package lem.backend.openai.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import lem.api.backend.BackendException;
import lem.api.backend.DecodeSettings;
import lem.api.backend.Prompt;

class OpenAiClientTest {
    static final String MODEL = "test-model";
    static final DecodeSettings FIXED_12 = new DecodeSettings(0, 0, 1, 1, 42, 12, 12);

    record Chunk(int index, int count, long nanos) {
    }

    private final FakeOpenAiServer server;
    private OpenAiClient client;

    OpenAiClientTest() throws Exception {
        server = new FakeOpenAiServer(MODEL, false);
    }

    @AfterEach
    void close() {
        if (client != null) {
            client.close();
        }
        server.close();
    }

    private OpenAiClient client(Endpoint endpoint, boolean logprobs, boolean tokenIds, boolean vllmSampling,
            Duration stall) throws BackendException {
        client = new OpenAiClient(new ClientSettings(URI.create(server.url() + "/v1/"), MODEL, endpoint, null,
                logprobs, tokenIds, vllmSampling, stall, Map.of()));
        return client;
    }

    private StreamOutcome run(StreamRequest request, List<Chunk> chunks) throws Exception {
        return client.stream(request, (i, n, t) -> chunks.add(new Chunk(i, n, t))).get(30, TimeUnit.SECONDS);
    }

    @Test
    void multiTokenChunksAreCountedExactlyFromTheirLogprobs() throws Exception {
        server.chunkPattern = new int[] { 1, 3, 2 };
        client(Endpoint.COMPLETIONS, true, false, true, Duration.ofSeconds(10));
        List<Chunk> chunks = new ArrayList<>();
        StreamOutcome o = run(new StreamRequest("r0", Prompt.ofTokens(List.of(5, 6, 7, 8)), FIXED_12), chunks);

        assertNull(o.error());
        assertEquals(TokenCountMethod.LOGPROBS, o.method());
        assertEquals(12, o.outputTokens());
        assertEquals(4, o.inputTokens(), "from the usage chunk");
        assertEquals("length", o.finishReason());
        assertEquals(List.of(1, 3, 2, 1, 3, 2), chunks.stream().map(Chunk::count).toList());
        assertEquals(List.of(0, 1, 4, 6, 7, 10), chunks.stream().map(Chunk::index).toList());
        assertEquals(chunks.get(0).nanos(), o.firstTokenNanos());
        assertTrue(o.sendNanos() < o.firstTokenNanos() && chunks.get(5).nanos() <= o.endNanos());

        JsonNode body = server.requests.get(0);
        assertEquals(List.of(5, 6, 7, 8), List.of(body.get("prompt").get(0).asInt(), body.get("prompt").get(1).asInt(),
                body.get("prompt").get(2).asInt(), body.get("prompt").get(3).asInt()), "token ids sent as an array");
        assertTrue(body.get("stream").asBoolean());
        assertTrue(body.get("stream_options").get("include_usage").asBoolean());
        assertEquals(12, body.get("max_tokens").asInt());
        assertEquals(12, body.get("min_tokens").asInt());
        assertTrue(body.get("ignore_eos").asBoolean());
        assertEquals(MODEL, body.get("model").asText());
    }

    @Test
    void chatRoleDeltaIsNotATokenAndCrlfStreamsParse() throws Exception {
        server.crlf = true;
        server.chunkPattern = new int[] { 2 };
        client(Endpoint.CHAT, true, false, true, Duration.ofSeconds(10));
        List<Chunk> chunks = new ArrayList<>();
        StreamOutcome o = run(new StreamRequest("c0", Prompt.ofText("say something long"), FIXED_12), chunks);

        assertNull(o.error());
        assertEquals(12, o.outputTokens());
        assertEquals(6, chunks.size(), "the role-only delta is no chunk");
        assertEquals(0, chunks.get(0).index());
        assertEquals(2, chunks.get(0).count());
        assertEquals("say something long", server.requests.get(0).get("messages").get(0).get("content").asText());
    }

    @Test
    void tokenIdsAreUsedWhenTheServerSendsThem() throws Exception {
        server.chunkPattern = new int[] { 4 };
        client(Endpoint.COMPLETIONS, false, true, true, Duration.ofSeconds(10));
        StreamOutcome o = run(new StreamRequest("r", Prompt.ofText("a b c"), FIXED_12), new ArrayList<>());
        assertEquals(TokenCountMethod.TOKEN_IDS, o.method());
        assertEquals(12, o.outputTokens());
        assertEquals(3, o.chunks());
        assertTrue(server.requests.get(0).get("return_token_ids").asBoolean());
    }

    @Test
    void withoutLogprobsTheUsageTotalIsTheCountAndTheMethodSaysSo() throws Exception {
        server.chunkPattern = new int[] { 3 };
        client(Endpoint.COMPLETIONS, false, false, true, Duration.ofSeconds(10));
        List<Chunk> chunks = new ArrayList<>();
        StreamOutcome o = run(new StreamRequest("r", Prompt.ofText("a b"), FIXED_12), chunks);
        assertEquals(TokenCountMethod.USAGE, o.method());
        assertEquals(12, o.outputTokens(), "the usage chunk's completion_tokens");
        assertEquals(4, chunks.size());
        assertFalse(server.requests.get(0).has("logprobs"));
    }

    @Test
    void minTokensAndIgnoreEosFixTheOutputLengthOnlyWhenSent() throws Exception {
        server.eosAfterTokens = 5;
        client(Endpoint.COMPLETIONS, true, false, false, Duration.ofSeconds(10));
        StreamOutcome plain = run(new StreamRequest("r", Prompt.ofText("x"), FIXED_12), new ArrayList<>());
        assertEquals(5, plain.outputTokens());
        assertEquals("stop", plain.finishReason());
        assertFalse(server.requests.get(0).has("ignore_eos"));
        client.close();
        client(Endpoint.COMPLETIONS, true, false, true, Duration.ofSeconds(10));
        assertEquals(12, run(new StreamRequest("r", Prompt.ofText("x"), FIXED_12), new ArrayList<>()).outputTokens());
    }

    @Test
    void eachChunkIsTimedWhenItArrives() throws Exception {
        server.chunkDelayMillis = 100;
        client(Endpoint.COMPLETIONS, true, false, true, Duration.ofSeconds(10));
        List<Chunk> chunks = new ArrayList<>();
        run(new StreamRequest("r", Prompt.ofText("x"), new DecodeSettings(0, 0, 1, 1, 1, 4, 4)), chunks);
        // the server and the client share System.nanoTime(): no chunk is timed before it was sent, and
        // the first was timed before the last was even sent (not stamped when the stream ended)
        List<Long> sent = server.eventSentNanos;
        assertEquals(4, chunks.size());
        for (int i = 0; i < chunks.size(); i++) {
            assertTrue(chunks.get(i).nanos() >= sent.get(i), "chunk " + i + " timed before the server sent it");
        }
        assertTrue(chunks.get(0).nanos() < sent.get(chunks.size() - 1), "the first chunk was timed when it came");
    }


    @Test
    void theApiKeyComesFromTheNamedVariableAndIsSentAsBearer() throws Exception {
        client = new OpenAiClient(new ClientSettings(URI.create(server.url()), MODEL, Endpoint.COMPLETIONS, "MY_KEY",
                true, false, true, Duration.ofSeconds(10), Map.of()), name -> name.equals("MY_KEY") ? "s3cret" : null);
        client.stream(new StreamRequest("r", Prompt.ofText("x"), FIXED_12), StreamObserver.NONE).get(30, TimeUnit.SECONDS);
        assertEquals("Bearer s3cret", server.authorizations.get(0));
        assertFalse(client.settings().toString().contains("s3cret"));

        BackendException missing = assertThrows(BackendException.class, () -> new OpenAiClient(
                new ClientSettings(URI.create(server.url()), MODEL, Endpoint.COMPLETIONS, "NOT_SET_ANYWHERE", true,
                        false, true, Duration.ofSeconds(1), Map.of()), name -> null));
        assertTrue(missing.getMessage().contains("NOT_SET_ANYWHERE"), missing.getMessage());
    }

    @Test
    void readinessListsTheServedModels() throws Exception {
        client(Endpoint.COMPLETIONS, true, false, true, Duration.ofSeconds(10));
        assertEquals(List.of(MODEL), client.awaitReady(Duration.ofSeconds(10), () -> null));
    }

    @Test
    void aServerThatNeverBecomesReadyTimesOutWithTheReason() throws Exception {
        server.failure = FakeOpenAiServer.Failure.NEVER_READY;
        client(Endpoint.COMPLETIONS, true, false, true, Duration.ofSeconds(10));
        BackendException e = assertThrows(BackendException.class, () -> client.awaitReady(Duration.ofMillis(600), () -> null));
        assertTrue(e.getMessage().contains("not ready within") && e.getMessage().contains("503"), e.getMessage());
    }

    @Test
    void httpErrorsEndTheRequestWithTheStatusAndMessage() throws Exception {
        server.failure = FakeOpenAiServer.Failure.HTTP_ERROR;
        for (int status : new int[] { 400, 500 }) {
            server.httpStatus = status;
            client(Endpoint.COMPLETIONS, true, false, true, Duration.ofSeconds(10));
            StreamOutcome o = run(new StreamRequest("r", Prompt.ofText("x"), FIXED_12), new ArrayList<>());
            assertTrue(o.failed());
            assertTrue(o.error().contains("HTTP " + status) && o.error().contains("fake failure " + status), o.error());
            assertFalse(o.fatal());
            client.close();
        }
    }

    @Test
    void aMalformedEventEndsTheRequestWithTheReason() throws Exception {
        server.failure = FakeOpenAiServer.Failure.MALFORMED;
        client(Endpoint.COMPLETIONS, true, false, true, Duration.ofSeconds(10));
        StreamOutcome o = run(new StreamRequest("r", Prompt.ofText("x"), FIXED_12), new ArrayList<>());
        assertTrue(o.error().startsWith("malformed event"), o.error());
        assertEquals(2, o.outputTokens(), "tokens before the bad event are kept");
    }

    @Test
    void anErrorEventEndsTheRequestWithTheServersMessage() throws Exception {
        server.failure = FakeOpenAiServer.Failure.ERROR_EVENT;
        client(Endpoint.CHAT, true, false, true, Duration.ofSeconds(10));
        StreamOutcome o = run(new StreamRequest("r", Prompt.ofText("x"), FIXED_12), new ArrayList<>());
        assertTrue(o.error().contains("out of KV cache blocks"), o.error());
    }

    @Test
    void aStalledStreamFailsAfterTheStallTimeout() throws Exception {
        server.failure = FakeOpenAiServer.Failure.STALL;
        server.failAfterTokens = 3;
        client(Endpoint.COMPLETIONS, true, false, true, Duration.ofMillis(400));
        StreamOutcome o = run(new StreamRequest("r", Prompt.ofText("x"), FIXED_12), new ArrayList<>());
        assertTrue(o.error().startsWith("stalled") && o.error().contains("after 3 token(s)"), o.error());
        assertEquals(3, o.outputTokens());
    }

    @Test
    void aServerThatDiesFailsTheStreamAndLaterRequestsAsFatal() throws Exception {
        server.failure = FakeOpenAiServer.Failure.DIE;
        client(Endpoint.COMPLETIONS, true, false, true, Duration.ofSeconds(5));
        StreamOutcome broken = run(new StreamRequest("r", Prompt.ofText("x"), FIXED_12), new ArrayList<>());
        assertTrue(broken.failed(), "the stream cut mid-way is a failure");
        StreamOutcome refused = run(new StreamRequest("r2", Prompt.ofText("x"), FIXED_12), new ArrayList<>());
        assertTrue(refused.fatal() && refused.error().contains("cannot connect"), refused.error());
    }

    @Test
    void aTokenIdPromptOnTheChatEndpointIsRefusedWithTheFix() throws Exception {
        client(Endpoint.CHAT, true, false, true, Duration.ofSeconds(5));
        StreamOutcome o = run(new StreamRequest("r", Prompt.ofTokens(List.of(1, 2)), FIXED_12), new ArrayList<>());
        assertTrue(o.error().contains("endpoint: completions"), o.error());
        assertTrue(server.requests.isEmpty());
    }
}
