package lem.backend.djl.onnx;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import lem.backend.djl.transformer.ConfigException;
import lem.backend.djl.transformer.ModelPresets;
import lem.backend.djl.transformer.TinyCheckpoint;

/**
 * The built-in preset gpt2-tiny with random weights from a seed (every tensor random, norms and
 * biases too), written twice: as a Hugging Face safetensors folder for the DJL decoder and as an
 * ONNX decoder with KV cache (with tokenizer.json) for ONNX Runtime.
 */
public final class OnnxFixture {

    public static final String PRESET = "gpt2-tiny";

    public final Map<String, Object> config;
    public final TinyCheckpoint checkpoint;
    public final Path safetensorsFolder;
    public final Path onnxFolder;

    private OnnxFixture(Map<String, Object> config, TinyCheckpoint checkpoint, Path safetensorsFolder,
            Path onnxFolder) {
        this.config = config;
        this.checkpoint = checkpoint;
        this.safetensorsFolder = safetensorsFolder;
        this.onnxFolder = onnxFolder;
    }

    /** Writes both folders under {@code root}. */
    public static OnnxFixture write(Path root, long seed) throws IOException, ConfigException {
        return write(root, seed, PRESET, "model.onnx");
    }

    /** A GPT-2 preset (gpt2-tiny, gpt2-small) with its ONNX export in {@code onnxFile}. */
    public static OnnxFixture write(Path root, long seed, String preset, String onnxFile)
            throws IOException, ConfigException {
        Map<String, Object> config = new LinkedHashMap<>(ModelPresets.config(preset));
        // TinyCheckpoint writes config.json values as plain text; the list is not needed
        config.remove("architectures");
        TinyCheckpoint checkpoint = TinyCheckpoint.random(config, seed);
        Path safetensors = root.resolve("safetensors");
        java.nio.file.Files.createDirectories(safetensors);
        checkpoint.write(safetensors);
        Path onnx = root.resolve("onnx");
        Gpt2OnnxExport.write(checkpoint, onnx, onnxFile);
        TinyCheckpoint.writeWordLevelTokenizer(onnx, ((Number) config.get("vocab_size")).intValue());
        return new OnnxFixture(config, checkpoint, safetensors, onnx);
    }
}
