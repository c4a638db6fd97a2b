package lem.backend.djl.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import com.google.gson.Gson;
import lem.backend.djl.transformer.TinyCheckpoint;

/**
 * Writes a GPT-2 checkpoint as an ONNX decoder with KV cache in Hugging Face Optimum's layout:
 * {@code input_ids}, {@code attention_mask}, {@code position_ids}, {@code past_key_values.<i>.key/value}
 * in; {@code logits} for every position and {@code present.<i>.key/value} out. The graph is GPT-2's
 * (LayerNorm, fused c_attn with Conv1D {@code [in, out]} weights, tanh GELU, tied LM head as a Gemm
 * with {@code transB}), with the checkpoint's own tensors as initializers.
 */
final class Gpt2OnnxExport {

    /** Added to masked scores, as the DJL decoder does. */
    private static final float MASKED = -1e30f;

    private Gpt2OnnxExport() {
    }

    /**
     * Writes {@code model.onnx} (or another name) and {@code config.json} into a folder.
     *
     * @return the model file
     */
    static Path write(TinyCheckpoint checkpoint, Path folder, String fileName) throws IOException {
        Files.createDirectories(folder);
        Map<String, Object> c = checkpoint.config;
        int hidden = ((Number) c.get("n_embd")).intValue();
        int layers = ((Number) c.get("n_layer")).intValue();
        int heads = ((Number) c.get("n_head")).intValue();
        int vocab = ((Number) c.get("vocab_size")).intValue();
        double eps = c.get("layer_norm_epsilon") instanceof Number n ? n.doubleValue() : 1e-5;
        int d = hidden / heads;
        OnnxWriter w = new OnnxWriter();
        for (Map.Entry<String, float[]> e : checkpoint.tensors.entrySet()) {
            w.floats(e.getKey(), checkpoint.shapes.get(e.getKey()), e.getValue());
        }
        w.floats("zero", new long[0], new float[] {0f});
        w.floats("masked", new long[0], new float[] {MASKED});
        w.floats("scale", new long[0], new float[] {(float) (1.0 / Math.sqrt(d))});
        w.floats("three", new long[0], new float[] {3f});
        w.floats("cubic", new long[0], new float[] {0.044715f});
        w.floats("sqrt_2_over_pi", new long[0], new float[] {(float) Math.sqrt(2.0 / Math.PI)});
        w.floats("half", new long[0], new float[] {0.5f});
        w.floats("one", new long[0], new float[] {1f});
        w.longs("i0", new long[0], 0);
        w.longs("i1", new long[0], 1);
        w.longs("axis1", new long[] {1}, 1);
        w.longs("axes12", new long[] {2}, 1, 2);
        w.longs("split_qkv", new long[] {3}, hidden, hidden, hidden);
        w.longs("heads_shape", new long[] {4}, 0, 0, heads, d);
        w.longs("hidden_shape", new long[] {3}, 0, 0, hidden);
        w.longs("rows_shape", new long[] {2}, -1, hidden);
        w.longs("vocab_dim", new long[] {1}, vocab);

        w.input(DecoderLayout.INPUT_IDS, OnnxGraph.INT64, "batch_size", "sequence_length");
        w.input(DecoderLayout.ATTENTION_MASK, OnnxGraph.INT64, "batch_size", "total_sequence_length");
        w.input(DecoderLayout.POSITION_IDS, OnnxGraph.INT64, "batch_size", "sequence_length");
        for (int i = 0; i < layers; i++) {
            for (String part : List.of("key", "value")) {
                w.input(DecoderLayout.past(i, part), OnnxGraph.FLOAT, "batch_size", (long) heads,
                        "past_sequence_length", (long) d);
            }
        }
        w.output(DecoderLayout.LOGITS, OnnxGraph.FLOAT, "batch_size", "sequence_length", (long) vocab);
        for (int i = 0; i < layers; i++) {
            for (String part : List.of("key", "value")) {
                w.output(DecoderLayout.present(i, part), OnnxGraph.FLOAT, "batch_size", (long) heads,
                        "total_sequence_length", (long) d);
            }
        }

        if (fileName.equals("decoder_model_merged.onnx")) {
            // a merged export: an If on use_cache_branch whose two branches (here the same decoder) read the
            // outer graph's inputs and initializers
            w.input(DecoderLayout.USE_CACHE_BRANCH, OnnxGraph.BOOL, 1L);
            OnnxWriter withPast = new OnnxWriter("with_past_");
            OnnxWriter withoutPast = new OnnxWriter("without_past_");
            List<String> outs = new java.util.ArrayList<>();
            outs.add(DecoderLayout.LOGITS);
            for (int i = 0; i < layers; i++) {
                outs.add(DecoderLayout.present(i, "key"));
                outs.add(DecoderLayout.present(i, "value"));
            }
            for (OnnxWriter branch : List.of(withPast, withoutPast)) {
                // as Optimum's: the branch without past ignores the past inputs (a wrong flag in a decode step
                // would drop the cache)
                List<String> produced = body(branch, layers, eps, branch == withPast);
                for (String name : produced) {
                    branch.outputOfAnyShape(name, OnnxGraph.FLOAT);
                }
            }
            w.node("If", List.of(DecoderLayout.USE_CACHE_BRANCH), outs, "then_branch", withPast, "else_branch",
                    withoutPast);
        } else {
            List<String> produced = body(w, layers, eps, true);
            for (int i = 0; i < produced.size(); i++) {
                w.node("Identity", List.of(produced.get(i)), List.of(i == 0 ? DecoderLayout.LOGITS
                        : DecoderLayout.present((i - 1) / 2, (i - 1) % 2 == 0 ? "key" : "value")));
            }
        }

        Path file = folder.resolve(fileName);
        Files.write(file, w.model());
        Files.writeString(folder.resolve("config.json"), new Gson().toJson(c));
        return file;
    }

