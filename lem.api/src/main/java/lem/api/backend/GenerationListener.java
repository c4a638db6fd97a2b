package lem.api.backend;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Receives events while a backend generates. Implemented by the lem runtime; a backend calls it
 * from any thread, in order per request. Calls must be cheap for the backend: the runtime only
 * records them.
 */
@ProviderType
public interface GenerationListener {
    /** The request was sent (server) or its generation began (in-process). */
    void requestStarted(String requestId, long timestampNanos);

    /**
     * When the request arrived, where the backend decides it rather than the plan: in a closed
     * loop a request arrives when a slot frees, not at its offset in the plan. Latency counts from
     * the arrival; without this call the runtime takes the window's start plus the request's
     * {@link GenerationRequest#arrivalOffsetNanos()}. Call it before {@link #requestStarted}.
     */
    default void requestArrived(String requestId, long timestampNanos) {
    }

    /** Tokens arrived. */
    void tokens(TokenEvent event);

    /**
     * The ids of tokens that {@link #tokens} reported, from a backend that knows them (in-process
     * backends): {@code ids[i]} is output token {@code index + i} of the request. The runtime keeps
     * them to score the model's own outputs ({@code quality.generated}) after the measurement.
     * Called after the {@link #tokens} call for the same tokens; a backend may skip it.
     */
    default void tokenIds(String requestId, int index, int[] ids) {
    }

    /** The request finished (or failed: see {@link RequestResult#error()}). */
    void requestFinished(RequestResult result);
}
