package lem.itest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import lem.api.backend.InferenceBackend;
import lem.api.energy.EnergySource;

/**
 * What the end-to-end tests share: a fresh folder per test under {@code lem.itest.workdir}, the
 * test backend and meter registered as services the way a plugin bundle's components are, and
 * the config file a user would write for them.
 */
final class ExperimentRuns implements AutoCloseable {
    static final String BACKEND = "itest-paced";
    static final String METER = "itest-meter";
    /** Time between two tokens of the paced backend: TTFT and ITL cannot be shorter. */
    static final long TOKEN_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(4);
    static final int REQUESTS_PER_CYCLE = 4;
    static final int TOKENS_PER_REQUEST = 6;

    private static final ObjectMapper JSON = new ObjectMapper();

    final Path work;
    final Path resultsRoot;
    final PacedBackend backend;
    final SimulatedPowerMeter meter;
    final ServiceRegistration<InferenceBackend> backendRegistration;
    final ServiceRegistration<EnergySource> meterRegistration;

    ExperimentRuns(BundleContext context, String testName, PacedBackend backend) throws IOException {
        Path root = Path.of(context.getProperty("lem.itest.workdir")).toAbsolutePath();
        Files.createDirectories(root);
        this.work = Files.createTempDirectory(root, testName + "-");
        this.resultsRoot = work.resolve("results");
        this.backend = backend;
        this.meter = new SimulatedPowerMeter(METER, backend::busy);
        Hashtable<String, Object> backendProperties = new Hashtable<>();
        backendProperties.put(InferenceBackend.NAME, BACKEND);
        this.backendRegistration = context.registerService(InferenceBackend.class, backend, backendProperties);
        Hashtable<String, Object> meterProperties = new Hashtable<>();
        meterProperties.put(EnergySource.NAME, METER);
        this.meterRegistration = context.registerService(EnergySource.class, meter, meterProperties);
    }

    static PacedBackend pacedBackend() {
        return new PacedBackend(BACKEND, TOKEN_GAP_NANOS);
    }

    /** A complete, valid config for the test backend and meter, with results under {@link #resultsRoot}. */
    String config(int cycles) {
        return """
                name: itest-e2e
                model:
                  source: synthetic
                  name: paced-tiny
                backend:
                  name: %s
                batching:
                  strategy: static
                  batch_size: 1
                decoder:
                  min_new_tokens: %d
                  max_new_tokens: %d
                prompts:
                  source: synthetic
                  count: %d
                  synthetic:
                    input_tokens: 8
                warmup:
                  min_requests: 2
                  max_requests: 4
                  window: 2
                  cv_threshold: 0.5
                baseline:
                  duration_s: 0.2
                  interval_ms: 20
                timeseries:
                  interval_ms: 20
                cycles: %d
                energy:
                  sources: [%s]
                output:
                  dir: %s
                """.formatted(BACKEND, TOKENS_PER_REQUEST, TOKENS_PER_REQUEST, REQUESTS_PER_CYCLE, cycles, METER,
                resultsRoot);
    }

    Path write(String fileName, String text) throws IOException {
        return Files.writeString(work.resolve(fileName), text);
    }

    /** Runs the {@link #config} with this many cycles through the shell and returns its experiment folder. */
    Path runThrough(Shell shell, int cycles) throws Exception {
        Shell.Outcome run = shell.execute("lem:run " + write("exp.yaml", config(cycles)));
        if (run.failed()) {
            throw new AssertionError(run.transcript());
        }
        return onlyExperiment();
    }

    /** The one experiment folder under the results root. */
    Path onlyExperiment() throws IOException {
        try (var children = Files.list(resultsRoot)) {
            List<Path> dirs = children.filter(Files::isDirectory).toList();
            if (dirs.size() != 1) {
                throw new AssertionError("expected one experiment under " + resultsRoot + ", found " + dirs);
            }
            return dirs.get(0);
        }
    }

    static JsonNode json(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lines of a printed table whose first column starts with one of the labels. */
    static List<String> rows(String printed, List<String> labels) {
        List<String> found = new ArrayList<>();
        for (String line : printed.split("\\R")) {
            for (String label : labels) {
                if (line.startsWith(label + "  ")) {
                    found.add(line);
                }
            }
        }
        return found;
    }

    @Override
    public void close() {
        for (ServiceRegistration<?> registration : List.of(backendRegistration, meterRegistration)) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // a test unregistered it on purpose
            }
        }
    }
}
