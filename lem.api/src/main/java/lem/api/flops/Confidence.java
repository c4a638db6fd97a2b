package lem.api.flops;

/** How far a FLOPs figure can be trusted. */
public enum Confidence {
    /** Counted from what actually executed. */
    HIGH,
    /** Derived from the architecture. */
    MEDIUM,
    /** A rule of thumb (2 x parameters x tokens). */
    LOW
}
