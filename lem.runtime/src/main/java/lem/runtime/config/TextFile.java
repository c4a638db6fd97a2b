package lem.runtime.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads a text file that a config names (the config itself, its parents, a prompt file) only when
 * it is a regular file under a size limit, and only as UTF-8. The checks come before the file is
 * opened, so a FIFO does not block and {@code /dev/zero} is not read.
 */
final class TextFile {

    /** Why a file was not read, in words for a user (no exception class names). */
    static final class UnreadableException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int line;

        UnreadableException(String message, int line) {
            super(message, null, false, false);
            this.line = line;
        }

        /** The 1-based line of the offending byte, or 0 for a problem with the whole file. */
        int line() {
            return line;
        }
    }

    private TextFile() {
    }

    /**
     * The text of {@code file}.
     *
     * @param maxBytes the largest file accepted
     * @param what     what the file is, for messages ("config file", "prompt file")
     */
    static String read(Path file, long maxBytes, String what) throws UnreadableException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException missing) {
            throw new UnreadableException(what + " not found", 0);
        } catch (IOException | SecurityException unreadable) {
            throw new UnreadableException(what + " cannot be read (" + reason(unreadable) + ")", 0);
        }
        if (attributes.isDirectory()) {
            throw new UnreadableException("is a folder, not a " + what, 0);
        }
        if (!attributes.isRegularFile()) {
            throw new UnreadableException("is not a regular file (a device, FIFO or socket);"
                    + " only regular files are read as a " + what, 0);
        }
        if (attributes.size() > maxBytes) {
            throw new UnreadableException(tooLarge(attributes.size(), maxBytes, what), 0);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) maxBytes + 1);
        } catch (IOException | SecurityException unreadable) {
            throw new UnreadableException(what + " cannot be read (" + reason(unreadable) + ")", 0);
        }
        if (bytes.length > maxBytes) {
            throw new UnreadableException(tooLarge(bytes.length, maxBytes, what), 0);
        }
        return decode(bytes, what);
    }

    private static String decode(byte[] bytes, String what) throws UnreadableException {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new UnreadableException("holds a NUL byte on line " + lineAt(bytes, i)
                        + ": a binary file, not a " + what, lineAt(bytes, i));
            }
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int line = lineAt(bytes, in.position());
            throw new UnreadableException("is not UTF-8 text (line " + line + " holds a byte that is not"
                    + " UTF-8): a binary file, or text saved in another encoding; save it as UTF-8", line);
        }
        decoder.flush(out);
        out.flip();
        String text = out.toString();
        // a byte order mark is not part of the text
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    private static int lineAt(byte[] bytes, int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                line++;
            }
        }
        return line;
    }

    private static String tooLarge(long size, long maxBytes, String what) {
        return "is " + mebibytes(size) + ", larger than the " + mebibytes(maxBytes) + " a " + what
                + " may be";
    }

    private static String mebibytes(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    private static String reason(Exception e) {
        if (e instanceof AccessDeniedException || e instanceof SecurityException) {
            return "permission denied";
        }
        return e.getMessage() == null ? "an I/O error" : e.getMessage();
    }
}
