package lem.runtime.campaign;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A campaign's stop button: Ctrl-C or a cancel command presses it, and the experiment running then
 * (through the hook it registered) and the pause between runs both stop.
 */
public final class Cancellation {
    private String reason;
    private Consumer<String> running;

    /** Stops the campaign; the first reason is kept. */
    public void cancel(String why) {
        Consumer<String> hook;
        synchronized (this) {
            if (reason == null) {
                reason = why;
            }
            notifyAll();
            hook = running;
        }
        if (hook != null) {
            hook.accept(why);
        }
    }

    /** While an experiment runs, a cancel calls {@code hook} (e.g. the experiment runner's cancel); null clears it. */
    public void whileRunning(Consumer<String> hook) {
        String already;
        synchronized (this) {
            running = hook;
            already = reason;
        }
        if (hook != null && already != null) {
            hook.accept(already);
        }
    }

    public synchronized boolean cancelled() {
        return reason != null;
    }

    public synchronized String reason() {
        return reason;
    }

    /** Waits {@code seconds}, or less when cancelled; true when the whole pause passed. */
    synchronized boolean pause(double seconds) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (seconds * TimeUnit.SECONDS.toNanos(1));
        while (reason == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return false;
    }
}
