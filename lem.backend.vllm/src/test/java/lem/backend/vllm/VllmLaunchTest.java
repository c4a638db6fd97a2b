package lem.backend.vllm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.Prompt;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.openai.client.ServedModel;
import lem.backend.openai.client.StandIn;
import lem.runtime.results.RequestTimeline;
import lem.runtime.results.TimelineRecorder;

/** Launches a stand-in {@code vllm} (a script running the loopback server) for real. */
class VllmLaunchTest {
    static final DecodeSettings FIXED_6 = new DecodeSettings(0, 0, 1, 1, 1, 6, 6);
    static final ModelSpec SPEC = new ModelSpec("local", "served-model", Precision.BFLOAT16, "none", 0, Map.of());

    @TempDir
    Path dir;

    private ServedModel launch(Path script, Map<String, Object> extra) throws BackendException {
        Map<String, Object> options = new HashMap<>(Map.of("executable", script.toString(), "log_dir",
                dir.resolve("results").toString(), "ready_timeout_s", 120, "metrics_interval_ms", 50));
        options.putAll(extra);
        return (ServedModel) new VllmBackend().open(SPEC, new BackendSettings("cuda", BatchingMode.CONTINUOUS, 4, options));
    }

    private static List<GenerationRequest> requests(int n) {
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new GenerationRequest("r" + i, Prompt.ofTokens(List.of(7, 8, 9)), i * 10_000_000L));
        }
        return list;
    }

    private static void assertStopped(long pid) throws InterruptedException {
        var handle = ProcessHandle.of(pid);
        if (handle.isPresent()) {
            handle.get().onExit().join();
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " still runs");
    }

    @Test
    void launchesServesLogsAndStopsTheWholeProcessTree() throws Exception {
        Path script = StandIn.script(dir.resolve("bin"), "vllm", Map.of());
        List<Long> tree = new ArrayList<>();
        GenerationResult result;
        Path log;
        try (ServedModel model = launch(script, Map.of("cuda_visible_devices", "GPU-aaa,GPU-bbb", "max_num_seqs", 8,
                "enable_prefix_caching", false, "enforce_eager", true, "speculative_config",
                Map.of("method", "ngram", "num_speculative_tokens", 3), "extra_args", List.of("--seed", "1")))) {
            assertEquals(Set.of("GPU-aaa", "GPU-bbb"), model.deviceIds(), "energy goes to the GPUs it was given");
            String args = StandIn.args(script);
            int port = Integer.parseInt(model.openNotes().get("server.url").replaceAll(".*:", ""));
            assertTrue(args.startsWith("serve served-model --host 127.0.0.1 --port " + port + " --dtype bfloat16"
                    + " --max-num-seqs 8 --no-enable-prefix-caching --enforce-eager --speculative-config "), args);
            assertTrue(args.contains("\"num_speculative_tokens\":3") && args.contains(" --seed 1"), args);
            assertTrue(args.contains("CUDA_VISIBLE_DEVICES=GPU-aaa,GPU-bbb"), args);

            long scriptPid = StandIn.pid(script);
            tree.add(scriptPid);
            ProcessHandle.of(scriptPid).orElseThrow().descendants().forEach(p -> tree.add(p.pid()));
            assertTrue(tree.size() >= 2, "the script runs the server as its child: " + tree);

            TimelineRecorder recorder = new TimelineRecorder();
            result = model.generate(requests(3), FIXED_6, recorder);
            assertEquals(3, recorder.finished().size());
            for (RequestTimeline t : recorder.finished()) {
                assertNull(t.error());
                assertEquals(6, t.outputTokens());
            }
            log = model.process().log();
        }
        for (long pid : tree) {
            assertStopped(pid);
        }
        assertEquals("launched", result.notes().get("server.mode"));
        String logText = Files.readString(log);
        assertTrue(logText.contains("Started server process"), logText);
        assertTrue(log.startsWith(dir.resolve("results")), "the log is kept in the results folder: " + log);
        List<String> metrics = Files.readAllLines(dir.resolve("results").resolve("vllm-metrics.csv"));
        assertTrue(metrics.stream().anyMatch(l -> l.contains("vllm:generation_tokens_total")), "metrics scraped");
    }

    @Test
    void aServerThatExitsAtStartFailsWithItsExitCodeAndLog() throws Exception {
        Path script = StandIn.script(dir.resolve("bin"), "vllm", Map.of("FAKE_EXIT_AT_START", "1"));
        BackendException e = assertThrows(BackendException.class, () -> launch(script, Map.of()));
        assertTrue(e.getMessage().contains("never became ready"), e.getMessage());
        assertTrue(e.getMessage().contains("CUDA out of memory (fake)"), "the end of its log: " + e.getMessage());
    }

    @Test
    void aServerThatNeverBecomesReadyIsStoppedAfterTheTimeout() throws Exception {
        Path script = StandIn.script(dir.resolve("bin"), "vllm", Map.of("FAKE_FAILURE", "never_ready"));
        BackendException e = assertThrows(BackendException.class, () -> launch(script, Map.of("ready_timeout_s", 8)));
        assertTrue(e.getMessage().contains("not ready within 8 s"), e.getMessage());
        assertStopped(StandIn.pid(script));
    }

    @Test
    void aServerThatDiesMidRunEndsTheRunWithTheReasonAndKeepsWhatFinished() throws Exception {
        Path script = StandIn.script(dir.resolve("bin"), "vllm", Map.of("FAKE_FAILURE", "exit"));
        TimelineRecorder recorder = new TimelineRecorder();
        try (ServedModel model = launch(script, Map.of("metrics", false, "load_mode", "closed", "concurrency", 1))) {
            BackendException e = assertThrows(BackendException.class, () -> model.generate(requests(3), FIXED_6, recorder));
            assertTrue(e.getMessage().contains("the server died during the run") && e.getMessage().contains("exited"),
                    e.getMessage());
        }
        assertEquals(3, recorder.finished().size(), "every request is accounted for");
        assertTrue(recorder.finished().stream().allMatch(RequestTimeline::failed));
    }

    @Test
    void aMissingExecutableSaysHowToFixIt() {
        BackendException e = assertThrows(BackendException.class,
                () -> launch(dir.resolve("no-such-vllm"), Map.of()));
        assertTrue(e.getMessage().contains("cannot start") && e.getMessage().contains("executable"), e.getMessage());
    }
}
