package lem.api.model;

/** Numeric format of weights or of compute. */
public enum Precision {
    FLOAT32, FLOAT16, BFLOAT16, FP8, INT8, INT4;

    /** The name used in configs: {@code float32}, {@code bfloat16}, ... */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
