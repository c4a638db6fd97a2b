package lem.api.energy;

/** How an energy figure was obtained: a reviewer's first question. */
public enum EnergyMethod {
    /** Difference of a hardware energy counter read at the window's boundaries. */
    COUNTER,
    /** Sampled power integrated over time (trapezoids). */
    POWER_INTEGRATION,
    /** A model of power (TDP, per-DIMM watts): not a measurement. */
    ESTIMATE
}
