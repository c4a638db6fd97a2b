package lem.runtime.results;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import lem.api.backend.GenerationListener;
import lem.api.backend.GenerationRequest;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;

/**
 * Records a backend's events as {@link RequestTimeline}s, the form raw results keep. Backends call
 * it from any thread; each call only appends under a lock, so it stays cheap.
 */
public final class TimelineRecorder implements GenerationListener {
    private final Map<String, List<TokenArrival>> arrivals = new LinkedHashMap<>();
    private final Map<String, Long> starts = new LinkedHashMap<>();
    private final List<RequestTimeline> finished = new ArrayList<>();
    private final Map<String, Long> arrivalsNanos = new java.util.HashMap<>();

    /**
     * Records when each request arrives: {@code generateNanos} (the instant the backend was handed
     * them) plus its arrival offset. Called before the backend starts.
     */
    public synchronized void expect(long generateNanos, List<GenerationRequest> requests) {
        for (GenerationRequest request : requests) {
            arrivalsNanos.put(request.id(), generateNanos + request.arrivalOffsetNanos());
        }
    }

    /** The backend's own arrival instant replaces the plan's (a closed loop's request arrives when sent). */
    @Override
    public synchronized void requestArrived(String requestId, long timestampNanos) {
        arrivalsNanos.put(requestId, timestampNanos);
    }

    @Override
    public synchronized void requestStarted(String requestId, long timestampNanos) {
        starts.put(requestId, timestampNanos);
        arrivals.computeIfAbsent(requestId, id -> new ArrayList<>());
    }

    @Override
    public synchronized void tokens(TokenEvent event) {
        arrivals.computeIfAbsent(event.requestId(), id -> new ArrayList<>())
                .add(new TokenArrival(event.timestampNanos(), event.tokenCount()));
    }

    @Override
    public synchronized void requestFinished(RequestResult result) {
        List<TokenArrival> events = arrivals.remove(result.requestId());
        starts.remove(result.requestId());
        Long arrival = arrivalsNanos.remove(result.requestId());
        finished.add(timeline(result, events == null ? List.of() : events, arrival == null ? 0 : arrival));
    }

    /** The finished requests so far, in the order they finished. */
    public synchronized List<RequestTimeline> finished() {
        return List.copyOf(finished);
    }

    /** Requests that started and never finished (the window was cut short), by id with their start. */
    public synchronized Map<String, Long> unfinished() {
        return Map.copyOf(starts);
    }

    /**
     * One request's timeline: times and counts from the backend's result, arrivals from its token
     * events. Output tokens are the result's count, or the arrivals' sum when the result has none.
     * An unknown arrival (0) is taken as the start.
     */
    public static RequestTimeline timeline(RequestResult result, List<TokenArrival> events, long arrivalNanos) {
        int arrived = events.stream().mapToInt(TokenArrival::tokenCount).sum();
        int outputTokens = result.outputTokens() > 0 ? result.outputTokens() : arrived;
        long firstToken = result.firstTokenNanos() != 0 || events.isEmpty() ? result.firstTokenNanos()
                : events.stream().mapToLong(TokenArrival::timestampNanos).min().orElse(0);
        return new RequestTimeline(result.requestId(), result.inputTokens(), outputTokens, result.startNanos(),
                firstToken, result.endNanos(), events, result.finishReason(), result.error(), arrivalNanos);
    }
}
