package lem.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.osgi.framework.BundleContext;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code lem:run} with {@code backend.name: vllm} attached by URL to the loopback
 * OpenAI-compatible test server (lem.backend.openai's, run as a child JVM): a real HTTP/SSE run
 * through the installed vllm and openai bundles.
 */
class ServerBackendRunTest extends ShellRunTest {
    private static final int REQUESTS = 6;
    private static final int TOKENS = 8;

    private Process server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
        }
    }

    /** Starts the test server on a free port and waits until it says it listens. */
    private String startServer(Path log) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = Path.of(context.getProperty("lem.itest.openai.server")).resolve("*").toString();
        server = new ProcessBuilder(java, "-cp", classPath, "lem.backend.openai.client.FakeOpenAiServer", "serve",
                "served-model", "--port", Integer.toString(port)).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Boolean> started = CompletableFuture.supplyAsync(() -> {
            try {
                StringBuilder seen = new StringBuilder();
                for (String line; (line = out.readLine()) != null;) {
                    seen.append(line).append('\n');
                    Files.writeString(log, seen);
                    if (line.contains("Started server process")) {
                        return true;
                    }
                }
                return false;
            } catch (IOException e) {
                return false;
            }
        });
        assertTrue(started.get(120, TimeUnit.SECONDS), "the test server did not start; its output is in " + log);
        return "http://127.0.0.1:" + port;
    }

    @Test
    void lemRunWithVllmAttachedByUrlGivesAFullResult(TestInfo test) throws Exception {
        runs(test, ExperimentRuns.pacedBackend());
        String url = startServer(runs.work.resolve("server.log"));
        Path serverFiles = runs.work.resolve("server-files");
        Path config = runs.write("vllm.yaml", """
                name: itest-vllm
                model:
                  source: served
                  name: served-model
                precision: bfloat16
                backend:
                  name: vllm
                  device: cuda
                  vllm:
                    url: %s
                    results_dir: %s
                    metrics_interval_ms: 50
                batching:
                  strategy: static
                  batch_size: 2
                decoder:
                  min_new_tokens: %d
                  max_new_tokens: %d
                prompts:
                  source: synthetic
                  count: %d
                  synthetic:
                    input_tokens: 16
                traffic:
                  pattern: poisson
                  target_qps: 50
                warmup:
                  min_requests: 2
                  max_requests: 4
                  window: 2
                  cv_threshold: 0.9
                baseline:
                  enabled: false
                timeseries:
                  interval_ms: 20
                cycles: 2
                energy:
                  sources: [%s]
                output:
                  dir: %s
                """.formatted(url, serverFiles, TOKENS, TOKENS, REQUESTS, ExperimentRuns.METER, runs.resultsRoot));

        Shell.Outcome run = new Shell(processor).execute("lem:run " + config);
        assertFalse(run.failed(), run.transcript());

        Path experiment = runs.onlyExperiment();
        assertTrue(run.out().contains("(itest-vllm): complete"), run.transcript());
        JsonNode overall = ExperimentRuns.json(experiment.resolve("result.json")).path("overall");
        assertEquals(2 * REQUESTS, overall.path("requests").asInt(), overall.toString());
        assertEquals(2 * REQUESTS * TOKENS, overall.path("output_tokens").asInt(), overall.toString());
        assertEquals(2 * REQUESTS * 16, overall.path("input_tokens").asInt(), "the server's usage counts: "
                + overall);

        JsonNode notes = ExperimentRuns.json(experiment.resolve("backend-notes.json")).path("cycle_1");
        assertEquals("logprobs", notes.path("token_count_method").asText(), notes.toString());
        assertEquals("attached", notes.path("server.mode").asText());
        assertEquals("open", notes.path("load.mode").asText());
        for (int i = 0; i < REQUESTS; i++) {
            assertTrue(notes.has("request.c1-r" + i + ".arrival_nanos"), "arrival of request " + i + ": " + notes);
        }
        List<String> metrics = Files.readAllLines(serverFiles.resolve("vllm-metrics.csv"));
        assertTrue(metrics.stream().anyMatch(l -> l.contains("vllm:num_requests_running")),
                "the server's metrics were scraped during the run");
    }
}
