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
 * @param windowNanos    the reading's window
 * @param rawJoules      as measured
 * @param baselineWatts  idle power subtracted, or null when no baseline was taken for the device
 * @param adjustedJoules max(0, raw - baseline x window); equal to raw without a baseline
 * @param counted        whether the figure is part of the total
 * @param reason         why it is not counted (another source covers the device, another process
 *                       already reported it), or empty
 */
public record DeviceEnergyFigure(int cycle, int process, String host, String source, String deviceId,
        EnergyDomain domain, EnergyMethod method, boolean shared, long windowNanos, double rawJoules,
        Double baselineWatts, double adjustedJoules, boolean counted, String reason) {
}
