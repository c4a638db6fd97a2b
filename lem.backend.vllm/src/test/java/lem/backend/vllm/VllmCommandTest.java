package lem.backend.vllm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import lem.api.backend.BackendException;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.openai.client.ServerOptions;

class VllmCommandTest {
    private static List<String> command(Map<String, Object> options, Precision precision, String quantisation)
            throws BackendException {
        return new VllmBackend().command("vllm", new ServerOptions("backend.vllm", options),
                new ModelSpec("local", "/models/m", precision, quantisation, 0, Map.of()), "/models/m", "127.0.0.1",
                9000, Path.of("/tmp"));
    }

    @Test
    void everyLaunchSettingBecomesItsFlag() throws Exception {
        List<String> c = command(Map.of("tensor_parallel_size", 2, "pipeline_parallel_size", 2,
                "gpu_memory_utilization", 0.85, "max_model_len", 4096, "max_num_batched_tokens", 8192,
                "enable_prefix_caching", true, "enable_chunked_prefill", false, "kv_cache_dtype", "fp8"), Precision.FLOAT16,
                "awq");
        assertEquals(List.of("vllm", "serve", "/models/m", "--host", "127.0.0.1", "--port", "9000", "--dtype", "float16",
                "--tensor-parallel-size", "2", "--pipeline-parallel-size", "2", "--gpu-memory-utilization", "0.85",
                "--max-model-len", "4096", "--max-num-batched-tokens", "8192", "--enable-prefix-caching",
                "--no-enable-chunked-prefill", "--kv-cache-dtype", "fp8", "--quantization", "awq"), c);
    }

    @Test
    void dtypeFollowsThePrecisionUnlessSet() throws Exception {
        assertTrue(String.join(" ", command(Map.of(), Precision.FLOAT32, "none")).contains("--dtype float32"));
        assertTrue(String.join(" ", command(Map.of(), Precision.FP8, "none")).contains("--dtype auto"));
        assertTrue(String.join(" ", command(Map.of("dtype", "half"), Precision.FLOAT32, "none")).contains("--dtype half"));
    }

    @Test
    void badValuesNameTheKey() {
        BackendException e = assertThrows(BackendException.class,
                () -> command(Map.of("gpu_memory_utilization", 1.5), Precision.FLOAT16, "none"));
        assertTrue(e.getMessage().startsWith("backend.vllm.gpu_memory_utilization must be a number from 0.01 to 1.0"),
                e.getMessage());
        BackendException seqs = assertThrows(BackendException.class,
                () -> command(Map.of("max_num_seqs", "many"), Precision.FLOAT16, "none"));
        assertTrue(seqs.getMessage().startsWith("backend.vllm.max_num_seqs must be a whole number"), seqs.getMessage());
        BackendException flag = assertThrows(BackendException.class,
                () -> command(Map.of("enforce_eager", "yes"), Precision.FLOAT16, "none"));
        assertTrue(flag.getMessage().contains("backend.vllm.enforce_eager must be true or false"), flag.getMessage());
    }
}
