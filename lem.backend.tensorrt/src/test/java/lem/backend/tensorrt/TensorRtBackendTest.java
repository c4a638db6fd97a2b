package lem.backend.tensorrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationRequest;
import lem.api.backend.LoadedModel;
import lem.api.backend.Prompt;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.openai.client.ServerOptions;
import lem.backend.openai.client.StandIn;
import lem.runtime.results.RequestTimeline;
import lem.runtime.results.TimelineRecorder;

class TensorRtBackendTest {
    static final ModelSpec SPEC = new ModelSpec("local", "/engines/llama", Precision.FLOAT16, "none", 0, Map.of());

    @TempDir
    Path dir;

    private List<String> command(Map<String, Object> options) throws BackendException {
        return new TensorRtBackend().command("trtllm-serve", new ServerOptions("backend.tensorrt", options), SPEC,
                "/engines/llama", "127.0.0.1", 8123, dir);
    }

    @Test
    void everyLaunchSettingBecomesTrtllmServesFlag() throws Exception {
        assertEquals(List.of("trtllm-serve", "/engines/llama", "--host", "127.0.0.1", "--port", "8123",
                "--max_batch_size", "64", "--max_num_tokens", "8192", "--max_seq_len", "4096", "--tp_size", "2",
                "--pp_size", "1", "--kv_cache_free_gpu_memory_fraction", "0.8", "--backend", "pytorch"),
                command(Map.of("max_batch_size", 64, "max_num_tokens", 8192, "max_seq_len", 4096, "tp_size", 2,
                        "pp_size", 1, "kv_cache_free_gpu_memory_fraction", 0.8, "extra_args",
                        List.of("--backend", "pytorch"))));
    }

    @Test
    void chunkedPrefillIsAddedToACopyOfTheUsersOptionsYaml() throws Exception {
        Path user = dir.resolve("user.yaml");
        Files.writeString(user, "kv_cache_config:\n  enable_block_reuse: true");
        List<String> c = command(Map.of("extra_llm_api_options", user.toString(), "enable_chunked_prefill", true));
        Path written = Path.of(c.get(c.indexOf("--extra_llm_api_options") + 1));
        assertEquals(dir.resolve(TensorRtBackend.OPTIONS_FILE), written);
        assertEquals("kv_cache_config:\n  enable_block_reuse: true\nenable_chunked_prefill: true\n",
                Files.readString(written));
        assertEquals("kv_cache_config:\n  enable_block_reuse: true", Files.readString(user), "the user's file is untouched");

        List<String> plain = command(Map.of("extra_llm_api_options", user.toString()));
        assertEquals(user.toString(), plain.get(plain.indexOf("--extra_llm_api_options") + 1));

        Files.writeString(user, "enable_chunked_prefill: false\n");
        BackendException twice = assertThrows(BackendException.class,
                () -> command(Map.of("extra_llm_api_options", user.toString(), "enable_chunked_prefill", true)));
        assertTrue(twice.getMessage().contains("set it in one place"), twice.getMessage());
        BackendException missing = assertThrows(BackendException.class,
                () -> command(Map.of("extra_llm_api_options", dir.resolve("nope.yaml").toString())));
        assertTrue(missing.getMessage().startsWith("backend.tensorrt.extra_llm_api_options: cannot read"),
                missing.getMessage());
    }

    @Test
    void launchesTheStandInAndScrapesItsPrometheusPage() throws Exception {
        Path script = StandIn.script(dir.resolve("bin"), "trtllm-serve", Map.of());
        TimelineRecorder recorder = new TimelineRecorder();
        Path results = dir.resolve("results");
        try (LoadedModel model = new TensorRtBackend().open(SPEC, new BackendSettings("cuda", BatchingMode.CONTINUOUS, 4,
                Map.of("executable", script.toString(), "log_dir", results.toString(), "tp_size", 1,
                        "ready_timeout_s", 120, "metrics_interval_ms", 50)))) {
            model.generate(List.of(new GenerationRequest("a", Prompt.ofText("hi there"), 0)),
                    new DecodeSettings(0, 0, 1, 1, 1, 5, 5), recorder);
        }
        RequestTimeline t = recorder.finished().get(0);
        assertNull(t.error());
        assertEquals(5, t.outputTokens());
        assertTrue(StandIn.args(script).startsWith("/engines/llama --host 127.0.0.1 --port "));
        assertTrue(Files.readString(results.resolve("tensorrt-server.log")).contains("Started server process"));
        assertTrue(Files.readAllLines(results.resolve("tensorrt-metrics.csv")).size() > 1, "the Prometheus page was scraped");
    }
}
