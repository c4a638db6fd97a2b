package lem.backend.djl.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for the sequences of one batch: per layer one preallocated
 * {@code [batch, kvHeads, capacity, headDim]} array for keys and one for values, allocated at the
 * first pass, into which each pass writes its new positions in place. A pass reads the first
 * {@link #length()} positions as a view, so a decode step copies only its one new position per
 * layer (no concatenation of the whole cache). Past the capacity the arrays are reallocated with
 * twice the room and the held positions copied once.
 */
public final class KvCache implements AutoCloseable {

    private final NDArray[] keys;
    private final NDArray[] values;
    private final int initialCapacity;
    private int capacity;
    private int length;
    /** What another forward keeps for this batch instead of the arrays (see {@link #attach}); null if none. */
    private AutoCloseable attached;

    /** A cache that starts with room for 64 positions and grows as needed. */
    public KvCache(int layers) {
        this(layers, 64);
    }

    /**
     * @param capacity positions to allocate at the first pass: the longest prompt plus the new tokens
     *                 of the batch, so that it never grows
     */
    public KvCache(int layers, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity + " < 1");
        }
        keys = new NDArray[layers];
        values = new NDArray[layers];
        initialCapacity = capacity;
    }

    /** Positions held (the key length of the next pass before its new tokens). */
    public int length() {
        return length;
    }

    /** Positions the arrays have room for before they are reallocated. */
    public int capacity() {
        return capacity;
    }

    /**
     * Makes room for {@code total} positions of {@code batch} rows: allocates the arrays at the first
     * pass, or reallocates them (copying the held positions) when {@code total} exceeds the capacity.
     */
    void reserve(NDManager manager, int batch, int kvHeads, int headDim, DataType dtype, int total) {
        if (keys[0] != null && keys[0].getShape().get(0) != batch) {
            throw new IllegalStateException("the cache holds " + keys[0].getShape().get(0) + " rows, the pass has "
                    + batch);
        }
        if (keys[0] != null && total <= capacity) {
            return;
        }
        int newCapacity = Math.max(total, keys[0] == null ? initialCapacity : 2 * capacity);
        Shape shape = new Shape(batch, kvHeads, newCapacity, headDim);
        for (int layer = 0; layer < keys.length; layer++) {
            keys[layer] = grown(manager, keys[layer], shape, dtype);
            values[layer] = grown(manager, values[layer], shape, dtype);
        }
        capacity = newCapacity;
    }

    private NDArray grown(NDManager manager, NDArray old, Shape shape, DataType dtype) {
        NDArray fresh = manager.zeros(shape, dtype);
        if (old != null) {
            if (length > 0) {
                try (NDArray view = old.get(held())) {
                    fresh.set(held(), view);
                }
            }
            old.close();
        }
        return fresh;
    }

    private NDIndex held() {
        return new NDIndex(":, :, :{}", length);
    }

    /** Writes {@code [batch, kvHeads, T, headDim]} keys and values at positions {@code [length, length + T)}. */
    void write(int layer, NDArray newKeys, NDArray newValues) {
        long steps = newKeys.getShape().get(2);
        NDIndex at = new NDIndex(":, :, {}:{}", length, length + steps);
        keys[layer].set(at, newKeys);
        values[layer].set(at, newValues);
    }

    /** The keys array of a layer, {@code [batch, kvHeads, capacity, headDim]}; null before the first pass. */
    NDArray keys(int layer) {
        return keys[layer];
    }

    /** The values array of a layer, as {@link #keys}. */
    NDArray values(int layer) {
        return values[layer];
    }

    /** Views of the first {@code total} positions: {@code [keys, values]}, each {@code [batch, kvHeads, total, headDim]}. */
    NDArray[] read(int layer, int total) {
        NDIndex upTo = new NDIndex(":, :, :{}", total);
        return new NDArray[] {keys[layer].get(upTo), values[layer].get(upTo)};
    }

    void setLength(int length) {
        this.length = length;
    }

    /** Positions to allocate at the first pass. */
    int initialCapacity() {
        return initialCapacity;
    }

    /** Records the room of the attached state (a scripted decoder's cache tensors), which it allocates itself. */
    void setCapacity(int capacity) {
        this.capacity = capacity;
    }

    /**
     * Ties state that a forward keeps for this batch outside the arrays (a TorchScript module's
     * present keys and values, or the sequence so far) to this cache: it is closed when the cache
     * is closed (when the batch ends), or when another state replaces it.
     */
    public void attach(AutoCloseable state) {
        AutoCloseable previous = attached;
        attached = state;
        if (previous != null && previous != state) {
            closeState(previous);
        }
    }

    /** The state last {@link #attach attached}; null before that and after {@link #close}. */
    public AutoCloseable attached() {
        return attached;
    }

    private static void closeState(AutoCloseable state) {
        try {
            state.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the state a forward kept for its batch failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (attached != null) {
            AutoCloseable state = attached;
            attached = null;
            closeState(state);
        }
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].close();
                values[i].close();
                keys[i] = null;
                values[i] = null;
            }
        }
        length = 0;
        capacity = 0;
    }
}
