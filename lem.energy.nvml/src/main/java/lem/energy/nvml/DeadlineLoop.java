package lem.energy.nvml;

import java.util.concurrent.locks.LockSupport;

/**
 * A daemon thread that runs {@link #tick(long)} at absolute deadlines (start + k x period), so that
 * the time a tick takes does not add up to drift; a deadline it overran is skipped, not made up
 * with a burst of ticks.
 */
abstract class DeadlineLoop implements Runnable {
    private final long periodNanos;
    private final Thread thread;

    private volatile boolean running = true;
    private long firstDeadlineNanos;
    private long missedDeadlines;

    DeadlineLoop(String threadName, long periodNanos) {
        this.periodNanos = periodNanos;
        this.thread = new Thread(this, threadName);
        thread.setDaemon(true);
    }

    /** One round of work, at {@code nowNanos} ({@link System#nanoTime()}). */
    abstract void tick(long nowNanos);

    /** Starts the thread; its first tick is one period after {@code fromNanos}. */
    final void start(long fromNanos) {
        firstDeadlineNanos = fromNanos + periodNanos;
        thread.start();
    }

    /** Stops the thread and waits for it; what it measured is visible to the caller afterwards. */
    final void halt() {
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
    public final void run() {
        long deadline = firstDeadlineNanos;
        while (running) {
            long now = System.nanoTime();
            if (now < deadline) {
                LockSupport.parkNanos(this, deadline - now);
                continue; // woken early, by halt() or spuriously: check again
            }
            tick(now);
            deadline += periodNanos;
            long after = System.nanoTime();
            if (after >= deadline) {
                long behind = (after - deadline) / periodNanos + 1;
                missedDeadlines += behind;
                deadline += behind * periodNanos;
            }
        }
    }

    final Thread thread() {
        return thread;
    }

    final long periodNanos() {
        return periodNanos;
    }

    /** Deadlines skipped because a tick overran them; read after {@link #halt()}. */
    final long missedDeadlines() {
        return missedDeadlines;
    }
}
