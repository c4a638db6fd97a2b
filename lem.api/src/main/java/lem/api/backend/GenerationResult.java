package lem.api.backend;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one {@link LoadedModel#generate} call produced.
 *
 * @param requests             per request, in the order given
 * @param operations           operations executed, when the backend counts them
 * @param peakDeviceMemoryBytes peak memory of the device(s) during the call, or -1 when unknown
 * @param notes                anything a reader of the result should know, in words
 */
public record GenerationResult(List<RequestResult> requests, Optional<ExecutedOperations> operations,
        long peakDeviceMemoryBytes, Map<String, String> notes) {
    public GenerationResult {
        requests = List.copyOf(requests);
        operations = operations == null ? Optional.empty() : operations;
        notes = notes == null ? Map.of() : Map.copyOf(notes);
    }
}
