package lem.report.browser;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code chromium-headless-shell}, found on the PATH, run as a child process on local
 * files only: a screenshot (PNG) of a page or figure, or the DOM after its scripts ran. Each run
 * gets a fresh profile folder, no sandbox (it refuses to start as root with one), and no
 * background networking or component updates, so it reaches nothing outside the machine.
 */
public final class HeadlessBrowser {
    public static final String EXECUTABLE = "chromium-headless-shell";
    static final long TIMEOUT_SECONDS = 60;
    static final int SETTLE_MILLIS = 3000;

    /** What a run printed. */
    public record Output(int exitCode, String stdout, String stderr) {
        /** The console messages the page logged (Chromium prints them on stderr as {@code CONSOLE} lines). */
        public List<String> consoleLines() {
            return stderr.lines().filter(l -> l.contains("CONSOLE")).toList();
        }
    }

    private final Path executable;

    private HeadlessBrowser(Path executable) {
        this.executable = executable;
    }

    /** The browser on the PATH, or empty when there is none. */
    public static Optional<HeadlessBrowser> find() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, EXECUTABLE);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(new HeadlessBrowser(candidate));
            }
        }
        return Optional.empty();
    }

    /** Why there is no PNG, in words a user can act on. */
    public static String missingNote() {
        return EXECUTABLE + " is not on the PATH, so no PNG was written (install it: `apt-get install chromium-headless-shell`,"
                + " or run the repository's .ci/deps)";
    }

    /**
     * A PNG of the page or SVG at {@code url}, {@code widthPx} by {@code heightPx}, taken once its
     * scripts had {@value #SETTLE_MILLIS} ms of virtual time (a page that fetches data has drawn it).
     */
    public Output screenshot(String url, Path png, int widthPx, int heightPx) throws IOException {
        return run(List.of("--screenshot=" + png.toAbsolutePath(), "--window-size=" + widthPx + "," + heightPx,
                "--hide-scrollbars", "--virtual-time-budget=" + SETTLE_MILLIS, url));
    }

    /** The DOM of the page at {@code url} after its scripts ran, waiting up to {@code budgetMillis} of virtual time. */
    public Output dumpDom(String url, int budgetMillis) throws IOException {
        return run(List.of("--dump-dom", "--virtual-time-budget=" + budgetMillis, url));
    }

    private Output run(List<String> arguments) throws IOException {
        Path profile = Files.createTempDirectory("lem-chromium-");
        try {
            List<String> command = new ArrayList<>(List.of(executable.toString(), "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update", "--no-first-run",
                    "--user-data-dir=" + profile));
            command.addAll(arguments);
            Path out = profile.resolve("stdout.txt");
            Path err = profile.resolve("stderr.txt");
            Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IOException(EXECUTABLE + " did not finish within " + TIMEOUT_SECONDS + " s: " + command);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException(EXECUTABLE + " was interrupted", e);
            }
            return new Output(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a profile left in the temp folder costs nothing but space
        }
    }
}
