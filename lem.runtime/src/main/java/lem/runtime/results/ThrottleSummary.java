package lem.runtime.results;

import java.util.List;

/**
 * How long devices were throttled for one cause, overlapping periods of one device merged.
 *
 * @param cause           {@code thermal}, {@code power}, {@code hw_slowdown} or a source's own word
 * @param totalDurationMs sum over devices
 * @param periods         periods reported
 * @param devices         devices affected
 */
public record ThrottleSummary(String cause, double totalDurationMs, int periods, List<String> devices) {
}
