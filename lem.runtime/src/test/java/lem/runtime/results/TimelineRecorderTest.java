package lem.runtime.results;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;

class TimelineRecorderTest {
    @Test
    void backendEventsBecomeTimelinesThatTheMetricsRead() {
        TimelineRecorder recorder = new TimelineRecorder();
        recorder.requestStarted("a", 1_000);
        recorder.requestStarted("b", 1_500);
        recorder.tokens(new TokenEvent("a", 0, 1, 2_000));
        recorder.tokens(new TokenEvent("b", 0, 2, 2_500)); // a stream chunk with two tokens
        recorder.tokens(new TokenEvent("a", 1, 1, 3_000));
        recorder.requestFinished(new RequestResult("a", 1_000, 2_000, 3_000, 7, 2, "length", null));

        List<RequestTimeline> finished = recorder.finished();
        assertEquals(1, finished.size());
        RequestTimeline a = finished.get(0);
        assertEquals(List.of(new TokenArrival(2_000, 1), new TokenArrival(3_000, 1)), a.tokenEvents());
        assertEquals(2_000, a.firstTokenNanos());
        assertEquals(Map.of("b", 1_500L), recorder.unfinished());

        recorder.requestFinished(new RequestResult("b", 1_500, 2_500, 2_500, 3, 0, "error", "server closed"));
        RequestTimeline b = recorder.finished().get(1);
        assertEquals(2, b.outputTokens()); // the result had no count: the arrivals' sum
        assertEquals(1, MetricsCalculator.multiTokenChunks(b));
        assertEquals("server closed", b.error());
    }
}
