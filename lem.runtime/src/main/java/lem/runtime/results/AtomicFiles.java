package lem.runtime.results;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a file so that readers see either the old content or the whole new content, never a part:
 * the bytes go to a temporary file in the same directory, are forced to disk, and the temporary file
 * is renamed over the target in one atomic step. An interrupted run therefore keeps every file it
 * finished and leaves no half file.
 */
public final class AtomicFiles {
    /** Temporary files start with this, so a reader can skip those a crash left behind. */
    static final String TEMP_PREFIX = ".tmp-";

    private AtomicFiles() {
    }

    public static void write(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // Not Files.createTempFile: that makes the file owner-only (0600); results keep the umask's permissions.
        // CREATE_NEW fails rather than share a name with another writer.
        Path temp = dir.resolve(TEMP_PREFIX + target.getFileName() + "." + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36)
                + ".part");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot rename atomically; results need one that can", e);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        forceDirectory(dir);
    }

    /**
     * {@link #write}, and where that fails (a full disk has no room for the temporary copy) the
     * existing file's own blocks take the new content: overwritten in place, then cut to length. Not
     * atomic, so only for small files whose last state matters more than a torn write (status.json,
     * experiments.csv); when the overwrite fails too, the old content is put back and the first
     * failure thrown.
     */
    public static void writeEvenWhenFull(Path target, byte[] content) throws IOException {
        try {
            write(target, content);
        } catch (IOException full) {
            if (!Files.isRegularFile(target)) {
                throw full;
            }
            byte[] old = Files.readAllBytes(target);
            try {
                overwrite(target, content);
            } catch (IOException again) {
                full.addSuppressed(again);
                try {
                    overwrite(target, old);
                } catch (IOException restore) {
                    full.addSuppressed(restore);
                }
                throw full;
            }
        }
    }

    private static void overwrite(Path target, byte[] content) throws IOException {
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            long position = 0;
            while (buffer.hasRemaining()) {
                position += channel.write(buffer, position);
            }
            channel.truncate(content.length);
            channel.force(true);
        }
    }

    /** Makes the rename itself durable; directories cannot be opened for sync on every platform. */
    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a directory as a channel; the rename is still atomic there.
        }
    }
}
