package lem.backend.openai.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import lem.api.backend.DecodeSettings;
import lem.api.backend.Prompt;

/** Rates and concurrency are checked with statistical bounds wide enough for a busy 2-core machine. */
class LoadGeneratorTest {
    private static final DecodeSettings FOUR = new DecodeSettings(0, 0, 1, 1, 1, 4, 4);
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
    private FakeOpenAiServer server;
    private OpenAiClient client;

    @AfterEach
    void close() {
        timer.shutdownNow();
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static List<StreamRequest> requests(int n) {
        List<StreamRequest> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new StreamRequest("r" + i, Prompt.ofText("hello there"), FOUR));
        }
        return list;
    }

    private OpenAiClient serve() throws Exception {
        server = new FakeOpenAiServer("m", false);
        server.keepAlives = false;
        client = new OpenAiClient(new ClientSettings(URI.create(server.url()), "m", Endpoint.COMPLETIONS, null, true,
                false, true, Duration.ofSeconds(30), Map.of()));
        return client;
    }

    @Test
    void poissonArrivalsHaveTheRateAndSpreadOfAPoissonProcess() {
        int n = 4000;
        long[] offsets = ArrivalSchedule.poisson(50, n, 7);
        double[] gaps = new double[n - 1];
        for (int i = 1; i < n; i++) {
            gaps[i - 1] = (offsets[i] - offsets[i - 1]) / 1e9;
        }
        double mean = Arrays.stream(gaps).average().orElseThrow();
        double sd = Math.sqrt(Arrays.stream(gaps).map(g -> (g - mean) * (g - mean)).sum() / (gaps.length - 1));
        assertEquals(0.02, mean, 0.02 * 0.06, "mean gap of rate 50/s");
        assertEquals(1.0, sd / mean, 0.08, "exponential gaps: coefficient of variation 1");
        assertArrayEquals(offsets, ArrivalSchedule.poisson(50, n, 7), "seeded");
        assertFalse(Arrays.equals(offsets, ArrivalSchedule.poisson(50, n, 8)));
        assertArrayEquals(new long[] { 0, 250_000_000, 500_000_000 }, ArrivalSchedule.constant(4, 3));
    }

    @Test
    void openLoopSendsEachRequestAtItsArrivalOverRealHttp() throws Exception {
        serve();
        server.chunkDelayMillis = 5;
        int n = 200;
        long[] offsets = ArrivalSchedule.poisson(100, n, 3);
        LoadReport report = LoadGenerator.openLoop(offsets).run(requests(n), (r, t) -> client.stream(r, StreamObserver.NONE, t),
                LoadGenerator.SendListener.NONE);

        assertTrue(report.outcomes().stream().noneMatch(StreamOutcome::failed));
        long[] lags = new long[n];
        for (int i = 0; i < n; i++) {
            assertTrue(report.sendNanos()[i] >= report.arrivalNanos()[i], "request " + i + " sent before it arrived");
            assertEquals(offsets[i], report.arrivalNanos()[i] - report.arrivalNanos()[0]);
            lags[i] = report.sendNanos()[i] - report.arrivalNanos()[i];
        }
        Arrays.sort(lags);
        double planned = (n - 1) * 1e9 / (offsets[n - 1] - offsets[0]);
        double sent = Double.parseDouble(report.figures().get("load.send_rate_per_s"));
        System.out.printf("open loop: planned %.1f/s, sent %.1f/s, lag p50 %.3f ms, max %.3f ms%n", planned, sent,
                lags[n / 2] / 1e6, lags[n - 1] / 1e6);
        // the send lag depends on how busy the machine is, so it is printed, not asserted
        assertEquals(planned, sent, planned * 0.2, "send rate");
        assertEquals("false", report.figures().get("load.saturated"), report.figures().toString());
    }

    @Test
    void openLoopDoesNotWaitForRequestsInFlight() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        LoadReport report = LoadGenerator.openLoop(ArrivalSchedule.constant(200, 40)).run(requests(40), (r, t) -> {
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            return later(r, 150, inFlight);
        }, LoadGenerator.SendListener.NONE);
        // 200/s for 150 ms each: about 30 in flight, far more than a closed loop would allow
        assertTrue(most.get() >= 15, "at most " + most.get() + " in flight");
        assertEquals(Integer.toString(most.get()), report.figures().get("load.in_flight_max"));
    }

    @Test
    void closedLoopKeepsExactlyTheConcurrencyInFlight() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        List<Long> sends = new ArrayList<>();
        LoadReport report = LoadGenerator.closedLoop(3).run(requests(30), (r, t) -> {
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            return later(r, 10, inFlight);
        }, (i, nanos) -> sends.add(nanos));
        assertEquals(3, most.get());
        assertEquals(30, sends.size());
        assertArrayEquals(report.sendNanos(), report.arrivalNanos(), "a closed loop's request arrives when sent");
        assertEquals("closed", report.figures().get("load.mode"));
    }

    @Test
    void aServerThatCannotKeepUpIsReportedSaturated() throws Exception {
        serve();
        server.maxRunning(1);
        server.chunkDelayMillis = 10; // about 30-40 ms a request: at most ~30 requests/s
        LoadReport report = LoadGenerator.openLoop(ArrivalSchedule.constant(100, 60)).run(requests(60),
                (r, t) -> client.stream(r, StreamObserver.NONE, t), LoadGenerator.SendListener.NONE);
        System.out.println("saturated: " + report.figures());
        assertTrue(report.saturation().isPresent(), report.figures().toString());
        assertEquals("true", report.figures().get("load.saturated"));
        assertTrue(report.saturation().get().contains("fell short of the offered"), report.saturation().get());
    }

    @Test
    void aServerWithHeadroomIsNotSaturated() throws Exception {
        serve();
        server.chunkDelayMillis = 10;
        LoadReport report = LoadGenerator.openLoop(ArrivalSchedule.constant(15, 30)).run(requests(30),
                (r, t) -> client.stream(r, StreamObserver.NONE, t), LoadGenerator.SendListener.NONE);
        assertTrue(report.saturation().isEmpty(), report.figures().toString());
        assertEquals(15, Double.parseDouble(report.figures().get("load.achieved_rate_per_s")), 15 * 0.2);
    }

    @Test
    void queueGrowthComparesTheLastThirdWithTheMiddle() {
        int[] steady = new int[30];
        Arrays.fill(steady, 4);
        assertEquals(1.0, LoadGenerator.queueGrowth(steady));
        int[] growing = new int[30];
        for (int i = 0; i < 30; i++) {
            growing[i] = i + 1;
        }
        assertTrue(LoadGenerator.queueGrowth(growing) > LoadGenerator.QUEUE_GROWTH);
    }

    @Test
    void aFatalOutcomeStopsSendingAndTheRestAreReportedUnsent() throws Exception {
        AtomicInteger sent = new AtomicInteger();
        LoadReport report = LoadGenerator.closedLoop(1).run(requests(5), (r, t) -> {
            sent.incrementAndGet();
            return CompletableFuture.completedFuture(StreamOutcome.failure(r.id(), System.nanoTime(), "refused", true));
        }, LoadGenerator.SendListener.NONE);
        assertEquals(1, sent.get());
        assertEquals("not sent: refused", report.outcomes().get(4).error());
        assertEquals(0, report.sendNanos()[4]);
    }

    private CompletableFuture<StreamOutcome> later(StreamRequest r, long millis, AtomicInteger inFlight) {
        long send = System.nanoTime();
        CompletableFuture<StreamOutcome> f = new CompletableFuture<>();
        timer.schedule(() -> {
            inFlight.decrementAndGet();
            f.complete(new StreamOutcome(r.id(), send, send + 1, System.nanoTime(), 1, 1, 1, TokenCountMethod.LOGPROBS,
                    "length", null, false));
        }, millis, TimeUnit.MILLISECONDS);
        return f;
    }
}
