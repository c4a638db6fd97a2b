package lem.api.backend;

/** Ways a backend can spread one model over several devices. */
public enum Parallelism {
    NONE, TENSOR, PIPELINE, DATA, EXPERT
}
