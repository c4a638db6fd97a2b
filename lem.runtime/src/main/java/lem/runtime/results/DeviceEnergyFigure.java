package lem.runtime.results;

import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergyMethod;

/**
 * One device's energy as one source reported it in one process, and whether it went into the total.
 *
 * @param cycle          1-based cycle
 * @param process        0-based process that reported it
 * @param host           the process's host
 * @param source         energy source
 * @param deviceId       the device
 * @param domain         what the figure covers
 * @param method         counter, power integration or estimate
 * @param shared         the figure covers more than this run (a MIG board)
 * @param windowNanos    the work window the figure covers: its process's measurement window
 * @param rawJoules      over the work window: the reading with its edges corrected
 * @param baselineWatts  idle power subtracted, or null when no baseline was taken for the device
 * @param adjustedJoules max(0, raw - baseline x window); equal to raw without a baseline
 * @param counted        whether the figure is part of the total
 * @param reason         why it is not counted (another source covers the device, another process
 *                       already reported it), or empty
 * @param readingWindowNanos the window the source measured over (its session's start to stop)
 * @param readingJoules  as the source reported it, over its own window
 * @param edgeCorrectionJoules what moving the reading's edges to the work window's changed
 *                       ({@code rawJoules - readingJoules}, before clamping at 0)
 * @param edgeCorrection how the edges were moved, in words
 * @param expectedErrorJoules the source's own statement of its error over its window, J, or null
 */
public record DeviceEnergyFigure(int cycle, int process, String host, String source, String deviceId,
        EnergyDomain domain, EnergyMethod method, boolean shared, long windowNanos, double rawJoules,
        Double baselineWatts, double adjustedJoules, boolean counted, String reason, long readingWindowNanos,
        double readingJoules, double edgeCorrectionJoules, String edgeCorrection, Double expectedErrorJoules) {
}
