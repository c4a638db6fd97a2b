package lem.backend.tensorrt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;

import lem.api.backend.BackendException;
import lem.api.backend.InferenceBackend;
import lem.api.backend.InferenceBackendService;
import lem.api.model.ModelSpec;
import lem.backend.openai.client.LaunchingBackend;
import lem.backend.openai.client.ServerOptions;

/**
 * TensorRT-LLM: attached by {@code backend.tensorrt.url}, or launched as {@code trtllm-serve} from
 * the {@code backend.tensorrt} section. Streaming, timing, load and metrics are lem.backend.openai's
 * shared client; this class only builds the command line.
 */
@Component(service = InferenceBackend.class)
@InferenceBackendService(name = TensorRtBackend.NAME)
public class TensorRtBackend extends LaunchingBackend {
    public static final String NAME = "tensorrt";
    static final Set<String> KEYS = Set.of("max_batch_size", "max_num_tokens", "max_seq_len", "tp_size", "pp_size",
            "kv_cache_free_gpu_memory_fraction", "enable_chunked_prefill", "extra_llm_api_options", "extra_args");
    /** The options YAML lem writes when chunked prefill is set (with the user's YAML copied in). */
    static final String OPTIONS_FILE = "trtllm-extra-options.yaml";

    /** trtllm-serve's Prometheus page is {@code /prometheus/metrics}; its {@code /metrics} is JSON iteration statistics. */
    public TensorRtBackend() {
        super(NAME, "TensorRT-LLM's trtllm-serve, attached by URL or launched", "TensorRT-LLM (OpenAI-compatible HTTP/SSE)",
                "trtllm-serve", "trtllm-serve", "/prometheus/metrics", KEYS);
    }

    @Override
    public List<String> command(String executable, ServerOptions o, ModelSpec spec, String model, String host, int port,
            Path logFolder) throws BackendException {
        List<String> c = new ArrayList<>(List.of(executable, model, "--host", host, "--port", Integer.toString(port)));
        o.addInteger(c, "max_batch_size", "--max_batch_size");
        o.addInteger(c, "max_num_tokens", "--max_num_tokens");
        o.addInteger(c, "max_seq_len", "--max_seq_len");
        o.addInteger(c, "tp_size", "--tp_size");
        o.addInteger(c, "pp_size", "--pp_size");
        o.addDecimal(c, "kv_cache_free_gpu_memory_fraction", "--kv_cache_free_gpu_memory_fraction", 0.01, 1.0);
        Path options = optionsYaml(o, logFolder);
        if (options != null) {
            c.add("--extra_llm_api_options");
            c.add(options.toString());
        }
        c.addAll(o.list("extra_args"));
        return c;
    }

    /**
     * The user's options YAML, or (when {@code enable_chunked_prefill} is set) a copy of it with that
     * key added, written beside the server's log; null when neither is set.
     */
    static Path optionsYaml(ServerOptions o, Path logFolder) throws BackendException {
        Boolean chunked = o.flag("enable_chunked_prefill");
        String text = "";
        Path user = null;
        if (o.has("extra_llm_api_options")) {
            user = Path.of(o.text("extra_llm_api_options", ""));
            try {
                text = Files.readString(user, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new BackendException(o.name("extra_llm_api_options") + ": cannot read " + user + " ("
                        + e.getMessage() + ")");
            }
        }
        if (chunked == null) {
            return user;
        }
        if (text.lines().anyMatch(l -> l.startsWith("enable_chunked_prefill:"))) {
            throw new BackendException(o.name("enable_chunked_prefill") + " is set and " + user
                    + " sets enable_chunked_prefill too: set it in one place");
        }
        String merged = (text.isEmpty() || text.endsWith("\n") ? text : text + "\n") + "enable_chunked_prefill: "
                + chunked + "\n";
        Path file = logFolder.resolve(OPTIONS_FILE);
        try {
            Files.createDirectories(logFolder);
            Files.writeString(file, merged, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BackendException("cannot write " + file + ": " + e.getMessage());
        }
        return file;
    }
}