    /**
     * The decoder's nodes: mask, embeddings, blocks, LM head.
     *
     * @param withPast whether keys and values are appended to the past inputs, or start anew
     * @return the logits' value name, then each layer's key and value cache
     */
    private static List<String> body(OnnxWriter w, int layers, double eps, boolean withPast) {
        // causal and padding mask [B, 1, T, S]: 0 where a query sees a key, MASKED elsewhere
        String keys = w.op("Gather", List.of(w.op("Shape", List.of(DecoderLayout.ATTENTION_MASK)), "i1"));
        String steps = w.op("Gather", List.of(w.op("Shape", List.of(DecoderLayout.INPUT_IDS)), "i1"));
        String past = w.op("Sub", List.of(keys, steps));
        String keyIndex = w.op("Range", List.of("i0", keys, "i1"));
        String queryIndex = w.op("Unsqueeze", List.of(w.op("Range", List.of(past, keys, "i1")), "axis1"));
        String causal = w.op("LessOrEqual", List.of(keyIndex, queryIndex));
        String padding = w.op("Unsqueeze", List.of(w.op("Cast", List.of(DecoderLayout.ATTENTION_MASK), "to",
                (long) OnnxGraph.BOOL), "axes12"));
        String mask = w.op("Where", List.of(w.op("And", List.of(causal, padding)), "zero", "masked"));

        List<String> presents = new java.util.ArrayList<>();
        String x = w.op("Add", List.of(w.op("Gather", List.of("wte.weight", DecoderLayout.INPUT_IDS)),
                w.op("Gather", List.of("wpe.weight", DecoderLayout.POSITION_IDS))));
        for (int i = 0; i < layers; i++) {
            String p = "h." + i + ".";
            String normed = layerNorm(w, x, p + "ln_1.", eps);
            String qkv = linear(w, normed, p + "attn.c_attn.");
            String q = w.fresh("q");
            String k = w.fresh("k");
            String v = w.fresh("v");
            w.node("Split", List.of(qkv, "split_qkv"), List.of(q, k, v), "axis", 2L);
            String keysAll = withPast ? w.op("Concat", List.of(DecoderLayout.past(i, "key"), heads(w, k)), "axis", 2L)
                    : heads(w, k);
            String valuesAll = withPast ? w.op("Concat", List.of(DecoderLayout.past(i, "value"), heads(w, v)), "axis",
                    2L) : heads(w, v);
            presents.add(keysAll);
            presents.add(valuesAll);
            String scores = w.op("MatMul", List.of(heads(w, q),
                    w.op("Transpose", List.of(keysAll), "perm", new long[] {0, 1, 3, 2})));
            String probabilities = w.op("Softmax", List.of(w.op("Add", List.of(w.op("Mul", List.of(scores, "scale")),
                    mask))), "axis", -1L);
            String context = w.op("MatMul", List.of(probabilities, valuesAll));
            String merged = w.op("Reshape", List.of(w.op("Transpose", List.of(context), "perm",
                    new long[] {0, 2, 1, 3}), "hidden_shape"));
            x = w.op("Add", List.of(x, linear(w, merged, p + "attn.c_proj.")));
            String up = linear(w, layerNorm(w, x, p + "ln_2.", eps), p + "mlp.c_fc.");
            String cube = w.op("Mul", List.of(w.op("Pow", List.of(up, "three")), "cubic"));
            String inner = w.op("Mul", List.of(w.op("Add", List.of(up, cube)), "sqrt_2_over_pi"));
            String gelu = w.op("Mul", List.of(w.op("Mul", List.of(up, "half")),
                    w.op("Add", List.of(w.op("Tanh", List.of(inner)), "one"))));
            x = w.op("Add", List.of(x, linear(w, gelu, p + "mlp.c_proj.")));
        }
        String rows = w.op("Reshape", List.of(layerNorm(w, x, "ln_f.", eps), "rows_shape"));
        String flat = w.op("Gemm", List.of(rows, "wte.weight"), "transB", 1L);
        String shape = w.op("Concat", List.of(w.op("Shape", List.of(DecoderLayout.INPUT_IDS)), "vocab_dim"), "axis",
                0L);
        presents.add(0, w.op("Reshape", List.of(flat, shape)));
        return presents;
    }

    private static String layerNorm(OnnxWriter w, String x, String prefix, double eps) {
        return w.op("LayerNormalization", List.of(x, prefix + "weight", prefix + "bias"), "axis", -1L, "epsilon",
                (float) eps);
    }

    /** Conv1D: x @ W[in, out] + b. */
    private static String linear(OnnxWriter w, String x, String prefix) {
        return w.op("Add", List.of(w.op("MatMul", List.of(x, prefix + "weight")), prefix + "bias"));
    }

    /** {@code [B, T, n*D]} -> {@code [B, n, T, D]}. */
    private static String heads(OnnxWriter w, String x) {
        return w.op("Transpose", List.of(w.op("Reshape", List.of(x, "heads_shape"))), "perm", new long[] {0, 2, 1, 3});
    }
}
