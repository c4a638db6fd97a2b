package lem.api.energy;

/** The part of the machine an energy figure covers. */
public enum EnergyDomain {
    /** One GPU board (a MIG instance reports its whole board, flagged as shared). */
    GPU,
    /** One CPU package (socket), cores and uncore included. */
    CPU_PACKAGE,
    /** Memory attached to one CPU package. */
    DRAM,
    /** The whole system (platform counter, wall meter). */
    SYSTEM
}
