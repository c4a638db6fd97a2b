package lem.backend.openai.client;

/** Hears one stream's tokens as they are read off the socket; called in order, from a client thread. */
@FunctionalInterface
public interface StreamObserver {
    StreamObserver NONE = (index, count, readNanos) -> {
    };

    /**
     * @param index     index of the chunk's first token in the output
     * @param count     tokens in the chunk (at least 1)
     * @param readNanos {@link System#nanoTime()} when the chunk's event was read
     */
    void tokens(int index, int count, long readNanos);
}
