package lem.backend.djl.transformer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a tiny Hugging Face folder (config.json, model.safetensors in F32, tokenizer.json) with
 * random weights, every tensor random including norm scales and biases, and keeps the values for
 * the float64 reference.
 */
public final class TinyCheckpoint {

    public final Map<String, Object> config;
    public final Map<String, float[]> tensors = new LinkedHashMap<>();
    public final Map<String, long[]> shapes = new LinkedHashMap<>();

    private TinyCheckpoint(Map<String, Object> config) {
        this.config = config;
    }

    /** Llama-style with grouped-query attention (4 heads, 2 KV heads), untied LM head. */
    public static Map<String, Object> llamaConfig(String type) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", type);
        c.put("vocab_size", 64);
        c.put("hidden_size", 32);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 2);
        c.put("intermediate_size", 48);
        c.put("max_position_embeddings", 128);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", false);
        c.put("eos_token_id", 2);
        return c;
    }

    /** GPT-2 with tied embeddings. */
    public static Map<String, Object> gpt2Config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_type", "gpt2");
        c.put("vocab_size", 64);
        c.put("n_embd", 32);
        c.put("n_layer", 2);
        c.put("n_head", 4);
        c.put("n_positions", 64);
        c.put("layer_norm_epsilon", 1e-5);
        c.put("eos_token_id", 63);
        return c;
    }

    /** Random values for every tensor of the layout: matrices N(0, 0.1), norms 1 + N(0, 0.1), biases N(0, 0.1). */
    public static TinyCheckpoint random(Map<String, Object> config, long seed) throws ConfigException {
        TinyCheckpoint checkpoint = new TinyCheckpoint(config);
        SplittableRandom random = new SplittableRandom(seed);
        for (TensorSpec spec : WeightLayout.tensors(TransformerConfig.of(config, "test"))) {
            float[] values = new float[(int) spec.elementCount()];
            for (int i = 0; i < values.length; i++) {
                double g = random.nextGaussian() * 0.1;
                values[i] = (float) (spec.init() == TensorSpec.Init.ONES ? 1 + g : g);
            }
            checkpoint.tensors.put(spec.name(), values);
            checkpoint.shapes.put(spec.name(), spec.shape());
        }
        return checkpoint;
    }

    /** Writes config.json and model.safetensors (F32) into the folder. */
    public void write(Path folder) throws IOException {
        write(folder, tensors.keySet().stream().toList(), Map.of(), "F32");
    }

    /** Writes every tensor in a safetensors dtype: F32, F16 or BF16. */
    public void write(Path folder, String dtype) throws IOException {
        write(folder, tensors.keySet().stream().toList(), Map.of(), dtype);
    }

    public void write(Path folder, List<String> names, Map<String, long[]> wrongShapes) throws IOException {
        write(folder, names, wrongShapes, "F32");
    }

    /** A copy whose values are rounded to what the dtype can hold (so F32 and F16/BF16 folders agree). */
    public TinyCheckpoint roundTo(String dtype) {
        TinyCheckpoint copy = new TinyCheckpoint(config);
        copy.shapes.putAll(shapes);
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            float[] values = e.getValue().clone();
            for (int i = 0; i < values.length; i++) {
                values[i] = switch (dtype) {
                    case "F16" -> fromHalf(toHalf(values[i]));
                    case "BF16" -> Float.intBitsToFloat(Float.floatToIntBits(values[i]) & 0xffff0000);
                    default -> values[i];
                };
            }
            copy.tensors.put(e.getKey(), values);
        }
        return copy;
    }

    /**
     * Writes the named tensors, with shapes overridden where {@code wrongShapes} says so (their
     * data sized to match, so only the shape is wrong).
     */
    /** Writes the tensors into two shards with a {@code model.safetensors.index.json}, as large checkpoints come. */
    public void writeSharded(Path folder) throws IOException {
        List<String> names = tensors.keySet().stream().toList();
        List<String> first = names.subList(0, names.size() / 2);
        List<String> second = names.subList(names.size() / 2, names.size());
        writeShard(folder, "model-00001-of-00002.safetensors", first, Map.of(), "F32");
        writeShard(folder, "model-00002-of-00002.safetensors", second, Map.of(), "F32");
        StringBuilder index = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
        for (int i = 0; i < names.size(); i++) {
            index.append(i == 0 ? "" : ",").append('"').append(names.get(i)).append("\":\"")
                    .append(i < first.size() ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors")
                    .append('"');
        }
        Files.writeString(folder.resolve("model.safetensors.index.json"), index.append("}}"), StandardCharsets.UTF_8);
    }

    private void write(Path folder, List<String> names, Map<String, long[]> wrongShapes, String dtype)
            throws IOException {
        writeShard(folder, "model.safetensors", names, wrongShapes, dtype);
    }

    private void writeShard(Path folder, String file, List<String> names, Map<String, long[]> wrongShapes,
            String dtype) throws IOException {
        int bytes = dtype.equals("F32") ? 4 : 2;
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), toJson(config), StandardCharsets.UTF_8);
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        List<float[]> data = new ArrayList<>();
        long offset = 0;
        for (String name : names) {
            long[] shape = wrongShapes.getOrDefault(name, shapes.get(name));
            long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            float[] values = Arrays.copyOf(tensors.get(name), (int) count);
            header.append(",\"").append(name).append("\":{\"dtype\":\"").append(dtype).append("\",\"shape\":")
                    .append(Arrays.toString(shape).replace(" ", "")).append(",\"data_offsets\":[").append(offset)
                    .append(',').append(offset + bytes * count).append("]}");
            offset += bytes * count;
            data.add(values);
        }
        header.append('}');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate((int) (8 + headerBytes.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(headerBytes.length).put(headerBytes);
        for (float[] values : data) {
            for (float v : values) {
                switch (dtype) {
                    case "F16" -> out.putShort(toHalf(v));
                    case "BF16" -> out.putShort((short) (Float.floatToIntBits(v) >>> 16));
                    default -> out.putFloat(v);
                }
            }
        }
        Files.write(folder.resolve(file), out.array());
    }

    /** A WordLevel tokenizer.json: "w0" .. "w{vocab-1}", split on whitespace. */
    public static void writeWordLevelTokenizer(Path folder, int vocab) throws IOException {
        StringBuilder words = new StringBuilder();
        for (int i = 0; i < vocab; i++) {
            words.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
        }
        String json = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,"
                + "\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + words
                + "},\"unk_token\":\"w0\"}}";
        Files.writeString(folder.resolve("tokenizer.json"), json, StandardCharsets.UTF_8);
    }

    private static String toJson(Map<String, Object> map) {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<String, Object> e : map.entrySet()) {
            if (out.length() > 1) {
                out.append(',');
            }
            out.append('"').append(e.getKey()).append("\":");
            Object v = e.getValue();
            out.append(v instanceof String ? "\"" + v + "\"" : String.valueOf(v));
        }
        return out.append('}').toString();
    }

    /** IEEE half precision bits of a float, rounding half up (enough for test weights). */
    static short toHalf(float f) {
        int bits = Float.floatToIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
        int mantissa = bits & 0x7fffff;
        if (exponent <= 0) {
            if (exponent < -10) {
                return (short) sign;
            }
            mantissa |= 0x800000;
            int shift = 14 - exponent;
            int half = mantissa >> shift;
            if (((mantissa >> (shift - 1)) & 1) != 0) {
                half++;
            }
            return (short) (sign | half);
        }
        if (exponent >= 31) {
            return (short) (sign | 0x7c00);
        }
        int half = sign | (exponent << 10) | (mantissa >> 13);
        if ((mantissa & 0x1000) != 0) {
            half++;
        }
        return (short) half;
    }

    static float fromHalf(short h) {
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0) {
            float v = mantissa * (float) Math.pow(2, -24);
            return sign != 0 ? -v : v;
        }
        if (exponent == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }
}
