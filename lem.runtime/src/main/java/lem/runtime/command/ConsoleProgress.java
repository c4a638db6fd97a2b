package lem.runtime.command;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import lem.runtime.run.RunProgress;

/**
 * A run's progress on the console: phase, requests done of the total, elapsed time, ETA and live
 * power. On a terminal it is one line rewritten in place (carriage return); otherwise (a pipe, a
 * log file, CI) plain lines at a low rate: every phase, but a phase repeating itself (warmup
 * requests) and the measuring figures at most once per {@link #PLAIN_INTERVAL_NANOS}.
 */
final class ConsoleProgress implements RunProgress {
    static final long PLAIN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int MAX_LINE = TableFormat.WIDTH - 1;

    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier clock;
    private final long startNanos;
    private String phase = "";
    private String figures = "";
    private int shownLength;
    private long lastPlainNanos = Long.MIN_VALUE;

    ConsoleProgress(PrintStream out, boolean terminal, LongSupplier clock) {
        this.out = out;
        this.terminal = terminal;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
    }

    /** For the process's console: the updating line when standard output is a terminal. */
    static ConsoleProgress forConsole(PrintStream out) {
        return new ConsoleProgress(out, System.console() != null && !"plain".equals(System.getenv("LEM_PROGRESS")),
                System::nanoTime);
    }

    @Override
    public synchronized void phase(String description) {
        String previous = phase;
        phase = description;
        figures = "";
        if (terminal) {
            show(line());
            return;
        }
        long now = clock.getAsLong();
        boolean repeat = firstWord(previous).equals(firstWord(description)) && !firstWord(description).equals("cycle");
        if (!repeat || now - lastPlainNanos >= PLAIN_INTERVAL_NANOS) {
            plain(now, "  [" + description + "]  elapsed " + seconds(now - startNanos));
        }
    }

    @Override
    public synchronized void measuring(int cycle, int cycles, int done, int total, long elapsedNanos, double powerWatts,
            boolean estimated) {
        StringBuilder text = new StringBuilder();
        text.append("requests ").append(done).append('/').append(total);
        text.append("  ETA ").append(eta(cycle, cycles, done, total, elapsedNanos));
        text.append("  ").append(Double.isNaN(powerWatts) ? "power n/a"
                : Numbers.format(powerWatts) + " W" + (estimated ? " (estimate)" : ""));
        figures = text.toString();
        long now = clock.getAsLong();
        if (terminal) {
            show(line());
        } else if (now - lastPlainNanos >= PLAIN_INTERVAL_NANOS) {
            plain(now, "  cycle " + cycle + "/" + cycles + "  " + figures + "  elapsed " + seconds(now - startNanos));
        }
    }

    /** Ends the updating line, so that what is printed next starts on a line of its own. */
    synchronized void finish() {
        if (terminal && shownLength > 0) {
            out.print('\n');
            out.flush();
            shownLength = 0;
        }
    }

    /**
     * Time left for the run's measuring: the requests left in this cycle and in the cycles after
     * it, at this cycle's rate so far; "n/a" before the first request finishes.
     */
    static String eta(int cycle, int cycles, int done, int total, long elapsedNanos) {
        if (done <= 0 || elapsedNanos <= 0) {
            return Numbers.UNKNOWN;
        }
        double nanosPerRequest = (double) elapsedNanos / done;
        long left = (long) (total - done) + (long) (cycles - cycle) * total;
        return seconds((long) (left * nanosPerRequest));
    }

    private String line() {
        String text = "  [" + phase + "]" + (figures.isEmpty() ? "" : "  " + figures) + "  elapsed "
                + seconds(clock.getAsLong() - startNanos);
        return text.length() > MAX_LINE ? text.substring(0, MAX_LINE) : text;
    }

    private void show(String text) {
        // overwrite what was there: the carriage return, the text, blanks over a longer old line
        int blank = Math.max(0, shownLength - text.length());
        out.print("\r" + text + " ".repeat(blank));
        out.flush();
        shownLength = text.length();
    }

    private void plain(long now, String text) {
        out.println(text);
        lastPlainNanos = now;
    }

    private static String firstWord(String text) {
        int space = text.indexOf(' ');
        return space < 0 ? text : text.substring(0, space);
    }

    static String seconds(long nanos) {
        long s = Math.round(nanos / 1e9);
        if (s < 60) {
            return String.format(Locale.ROOT, "%d s", s);
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }
}
