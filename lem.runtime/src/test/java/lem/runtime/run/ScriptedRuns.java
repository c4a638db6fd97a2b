package lem.runtime.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import lem.api.backend.InferenceBackend;
import lem.api.energy.EnergySource;
import lem.runtime.config.LoadedConfig;
import lem.runtime.plugin.PluginService;

/**
 * Real experiment runs, as {@code lem run} makes them, on the scripted backend (tokens 1 ms
 * apart) and a metered energy source (100 W): for tests above the {@code run} package, such as
 * campaigns. Configs name backend {@value #BACKEND}.
 */
public final class ScriptedRuns {
    public static final String BACKEND = ScriptedBackend.NAME;

    private final Path workingDirectory;
    private final BaselineMeter baselines = new BaselineMeter();
    private final AtomicInteger started = new AtomicInteger();
    private volatile int blockOnRun;
    /** Counted down when the run chosen by {@link #blockOnRun} is blocked in its backend. */
    public final CountDownLatch blocked = new CountDownLatch(1);

    public ScriptedRuns(Path workingDirectory) {
        this.workingDirectory = workingDirectory;
    }

    /** The n-th run (1-based) from now on blocks in its first measurement until cancelled. */
    public ScriptedRuns blockOnRun(int n) {
        blockOnRun = started.get() + n;
        return this;
    }

    /** Runs started so far. */
    public int started() {
        return started.get();
    }

    /** One experiment through {@link ExperimentRunner}; {@code onStart} gets the runner first (for its cancel). */
    public RunOutcome run(LoadedConfig loaded, Consumer<ExperimentRunner> onStart) throws IOException {
        ScriptedBackend backend = new ScriptedBackend();
        backend.ttftNanos = 1_000_000L;
        backend.itlNanos = 1_000_000L;
        int n = started.incrementAndGet();
        if (n == blockOnRun) {
            backend.blockOnCall = 1;
            Thread watcher = new Thread(() -> {
                try {
                    backend.blocking.await();
                    blocked.countDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "scripted-runs-block-watch");
            watcher.setDaemon(true);
            watcher.start();
        }
        EnergySource meter = new MeteredEnergySource("meter", new double[] { 100 });
        RunServices services = new RunServices(plugin(BACKEND, (InferenceBackend) backend),
                List.of(plugin("meter", meter)), List.of(), Map.of("lem.runtime", "0.1.0"));
        ExperimentRunner runner = new ExperimentRunner(loaded, services, baselines, RunProgress.SILENT,
                new EnvironmentCapture(fakeRoot(workingDirectory.resolve("fake-root"))), workingDirectory);
        onStart.accept(runner);
        return runner.run();
    }

    /** An energy source on one device, GPU-test-0, drawing {@code watts}, sampled at the session's interval. */
    public static EnergySource meter(double watts) {
        return new MeteredEnergySource("meter", new double[] { watts });
    }

    static <S> PluginService<S> plugin(String name, S service) {
        return new PluginService<>(name, "test.bundle", "1.2.3", "ACTIVE", 0, service);
    }

    /** A file system root with the /proc files environment capture reads: a CPU and its memory. */
    static Path fakeRoot(Path root) throws IOException {
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cpuinfo"), "model name\t: Test CPU 9000\nflags\t\t: fpu sse2\n");
        Files.writeString(root.resolve("proc/meminfo"), "MemTotal:       2048 kB\n");
        return root;
    }
}
