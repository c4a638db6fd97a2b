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

    /** Tokens arrived. */
    void tokens(TokenEvent event);

    /** The request finished (or failed: see {@link RequestResult#error()}). */
    void requestFinished(RequestResult result);
}
