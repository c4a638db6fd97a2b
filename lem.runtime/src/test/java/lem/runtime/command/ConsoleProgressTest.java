package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** What `lem run` shows while it goes, on a terminal and in a log. */
class ConsoleProgressTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong now = new AtomicLong(1_000 * S);

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** A run of 2 cycles of 10 requests: a baseline, 30 warmup requests, then a second a request. */
    private void run(ConsoleProgress progress) {
        progress.phase("environment");
        progress.phase("baseline nvml (5.0 s idle)");
        for (int i = 1; i <= 30; i++) {
            now.addAndGet(S / 10);
            progress.phase("warmup " + i + " request(s), latency CV of last 5: 0.100");
        }
        for (int cycle = 1; cycle <= 2; cycle++) {
            progress.phase("cycle " + cycle + "/2");
            long start = now.get();
            for (int second = 1; second <= 10; second++) {
                now.addAndGet(S);
                progress.measuring(cycle, 2, second, 10, now.get() - start, 85.25, false);
            }
        }
        progress.phase("aggregating");
        progress.finish();
    }

    @Test
    void onATerminalItIsOneLineRewrittenInPlace() {
        run(new ConsoleProgress(out, true, now::get));

        String text = printed();
        assertEquals(1, text.chars().filter(c -> c == '\n').count(), "one line, ended once at the finish: " + text);
        assertTrue(text.endsWith("\n"));
        String[] updates = text.strip().split("\r");
        // the update after 4 of 10 requests of cycle 1, at 1 s each: 6 + 10 requests left, 16 s
        String fourth = List.of(updates).stream().filter(u -> u.contains("[cycle 1/2]  requests 4/10")).findFirst().orElseThrow();
        assertTrue(fourth.contains("ETA 16 s"), fourth);
        assertTrue(fourth.contains("85.25 W"), fourth);
        assertTrue(fourth.matches(".*elapsed \\d+ s.*"), fourth);
        assertTrue(List.of(updates).stream().allMatch(u -> u.length() < TableFormat.WIDTH), text);
    }

    @Test
    void aShorterUpdateBlanksWhatTheLongerOneLeft() {
        ConsoleProgress progress = new ConsoleProgress(out, true, now::get);
        progress.phase("warmup 1 request(s), latency CV of last 5: n/a");
        progress.phase("cycle 1/1");
        String last = printed().substring(printed().lastIndexOf('\r') + 1);
        assertTrue(last.startsWith("  [cycle 1/1]  elapsed 0 s"), last);
        assertEquals(printed().substring(1, printed().lastIndexOf('\r')).length(), last.length(),
                "padded to the old line's length");
    }

    @Test
    void inALogItPrintsEveryNewPhaseButRepeatsAtMostEveryTenSeconds() {
        run(new ConsoleProgress(out, false, now::get));

        String text = printed();
        assertFalse(text.contains("\r"), text);
        List<String> lines = text.lines().toList();
        assertTrue(lines.size() <= 12, "30 warmup requests and 20 s of measuring in a dozen lines: " + text);
        assertEquals(1, lines.stream().filter(l -> l.contains("[warmup")).count(), text);
        assertEquals(1, lines.stream().filter(l -> l.contains("[cycle 1/2]")).count(), text);
        assertEquals(1, lines.stream().filter(l -> l.contains("[cycle 2/2]")).count(), text);
        assertTrue(lines.stream().anyMatch(l -> l.contains("cycle 1/2  requests 10/10  ETA 10 s")), text);
        assertTrue(lines.get(lines.size() - 1).contains("[aggregating]"), text);
    }

    @Test
    void etaCountsTheCyclesStillToComeAndIsUnknownBeforeTheFirstRequest() {
        assertEquals("n/a", ConsoleProgress.eta(1, 3, 0, 16, 5 * S));
        // 4 of 16 in 2 s: 12 left here, 16 in cycle 3, at 0.5 s each
        assertEquals("14 s", ConsoleProgress.eta(2, 3, 4, 16, 2 * S));
        assertEquals("2 min 05 s", ConsoleProgress.seconds(125 * S));
        assertEquals("1 h 01 min", ConsoleProgress.seconds(3_660 * S));
    }
}
