package lem.runtime.results;

import static lem.runtime.results.Fixtures.MS;
import static lem.runtime.results.Fixtures.at;
import static lem.runtime.results.Fixtures.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class MetricsCalculatorTest {
    private static final double EPS = 1e-9;

    /**
     * Request A: start 0, one token each at 100, 120, 150, 160 ms, end 160 ms.
     * Request B: start 10 ms, 1 token at 60 ms, a 3-token chunk at 100 ms, 1 token at 110 ms, end 110 ms.
     * Window 0 to 200 ms.
     */
    private static WorkloadMetrics twoRequests() {
        RequestTimeline a = request("a", 10, 0, 160 * MS, at(100 * MS, 1), at(120 * MS, 1), at(150 * MS, 1),
                at(160 * MS, 1));
        RequestTimeline b = request("b", 6, 10 * MS, 110 * MS, at(60 * MS, 1), at(100 * MS, 3), at(110 * MS, 1));
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, 200 * MS, List.of(a, b), List.of(), List.of(), null);
        return MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of())));
    }

    @Test
    void timeToFirstTokenAndEndToEndFromTimestamps() {
        LatencyMetrics latency = twoRequests().latency();
        // TTFT a = 100 - 0 = 100 ms, b = 60 - 10 = 50 ms
        assertEquals(2, latency.ttftMs().count());
        assertEquals(75.0, latency.ttftMs().mean(), EPS);
        assertEquals(75.0, latency.ttftMs().median(), EPS);
        // p90 of [50, 100]: position (2-1) x 0.9 = 0.9 -> 50 + 0.9 x 50 = 95
        assertEquals(95.0, latency.ttftMs().p90(), EPS);
        assertEquals(99.5, latency.ttftMs().p99(), EPS);
        assertEquals(50.0, latency.ttftMs().min(), EPS);
        assertEquals(100.0, latency.ttftMs().max(), EPS);
        // E2E a = 160, b = 100
        assertEquals(130.0, latency.e2eMs().mean(), EPS);
    }

    @Test
    void interTokenLatencyPercentilesComeFromAllGapsNotPerRequestMeans() {
        LatencyMetrics latency = twoRequests().latency();
        // gaps a: 20, 30, 10; b: 40 (to the 3-token chunk, one gap), 10 -> sorted 10, 10, 20, 30, 40
        assertEquals(5, latency.itlRawMs().count());
        assertEquals(22.0, latency.itlRawMs().mean(), EPS); // the mean of per-request means would be 22.5
        assertEquals(20.0, latency.itlRawMs().median(), EPS);
        assertEquals(36.0, latency.itlRawMs().p90(), EPS); // position 3.6: 30 + 0.6 x 10
        assertEquals(38.0, latency.itlRawMs().p95(), EPS);
        assertEquals(39.6, latency.itlRawMs().p99(), EPS);
        assertEquals(10.0, latency.itlRawMs().min(), EPS);
        assertEquals(40.0, latency.itlRawMs().max(), EPS);
        // trimmed: a keeps its middle gap 30; b has only two gaps, both dropped
        assertEquals(1, latency.itlTrimmedMs().count());
        assertEquals(30.0, latency.itlTrimmedMs().mean(), EPS);
    }

    @Test
    void timePerOutputTokenAndMultiTokenChunks() {
        WorkloadMetrics metrics = twoRequests();
        LatencyMetrics latency = metrics.latency();
        // a: (160 - 100) / (4 - 1) = 20; b: (100 - 50) / (5 - 1) = 12.5
        assertEquals(16.25, latency.tpotMs().mean(), EPS);
        assertEquals(12.5, latency.tpotMs().min(), EPS);
        assertEquals(7, latency.tokenArrivals());
        assertEquals(1, latency.multiTokenChunks());
        assertEquals(3, latency.tokensInMultiTokenChunks());
        assertEquals(9, metrics.outputTokens());
        assertEquals(16, metrics.inputTokens());
    }

    @Test
    void prefillDecodeTimesAndRates() {
        WorkloadMetrics metrics = twoRequests();
        // prefill a 100, b 50; decode a 60, b 50
        assertEquals(150.0, metrics.latency().prefillTotalMs(), EPS);
        assertEquals(110.0, metrics.latency().decodeTotalMs(), EPS);
        assertEquals(55.0, metrics.latency().decodeMs().mean(), EPS);
        // 9 output tokens, 25 tokens, 2 requests in 0.2 s
        assertEquals(45.0, metrics.outputTokensPerSecond(), EPS);
        assertEquals(125.0, metrics.totalTokensPerSecond(), EPS);
        assertEquals(10.0, metrics.requestsPerSecond(), EPS);
    }

    @Test
    void perRequestFigures() {
        RequestTimeline a = request("a", 10, 0, 160 * MS, at(100 * MS, 1), at(120 * MS, 1), at(150 * MS, 1),
                at(160 * MS, 1));
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, 200 * MS, List.of(a), List.of(), List.of(), null);
        RequestMetrics metrics = MetricsCalculator.requestMetrics(new CycleInput(1, List.of(raw), Map.of())).get(0);
        assertEquals(100.0, metrics.ttftMs(), EPS);
        assertEquals(20.0, metrics.tpotMs(), EPS);
        assertEquals(160.0, metrics.e2eMs(), EPS);
        assertEquals(20.0, metrics.itlMeanMs(), EPS);
        assertEquals(3, metrics.itlGaps());
    }

    @Test
    void failedRequestsAreCountedButLeftOutOfLatency() {
        RequestTimeline ok = request("ok", 4, 0, 30 * MS, at(10 * MS, 1), at(30 * MS, 1));
        RequestTimeline failed = new RequestTimeline("bad", 4, 0, 0, 0, 500 * MS, List.of(), "error", "connection reset");
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, seconds(1), List.of(ok, failed), List.of(), List.of(), null);
        WorkloadMetrics metrics = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of())));
        assertEquals(2, metrics.requests());
        assertEquals(1, metrics.failedRequests());
        assertEquals(1, metrics.latency().e2eMs().count());
        assertEquals(30.0, metrics.latency().e2eMs().max(), EPS);
        assertEquals(1.0, metrics.requestsPerSecond(), EPS);
    }

    @Test
    void singleTokenRequestHasNoTpotOrGaps() {
        RequestTimeline one = request("one", 4, 0, 10 * MS, at(10 * MS, 1));
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, 10 * MS, List.of(one), List.of(), List.of(), null);
        WorkloadMetrics metrics = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of())));
        assertEquals(0, metrics.latency().tpotMs().count());
        assertNull(metrics.latency().tpotMs().mean());
        assertEquals(0, metrics.latency().itlRawMs().count());
        assertNull(metrics.joulesPerOutputToken()); // no energy source
    }

    private static long seconds(int seconds) {
        return seconds * Fixtures.S;
    }

    @Test
    void perTokenInterTokenLatencySplitsAMultiTokenChunksGap() {
        LatencyMetrics latency = twoRequests().latency();
        // a: 20, 30, 10 (one token each); b: the 3-token chunk after 40 ms gives 3 gaps of 40/3, then 10
        assertEquals(7, latency.itlPerTokenMs().count());
        assertEquals((20 + 30 + 10 + 40 + 10) / 7.0, latency.itlPerTokenMs().mean(), EPS);
        assertEquals(10.0, latency.itlPerTokenMs().min(), EPS);
        assertEquals(30.0, latency.itlPerTokenMs().max(), EPS);
        // per chunk, the same request has 2 gaps: 40 and 10
        assertEquals(5, latency.itlRawMs().count());
    }

    /**
     * Two requests arrive together at 0; a batch slot frees at 300 ms for the second. a: start 0,
     * tokens at 100 and 200 ms. b: start 300 ms, tokens at 400 and 500 ms. From arrival, TTFT is 100
     * and 400 ms and E2E 200 and 500 ms; the second waited 300 ms in the queue.
     */
    @Test
    void latencyCountsFromArrivalAndQueueingIsReportedOnItsOwn() {
        RequestTimeline a = new RequestTimeline("a", 4, 2, 0, 100 * MS, 200 * MS,
                List.of(new TokenArrival(100 * MS, 1), new TokenArrival(200 * MS, 1)), "length", null, 0);
        RequestTimeline b = new RequestTimeline("b", 4, 2, 300 * MS, 400 * MS, 500 * MS,
                List.of(new TokenArrival(400 * MS, 1), new TokenArrival(500 * MS, 1)), "length", null, 1);
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, 500 * MS, List.of(a, b), List.of(), List.of(), null);
        CycleInput cycle = new CycleInput(1, List.of(raw), Map.of());

        LatencyMetrics latency = MetricsCalculator.compute(List.of(cycle)).latency();
        List<RequestMetrics> requests = MetricsCalculator.requestMetrics(cycle);

        // b's arrival is 1 ns (0 means unknown): its times count from there
        assertEquals((100 + 400 - 1e-6) / 2, latency.ttftMs().mean(), 1e-6);
        assertEquals((200 + 500 - 1e-6) / 2, latency.e2eMs().mean(), 1e-6);
        assertEquals(300.0 - 1e-6, latency.queueMs().max(), 1e-6);
        assertEquals(0.0, latency.queueMs().min(), EPS);
        assertEquals(100.0, latency.prefillMs().mean(), EPS, "prefill is service time: start to first token");
        assertEquals(400.0 - 1e-6, requests.get(1).ttftMs(), 1e-6);
        assertEquals(300.0 - 1e-6, requests.get(1).queueMs(), 1e-6);
        assertEquals(null, requests.get(1).energyJoules(), "no energy figures, no energy share");
    }

    /**
     * Requests a: 0-400 ms, b: 100-500 ms, c: 150-350 ms (tokens every 50 ms from 50 ms after each
     * start). In flight: 1 from 0, 2 from 100, 3 from 150 to 350, then 2, then 1: the plateau is 3,
     * from 150 to 350 ms. GPU at a steady 100 W: 20 J in the plateau.
     */
    @Test
    void theSteadyStateIsWhereTheMostRequestsAreInFlight() {
        RequestTimeline a = request("a", 4, 0, 400 * MS, at(50 * MS, 1), at(100 * MS, 1), at(200 * MS, 1),
                at(300 * MS, 1), at(400 * MS, 1));
        RequestTimeline b = request("b", 4, 100 * MS, 500 * MS, at(150 * MS, 1), at(250 * MS, 1), at(350 * MS, 1),
                at(500 * MS, 1));
        RequestTimeline c = request("c", 4, 150 * MS, 350 * MS, at(200 * MS, 1), at(250 * MS, 1), at(350 * MS, 1));
        RawResult raw = Fixtures.raw("exp", 1, 0, 0, 500 * MS, List.of(a, b, c),
                List.of(Fixtures.reading("nvml", 0, 500 * MS, Fixtures.gpu("GPU-0", 50))), List.of(), null);

        SteadyState steady = MetricsCalculator.compute(List.of(new CycleInput(1, List.of(raw), Map.of()))).steadyState();

        assertEquals(3, steady.inFlight());
        assertEquals(200 * MS, steady.durationNanos());
        // arrivals in (150, 350]: a 200, 300; b 250, 350; c 200, 250, 350 -> 7 tokens
        assertEquals(7, steady.outputTokens());
        assertEquals(35.0, steady.outputTokensPerSecond(), EPS);
        assertEquals(20.0, steady.energyJoules(), 1e-9);
        assertEquals(20.0 / 7, steady.joulesPerOutputToken(), 1e-9);
    }
}
