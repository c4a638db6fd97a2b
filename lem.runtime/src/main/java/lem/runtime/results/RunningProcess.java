package lem.runtime.results;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * The process that runs an experiment, as {@code status.json} records it, and whether it is still
 * alive: a run killed with {@code kill -9}, by the kernel's OOM killer or a power cut cannot write
 * its end, so a reader compares the recorded PID, host and process start time with what runs now.
 *
 * @param pid                the process id
 * @param host               the host name
 * @param startedEpochMillis when the process started, or null when the OS does not say
 */
public record RunningProcess(long pid, String host, Long startedEpochMillis) {
    /** Start times of one process read twice differ by rounding to clock ticks, never by this much. */
    static final long START_TOLERANCE_MILLIS = 1_000;

    public static RunningProcess current() {
        ProcessHandle self = ProcessHandle.current();
        return new RunningProcess(self.pid(), hostName(), startMillis(self).orElse(null));
    }

    /**
     * Whether the run that wrote a running status is known to be gone: recorded on this host, and its PID
     * is not alive or now belongs to a process that started at another time. False when it cannot be
     * told (another host, or a status written before lem recorded its process).
     */
    public static boolean isGone(ExperimentStatus status) {
        if (status == null || status.state() != RunState.RUNNING || status.pid() == null || status.host() == null
                || !status.host().equals(hostName())) {
            return false;
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(status.pid());
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return true;
        }
        Long recorded = status.processStartedEpochMillis();
        Optional<Long> now = startMillis(handle.get());
        return recorded != null && now.isPresent() && Math.abs(now.get() - recorded) > START_TOLERANCE_MILLIS;
    }

    /** What a reader should believe: {@link RunState#DEAD} for a running status whose process is gone. */
    public static RunState effectiveState(ExperimentStatus status) {
        if (status == null) {
            return null;
        }
        return isGone(status) ? RunState.DEAD : status.state();
    }

    /** Why a run is shown dead, for listings and warnings. */
    public static String deathReason(ExperimentStatus status) {
        return "its process (PID " + status.pid() + " on " + status.host() + ") ended without recording why: killed "
                + "(kill -9, the OOM killer) or the host went down; finished cycles are kept";
    }

    private static Optional<Long> startMillis(ProcessHandle handle) {
        return handle.info().startInstant().map(Instant::toEpochMilli);
    }

    /** The kernel's host name, as environment.json records it; the environment's otherwise. */
    static String hostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
