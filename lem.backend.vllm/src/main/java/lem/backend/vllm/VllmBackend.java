package lem.backend.vllm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import lem.api.backend.BackendException;
import lem.api.backend.InferenceBackend;
import lem.api.backend.InferenceBackendService;
import lem.api.model.ModelSpec;
import lem.backend.openai.client.LaunchingBackend;
import lem.backend.openai.client.ServerOptions;

/**
 * vLLM: attached by {@code backend.vllm.url}, or launched as {@code vllm serve} from the
 * {@code backend.vllm} section. Streaming, timing, load and metrics are lem.backend.openai's
 * shared client; this class only builds the command line.
 */
@Component(service = InferenceBackend.class)
@InferenceBackendService(name = VllmBackend.NAME)
public class VllmBackend extends LaunchingBackend {
    public static final String NAME = "vllm";
    static final Set<String> KEYS = Set.of("dtype", "tensor_parallel_size", "pipeline_parallel_size",
            "gpu_memory_utilization", "max_model_len", "max_num_seqs", "max_num_batched_tokens", "enable_prefix_caching",
            "enable_chunked_prefill", "kv_cache_dtype", "quantization", "enforce_eager", "speculative_config",
            "extra_args");

    public VllmBackend() {
        super(NAME, "vLLM's OpenAI-compatible server, attached by URL or launched (vllm serve)",
                "vLLM (OpenAI-compatible HTTP/SSE)", "vllm serve", "vllm", "/metrics", KEYS);
    }

    @Override
    public List<String> command(String executable, ServerOptions o, ModelSpec spec, String model, String host, int port,
            Path logFolder) throws BackendException {
        List<String> c = new ArrayList<>(List.of(executable, "serve", model, "--host", host, "--port",
                Integer.toString(port)));
        c.add("--dtype");
        c.add(o.text("dtype", dtype(spec)));
        o.addInteger(c, "tensor_parallel_size", "--tensor-parallel-size");
        o.addInteger(c, "pipeline_parallel_size", "--pipeline-parallel-size");
        o.addDecimal(c, "gpu_memory_utilization", "--gpu-memory-utilization", 0.01, 1.0);
        o.addInteger(c, "max_model_len", "--max-model-len");
        o.addInteger(c, "max_num_seqs", "--max-num-seqs");
        o.addInteger(c, "max_num_batched_tokens", "--max-num-batched-tokens");
        o.addToggle(c, "enable_prefix_caching", "--enable-prefix-caching", "--no-enable-prefix-caching");
        o.addToggle(c, "enable_chunked_prefill", "--enable-chunked-prefill", "--no-enable-chunked-prefill");
        o.addText(c, "kv_cache_dtype", "--kv-cache-dtype");
        String quantization = o.text("quantization", spec.quantisation().equals("none") ? null : spec.quantisation());
        if (quantization != null) {
            c.add("--quantization");
            c.add(quantization);
        }
        o.addToggle(c, "enforce_eager", "--enforce-eager", null);
        if (o.has("speculative_config")) {
            c.add("--speculative-config");
            try {
                c.add(new ObjectMapper().writeValueAsString(o.map("speculative_config")));
            } catch (JsonProcessingException e) {
                throw new BackendException(o.name("speculative_config") + " cannot be written as JSON: " + e.getMessage());
            }
        }
        c.addAll(o.list("extra_args"));
        return c;
    }

    /** vLLM's {@code --dtype} for lem's precision; {@code auto} (the checkpoint's) for quantised formats. */
    static String dtype(ModelSpec spec) {
        return switch (spec.precision()) {
        case FLOAT32 -> "float32";
        case FLOAT16 -> "float16";
        case BFLOAT16 -> "bfloat16";
        default -> "auto";
        };
    }
}
