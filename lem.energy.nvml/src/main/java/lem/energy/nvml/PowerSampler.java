package lem.energy.nvml;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.locks.LockSupport;

import lem.api.energy.PowerSample;

/**
 * The background thread that samples every device at a fixed interval. It sleeps to absolute
 * deadlines (start + k x interval), so that the time a sample takes does not add up to drift;
 * a deadline it overran is skipped, not made up with a burst.
 */
final class PowerSampler implements Runnable {
    /** Recent loop intervals kept for jitter figures: 16384 covers 160 s at 10 ms. */
    private static final int INTERVAL_HISTORY = 16384;

    private final List<SampledDevice> devices;
    private final Queue<PowerSample> samples;
    private final long intervalNanos;
    private final long[] intervalsNanos = new long[INTERVAL_HISTORY];
    private final Thread thread;

    private volatile boolean running = true;
    private long firstDeadlineNanos;
    private long loops;
    private long missedDeadlines;

    PowerSampler(List<SampledDevice> devices, Queue<PowerSample> samples, long intervalNanos) {
        this.devices = devices;
        this.samples = samples;
        this.intervalNanos = intervalNanos;
        this.thread = new Thread(this, "lem-nvml-sampler");
        thread.setDaemon(true);
    }

    /** Samples every device once on the calling thread (the window's edges). */
    void sampleNow() {
        for (SampledDevice device : devices) {
            device.sample(samples);
        }
    }

    void start(long fromNanos) {
        firstDeadlineNanos = fromNanos + intervalNanos;
        thread.start();
    }

    /** Stops the thread and waits for it; what it measured is visible to the caller afterwards. */
    void halt() {
        running = false;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        long deadline = firstDeadlineNanos;
        long previousNanos = Long.MIN_VALUE;
        while (running) {
            long now = System.nanoTime();
            if (now < deadline) {
                LockSupport.parkNanos(this, deadline - now);
                continue; // woken early, by halt() or spuriously: check again
            }
            if (previousNanos != Long.MIN_VALUE) {
                intervalsNanos[(int) (loops % INTERVAL_HISTORY)] = now - previousNanos;
                loops++;
            }
            previousNanos = now;
            sampleNow();
            deadline += intervalNanos;
            long after = System.nanoTime();
            if (after >= deadline) {
                long behind = (after - deadline) / intervalNanos + 1;
                missedDeadlines += behind;
                deadline += behind * intervalNanos;
            }
        }
    }

    Thread thread() {
        return thread;
    }

    long intervalNanos() {
        return intervalNanos;
    }

    /** Deadlines skipped because sampling overran them; read after {@link #halt()}. */
    long missedDeadlines() {
        return missedDeadlines;
    }

    /** Actual times between consecutive loop starts (the last 16384), oldest first; after {@link #halt()}. */
    long[] intervalsNanos() {
        int n = (int) Math.min(loops, INTERVAL_HISTORY);
        long[] result = new long[n];
        long first = loops - n;
        for (int i = 0; i < n; i++) {
            result[i] = intervalsNanos[(int) ((first + i) % INTERVAL_HISTORY)];
        }
        return result;
    }
}
