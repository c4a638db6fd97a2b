package lem.api.backend;

import java.util.Objects;

/**
 * One request.
 *
 * @param id                 unique within a run
 * @param prompt             the prompt
 * @param arrivalOffsetNanos when the request arrives, relative to the start of
 *                           {@link LoadedModel#generate}: 0 for all at once; constant or Poisson
 *                           traffic sets it. A backend must not send a request before its arrival.
 */
public record GenerationRequest(String id, Prompt prompt, long arrivalOffsetNanos) {
    public GenerationRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(prompt, "prompt");
        if (arrivalOffsetNanos < 0) {
            throw new IllegalArgumentException("arrivalOffsetNanos must be >= 0: " + arrivalOffsetNanos);
        }
    }
}
