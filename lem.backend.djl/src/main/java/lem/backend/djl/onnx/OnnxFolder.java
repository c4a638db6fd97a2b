package lem.backend.djl.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lem.backend.djl.transformer.ConfigException;
import lem.backend.djl.transformer.JsonFiles;
import lem.backend.djl.transformer.TransformerConfig;

/**
 * A folder holding an ONNX decoder with KV cache as Hugging Face Optimum exports it:
 * {@code config.json}, {@code tokenizer.json} (optional: without it prompts are token ids) and
 * {@code model.onnx} or {@code decoder_model_merged.onnx}. Everything here is read from the files
 * without starting ONNX Runtime: the graph's inputs and outputs, its initializers and nodes.
 */
public final class OnnxFolder {

    /** The model files lem looks for, in this order. */
    public static final List<String> MODEL_FILES = List.of("model.onnx", "decoder_model_merged.onnx");

    private final Path folder;
    private final Path modelFile;
    private final OnnxGraph graph;
    private final DecoderLayout layout;
    private final Map<String, Object> config;
    private final int vocabSize;
    private final int maxPositions;
    private final int heads;
    private final int headDim;

    private OnnxFolder(Path folder, Path modelFile, OnnxGraph graph, DecoderLayout layout, Map<String, Object> config,
            int vocabSize, int maxPositions, int heads, int headDim) {
        this.folder = folder;
        this.modelFile = modelFile;
        this.graph = graph;
        this.layout = layout;
        this.config = config;
        this.vocabSize = vocabSize;
        this.maxPositions = maxPositions;
        this.heads = heads;
        this.headDim = headDim;
    }

    /** Whether a folder holds one of {@link #MODEL_FILES}: then lem runs it on ONNX Runtime. */
    public static boolean holdsOnnx(Path folder) {
        return modelFile(folder) != null;
    }

    private static Path modelFile(Path folder) {
        for (String name : MODEL_FILES) {
            Path file = folder.resolve(name);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        return null;
    }

    /**
     * Reads and checks a folder: config.json, the model file and the decoder's inputs and outputs.
     *
     * @throws ConfigException naming the missing file, the config key, or the input lem cannot feed
     */
    public static OnnxFolder open(Path folder) throws ConfigException {
        if (!Files.isDirectory(folder)) {
            throw new ConfigException("ONNX model folder " + folder + " does not exist or is not a folder");
        }
        Path model = modelFile(folder);
        if (model == null) {
            throw new ConfigException("ONNX model folder " + folder + " holds neither " + String.join(" nor ",
                    MODEL_FILES) + " (a decoder with KV cache exported by Hugging Face Optimum)");
        }
        Path configFile = folder.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new ConfigException("ONNX model folder " + folder + " has no config.json; it needs config.json, "
                    + model.getFileName() + " and, for text prompts, tokenizer.json");
        }
        Map<String, Object> config = JsonFiles.readObject(configFile);
        OnnxGraph graph;
        try {
            graph = OnnxGraph.read(model);
        } catch (IOException e) {
            throw new ConfigException(e.getMessage(), e);
        }
        DecoderLayout layout = DecoderLayout.of(graph.inputs(), graph.outputs(), model.toString());
        String source = configFile.toString();
        int vocab = intKey(config, source, true, "vocab_size");
        int positions = intKey(config, source, false, "max_position_embeddings", "n_positions", "n_ctx");
        int heads = intKey(config, source, false, "num_attention_heads", "n_head");
        int hidden = intKey(config, source, false, "hidden_size", "n_embd");
        int headDim = intKey(config, source, false, "head_dim");
        if (headDim == 0 && heads > 0 && hidden > 0) {
            headDim = hidden / heads;
        }
        int configLayers = intKey(config, source, false, "num_hidden_layers", "n_layer");
        if (configLayers > 0 && configLayers != layout.layers()) {
            throw new ConfigException(model + " caches " + layout.layers() + " layers (past_key_values.0 to "
                    + (layout.layers() - 1) + ") but " + source + " says " + configLayers + " layers");
        }
        if (layout.headDim() > 0 && headDim > 0 && layout.headDim() != headDim) {
            throw new ConfigException(model + " caches keys of head dimension " + layout.headDim() + " but " + source
                    + " gives " + headDim + " (hidden size / heads, or head_dim)");
        }
        return new OnnxFolder(folder, model, graph, layout, config, vocab, positions, heads,
                headDim > 0 ? headDim : (int) layout.headDim());
    }

    private static int intKey(Map<String, Object> config, String source, boolean required, String... keys)
            throws ConfigException {
        for (String key : keys) {
            Object value = config.get(key);
            if (value == null) {
                continue;
            }
            if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 1
                    || n.doubleValue() > Integer.MAX_VALUE) {
                throw new ConfigException(source + ": key " + key + " = " + value + " must be a positive integer");
            }
            return n.intValue();
        }
        if (required) {
            throw new ConfigException(source + ": key " + keys[0] + " is missing");
        }
        return 0;
    }

    /**
     * What the generation loop needs to know of the model (vocabulary, positions, end-of-sequence ids,
     * layers) as a {@link TransformerConfig}; the architecture itself is the graph's, so the other
     * keys are placeholders.
     */
    public TransformerConfig generationView() throws ConfigException {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("model_type", "llama");
        view.put("vocab_size", vocabSize);
        view.put("hidden_size", 2);
        view.put("num_hidden_layers", layout.layers());
        view.put("num_attention_heads", 1);
        view.put("intermediate_size", 1);
        // without a limit in config.json the model's own positions are not known: no check here
        view.put("max_position_embeddings", maxPositions > 0 ? maxPositions : Integer.MAX_VALUE);
        view.put("eos_token_id", config.get("eos_token_id"));
        return TransformerConfig.of(view, folder + " (ONNX)");
    }

    public Path folder() {
        return folder;
    }

    public Path modelFile() {
        return modelFile;
    }

    public OnnxGraph graph() {
        return graph;
    }

    public DecoderLayout layout() {
        return layout;
    }

    /** config.json as read. */
    public Map<String, Object> config() {
        return config;
    }

    /** {@code model_type} from config.json, or "onnx". */
    public String modelType() {
        Object type = config.get("model_type");
        return type instanceof String s ? s : "onnx";
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** Longest sequence from config.json, 0 when it does not say. */
    public int maxPositions() {
        return maxPositions;
    }

    /** Attention heads from config.json (0 when it does not say), for counting attention FLOPs. */
    public int heads() {
        return heads;
    }

    /** Head dimension (config.json, else the cache's), for counting attention FLOPs. */
    public int headDim() {
        return headDim;
    }

    /** The cache's KV head count: the graph's when concrete, else config.json's. */
    public long kvHeads() {
        if (layout.kvHeads() > 0) {
            return layout.kvHeads();
        }
        Object kv = config.get("num_key_value_heads");
        return kv instanceof Number n ? n.longValue() : heads;
    }

    /** Notes for results: which file and what it takes. */
    public List<String> describe() {
        List<String> parts = new ArrayList<>();
        parts.add(modelFile.getFileName().toString());
        parts.add(layout.layers() + " cached layers");
        parts.add("cache " + OnnxGraph.typeName(layout.cacheType()));
        if (layout.positionIds()) {
            parts.add("position_ids");
        }
        if (layout.useCacheBranch()) {
            parts.add("use_cache_branch");
        }
        return parts;
    }
}
