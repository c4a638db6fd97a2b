package lem.api.flops;

import java.util.List;
import java.util.Optional;

import lem.api.backend.ExecutedOperations;

/**
 * What ran: the requests' shapes, and the operations the backend counted if it did.
 *
 * @param requests  token counts per request
 * @param executed  operations the backend reports it executed, when it counts them
 */
public record Workload(List<RequestShape> requests, Optional<ExecutedOperations> executed) {
    public Workload {
        requests = List.copyOf(requests);
        executed = executed == null ? Optional.empty() : executed;
    }
}
