package lem.backend.openai.client;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events, fed bytes exactly as they were read off the socket. Lines end in LF, CRLF or
 * CR (a CRLF split across two reads counts once); a blank line ends an event; {@code data:} lines
 * of one event are joined with LF; comments ({@code :keep-alive}) and other fields are skipped.
 * Each event carries the timestamp of the read that completed it, so several events in one read
 * share that read's instant and an event split across reads gets the instant of its last part.
 * Not thread-safe: one parser per stream.
 */
public final class SseParser {

    /** Receives each complete event. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param data          the event's data (its {@code data:} lines joined with LF)
         * @param readNanos     {@link System#nanoTime()} of the read that completed it
         */
        void event(String data, long readNanos);
    }

    private final Listener listener;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private boolean afterCr;
    private long comments;

    public SseParser(Listener listener) {
        this.listener = listener;
    }

    /** Parses the bytes of one read, taken off the socket at {@code readNanos}. */
    public void feed(ByteBuffer bytes, long readNanos) {
        while (bytes.hasRemaining()) {
            byte b = bytes.get();
            if (b == '\n') {
                if (afterCr) {
                    afterCr = false; // the LF of a CRLF whose CR ended the line already
                    continue;
                }
                endLine(readNanos);
            } else if (b == '\r') {
                afterCr = true;
                endLine(readNanos);
            } else {
                afterCr = false;
                line.write(b);
            }
        }
    }

    /** Parses a whole chunk of bytes (tests, the benchmark). */
    public void feed(byte[] bytes, long readNanos) {
        feed(ByteBuffer.wrap(bytes), readNanos);
    }

    /** Comment lines seen so far ({@code : ping} keep-alives included). */
    public long comments() {
        return comments;
    }

    /** True when bytes of an unfinished line or event are waiting for more input. */
    public boolean pending() {
        return line.size() > 0 || hasData;
    }

    private void endLine(long readNanos) {
        if (line.size() == 0) {
            if (hasData) {
                String event = data.toString();
                data.setLength(0);
                hasData = false;
                listener.event(event, readNanos);
            }
            return;
        }
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.charAt(0) == ':') {
            comments++;
            return;
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        if (!field.equals("data")) {
            return; // event, id, retry: nothing lem needs
        }
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if (hasData) {
            data.append('\n');
        }
        data.append(value);
        hasData = true;
    }
}
