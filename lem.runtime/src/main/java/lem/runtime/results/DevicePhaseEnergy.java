package lem.runtime.results;

/**
 * Prefill and decode energy of one device, from its power series aligned to token timestamps and
 * scaled so that the series integrates to the device's counted energy over the whole window.
 *
 * @param cycle         1-based cycle
 * @param process       0-based process whose requests and series were used
 * @param source        source of the series
 * @param deviceId      the device
 * @param counterJoules the device's counted energy over the window
 * @param seriesJoules  the series integrated (trapezoids) over the window
 * @param scaleFactor   counterJoules / seriesJoules
 * @param samples       series samples inside the window
 * @param seriesJoules  the series integrated (trapezoids) over the window; 0 without a series
 * @param prefillNanos  window time, each instant weighted by the share of its requests in flight in prefill
 * @param decodeNanos   the same for decode
 * @param otherNanos    the rest of the window (no request in flight)
 * @param prefillJoules scaled energy over prefill time
 * @param decodeJoules  scaled energy over decode time
 * @param otherJoules   scaled energy over the rest
 */
public record DevicePhaseEnergy(int cycle, int process, String source, String deviceId, double counterJoules,
        double seriesJoules, double scaleFactor, int samples, long prefillNanos, long decodeNanos, long otherNanos,
        double prefillJoules, double decodeJoules, double otherJoules) {
}
