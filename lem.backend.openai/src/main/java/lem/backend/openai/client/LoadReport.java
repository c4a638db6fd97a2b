package lem.backend.openai.client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a load run did.
 *
 * @param outcomes      per request, in the order given (unsent requests are failures)
 * @param arrivalNanos  per request, when it arrived: its scheduled instant in an open loop, its
 *                      send instant in a closed loop; 0 when never sent
 * @param sendNanos     per request, when it was sent; 0 when never sent
 * @param openLoop      true for open-loop traffic
 * @param saturation    why the server looked saturated, or empty
 * @param figures       the load's figures, named for notes ({@code load.offered_rate_per_s}, ...)
 */
public record LoadReport(List<StreamOutcome> outcomes, long[] arrivalNanos, long[] sendNanos, boolean openLoop,
        Optional<String> saturation, Map<String, String> figures) {
    public LoadReport {
        outcomes = List.copyOf(outcomes);
        figures = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(figures));
    }
}
