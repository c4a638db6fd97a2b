package lem.runtime.campaign;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host's GPUs, held by one campaign at a time across every process on the host: an OS file
 * lock on one file ({@value #PROPERTY} or {@value #ENVIRONMENT} names it, else
 * {@code <java.io.tmpdir>/lem-host.lock}), which the operating system drops when the holding
 * process dies, kill -9 included. The holder writes who it is into the file, so that a refused
 * process can name the campaign, its process id and since when. Within one process (the host), a
 * second holder is refused the same way.
 */
public final class HostLock implements AutoCloseable {
    public static final String PROPERTY = "lem.host.lock";
    public static final String ENVIRONMENT = "LEM_HOST_LOCK";
    /** Set in every Slurm job: the scheduler hands out the GPUs, and lem does not lock the host. */
    static final String SLURM_JOB = "SLURM_JOB_ID";

    /** Locks this process holds, by file, with their holder's text. */
    private static final Map<Path, String> HELD_HERE = new ConcurrentHashMap<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private HostLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** The host's lock file: {@code configured} (the framework property {@value #PROPERTY}), else {@value #ENVIRONMENT}, else the temp folder's. */
    public static Path file(String configured) {
        String named = configured;
        if (named == null || named.isBlank()) {
            named = System.getenv(ENVIRONMENT);
        }
        if (named == null || named.isBlank()) {
            return Path.of(System.getProperty("java.io.tmpdir"), "lem-host.lock").toAbsolutePath();
        }
        return Path.of(named).toAbsolutePath();
    }

    /** True inside a Slurm job, where the host lock is not taken. */
    public static boolean underSlurm() {
        String job = System.getenv(SLURM_JOB);
        return job != null && !job.isBlank();
    }

    /** What a holder writes: the campaign, this process and the time. */
    public static String describe(String campaignId) {
        return "campaign " + campaignId + " (process " + ProcessHandle.current().pid() + ", since " + Instant.now() + ")";
    }

    /** Takes the lock for {@code holder}, or says who holds it. */
    public static Optional<HostLock> tryAcquire(Path file, String holder) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        if (HELD_HERE.putIfAbsent(key, holder) != null) {
            return Optional.empty();
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(key.getParent());
            channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = tryLock(channel);
            if (lock == null) {
                channel.close();
                HELD_HERE.remove(key);
                return Optional.empty();
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            return Optional.of(new HostLock(key, channel, lock));
        } catch (IOException | RuntimeException e) {
            HELD_HERE.remove(key);
            if (channel != null) {
                channel.close();
            }
            throw e;
        }
    }

    /** The channel's file locked, or null when a process (this one included) holds it. */
    static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    /** Takes the lock, or fails naming the holder and what to do. */
    public static HostLock acquire(Path file, String holder) throws IOException {
        return tryAcquire(file, holder).orElseThrow(() -> new CampaignException("the GPUs of this host are held by "
                + holder(file) + " (host lock " + file + "); wait until it ends, or pause or cancel it in the"
                + " host's shell (lem:campaign pause|cancel <id>)"));
    }

    /** Who holds the lock now, as its holder wrote it; "another process" when it wrote nothing readable. */
    public static String holder(Path file) {
        Path key = file.toAbsolutePath().normalize();
        String here = HELD_HERE.get(key);
        if (here != null) {
            return here;
        }
        try {
            String text = Files.readString(key, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "another process" : text;
        } catch (IOException e) {
            return "another process";
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                channel.truncate(0);
                lock.release();
            }
        } finally {
            channel.close();
            HELD_HERE.remove(file);
        }
    }
}
