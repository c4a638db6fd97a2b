package lem.energy.nvml;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * What a session's sampler costs: CPU time of its threads per second of sampling (ThreadMXBean)
 * and the actual intervals between samples. For the benchmark and the device run, not the runtime.
 */
final class SamplerCost {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final NvmlEnergySession session;
    private long fromNanos;
    private long samplerCpuFrom;
    private long counterCpuFrom;
    private double samplerCpuMillisPerSecond;
    private double counterCpuMillisPerSecond;

    SamplerCost(NvmlEnergySession session) {
        this.session = session;
    }

    /** Marks the start of the measured stretch (right after the session began). */
    void begin() {
        fromNanos = System.nanoTime();
        samplerCpuFrom = cpuNanos(session.sampler().thread());
        counterCpuFrom = cpuNanos(session.counterThread());
    }

    /** Marks its end; call before {@link NvmlEnergySession#stop()}, while the threads live. */
    void end() {
        double seconds = (System.nanoTime() - fromNanos) / 1e9;
        samplerCpuMillisPerSecond = (cpuNanos(session.sampler().thread()) - samplerCpuFrom) / 1e6 / seconds;
        counterCpuMillisPerSecond = (cpuNanos(session.counterThread()) - counterCpuFrom) / 1e6 / seconds;
    }

    @SuppressWarnings("deprecation") // Thread.getId(): threadId() is Java 19+, this bundle targets 17
    private long cpuNanos(Thread thread) {
        long nanos = threads.getThreadCpuTime(thread.getId());
        return Math.max(nanos, 0);
    }

    double samplerCpuMillisPerSecond() {
        return samplerCpuMillisPerSecond;
    }

    double counterCpuMillisPerSecond() {
        return counterCpuMillisPerSecond;
    }

    /** Summary of the actual intervals (after stop): count, median, p99, max in ms. */
    String intervals() {
        long[] sorted = session.sampler().intervalsNanos();
        Arrays.sort(sorted);
        if (sorted.length == 0) {
            return "no intervals";
        }
        return String.format("%d intervals, median %.3f ms, p99 %.3f ms, max %.3f ms, missed deadlines %d",
                sorted.length, percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6,
                sorted[sorted.length - 1] / 1e6, session.sampler().missedDeadlines());
    }

    /** Nearest-rank percentile of sorted values. */
    static long percentile(long[] sorted, double fraction) {
        int rank = (int) Math.ceil(fraction * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
