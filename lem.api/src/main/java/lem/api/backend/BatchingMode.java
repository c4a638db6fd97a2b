package lem.api.backend;

/** How requests are grouped into batches. */
public enum BatchingMode {
    /** Fixed-size batches in arrival order. */
    STATIC,
    /** Batches formed as requests arrive, up to a size or a wait time. */
    DYNAMIC,
    /** Fixed-size batches of requests sorted by prompt length (less padding). */
    SORTED_STATIC,
    /** Dynamic batches of length-sorted requests. */
    SORTED_DYNAMIC,
    /** The engine schedules requests itself (continuous batching in a server). */
    CONTINUOUS
}
