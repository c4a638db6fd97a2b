package lem.backend.djl.transformer;

import ai.djl.ndarray.NDArray;

/**
 * Keys and values of every layer for the sequences of one batch, {@code [batch, kvHeads, length,
 * headDim]} each, growing by one position per decode step.
 */
public final class KvCache implements AutoCloseable {

    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(int layers) {
        keys = new NDArray[layers];
        values = new NDArray[layers];
    }

    /** Positions held (the key length of the next pass before its new tokens). */
    public int length() {
        return length;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    /** Replaces a layer's arrays, freeing the old ones. */
    void store(int layer, NDArray newKeys, NDArray newValues) {
        if (keys[layer] != null && keys[layer] != newKeys) {
            keys[layer].close();
        }
        if (values[layer] != null && values[layer] != newValues) {
            values[layer].close();
        }
        keys[layer] = newKeys;
        values[layer] = newValues;
    }

    void setLength(int length) {
        this.length = length;
    }

    @Override
    public void close() {
        for (int i = 0; i < keys.length; i++) {
            store(i, null, null);
        }
        length = 0;
    }
}
