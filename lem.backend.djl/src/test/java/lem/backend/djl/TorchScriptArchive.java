package lem.backend.djl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lem.backend.djl.transformer.ScriptArchive;
import lem.backend.djl.transformer.TinyCheckpoint;
import lem.backend.djl.transformer.TransformerConfig;

/**
 * A TorchScript archive written by hand ({@link ScriptArchive}), without Python: a Llama-style
 * decoder whose forward is written in TorchScript with the weights of a {@link TinyCheckpoint} as
 * attributes.
 */
final class TorchScriptArchive {

    /** What the module's forward returns. */
    enum Output {
        /** {@code logits [batch, sequence, vocab]}: no KV cache. */
        LOGITS,
        /**
         * The cached convention: {@code (logits, ((key, value) per layer))}, taking
         * {@code past_key_values} in the same layout.
         */
        PRESENT,
        /** Takes {@code past_key_values} but returns a flat {@code (logits, key0, value0, key1, ...)}: not the convention. */
        FLAT_PRESENT,
        /** As {@link #PRESENT}, but the present holds only the new positions: not the convention. */
        NEW_ONLY_PRESENT
    }

    private TorchScriptArchive() {
    }

    /**
     * A Llama-style decoder (no biases) with the checkpoint's weights, taking {@code inputs} in
     * that order; without {@code position_ids} it counts positions from the attention mask.
     */
    static void writeLlama(Path file, TinyCheckpoint checkpoint, TransformerConfig c, String... inputs)
            throws IOException {
        writeLlama(file, checkpoint, c, Output.LOGITS, inputs);
    }

    /**
     * As {@link #writeLlama(Path, TinyCheckpoint, TransformerConfig, String...)}, returning
     * {@code output}; with a cache ({@code inputs} then hold {@code past_key_values}) the attention
     * mask covers past and new positions, the other inputs the new ones.
     */
    static void writeLlama(Path file, TinyCheckpoint checkpoint, TransformerConfig c, Output output,
            String... inputs) throws IOException {
        boolean cached = output != Output.LOGITS;
        Map<String, String> attributes = new LinkedHashMap<>();
        checkpoint.tensors.keySet().forEach(name -> attributes.put(name, name.replace('.', '_')));
        int d = c.headDim();
        float[] inverse = new float[d / 2];
        for (int i = 0; i < d / 2; i++) {
            inverse[i] = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / d));
        }
        StringBuilder source = new StringBuilder("class Decoder(Module):\n  __parameters__ = []\n"
                + "  __buffers__ = []\n  training : bool\n  inv_freq : Tensor\n");
        attributes.values().forEach(a -> source.append("  ").append(a).append(" : Tensor\n"));
        String pair = "Tuple[Tensor, Tensor]";
        String layers = "Tuple[" + String.join(", ", Collections.nCopies(c.layers(), pair)) + "]";
        source.append("  def forward(self: __torch__.Decoder");
        for (String input : inputs) {
            source.append(", ").append(input).append(": ").append(input.equals("past_key_values") ? layers : "Tensor");
        }
        String eps = String.format(Locale.ROOT, "%.10e", c.normEps());
        source.append(") -> ").append(switch (output) {
            case LOGITS -> "Tensor";
            case PRESENT, NEW_ONLY_PRESENT -> "Tuple[Tensor, " + layers + "]";
            case FLAT_PRESENT -> "Tuple[" + String.join(", ", Collections.nCopies(1 + 2 * c.layers(), "Tensor")) + "]";
        }).append(":\n")
                // t new positions after p past ones: kl keys in all (without a cache p = 0)
                .append("    n = torch.size(input_ids, 0)\n    t = torch.size(input_ids, 1)\n")
                .append("    kl = torch.size(attention_mask, 1)\n    p = kl - t\n")
                .append("    m = torch.to(attention_mask, 6)\n")
                .append(Arrays.asList(inputs).contains("position_ids")
                        ? "    pos = torch.to(position_ids, 6)\n"
                        : "    pos = torch.narrow(torch.clamp(torch.sub(torch.cumsum(m, 1), 1.0), 0.0), 1, p, t)\n")
                .append("    ang = torch.mul(torch.unsqueeze(pos, -1), self.inv_freq)\n")
                .append("    emb = torch.cat([ang, ang], -1)\n")
                .append("    cos = torch.unsqueeze(torch.cos(emb), 1)\n    sin = torch.unsqueeze(torch.sin(emb), 1)\n")
                .append("    causal = torch.tril(torch.ones([t, kl]), p)\n")
                .append("    allowed = torch.mul(torch.unsqueeze(causal, 0), torch.unsqueeze(m, 1))\n")
                .append("    bias = torch.unsqueeze(torch.mul(torch.rsub(allowed, 1.0), -1.0e30), 1)\n")
                .append("    x = torch.embedding(self.model_embed_tokens_weight, input_ids)\n");
        int group = c.heads() / c.kvHeads();
        for (int layer = 0; layer < c.layers(); layer++) {
            String p = "self.model_layers_" + layer + "_";
            source.append("    h = self.rms(x, ").append(p).append("input_layernorm_weight)\n")
                    .append("    q = self.rope(self.heads(torch.matmul(h, torch.t(").append(p)
                    .append("self_attn_q_proj_weight)), n, t, ").append(c.heads()).append("), cos, sin)\n")
                    .append("    k = self.rope(self.heads(torch.matmul(h, torch.t(").append(p)
                    .append("self_attn_k_proj_weight)), n, t, ").append(c.kvHeads()).append("), cos, sin)\n")
                    .append("    v = self.heads(torch.matmul(h, torch.t(").append(p)
                    .append("self_attn_v_proj_weight)), n, t, ").append(c.kvHeads()).append(")\n");
            if (cached) {
                source.append("    k").append(layer).append(" = torch.cat([past_key_values[").append(layer)
                        .append("][0], k], 2)\n")
                        .append("    v").append(layer).append(" = torch.cat([past_key_values[").append(layer)
                        .append("][1], v], 2)\n")
                        .append("    k = k").append(layer).append("\n    v = v").append(layer).append("\n");
            }
            source.append("    k = torch.repeat_interleave(k, ").append(group).append(", 1)\n")
                    .append("    v = torch.repeat_interleave(v, ").append(group).append(", 1)\n")
                    .append("    s = torch.add(torch.div(torch.matmul(q, torch.transpose(k, 2, 3)), ")
                    .append(Math.sqrt(d)).append("), bias)\n")
                    .append("    a = torch.matmul(torch.softmax(s, -1), v)\n")
                    .append("    a = torch.reshape(torch.transpose(a, 1, 2), [n, t, ").append(c.heads() * d)
                    .append("])\n")
                    .append("    x = torch.add(x, torch.matmul(a, torch.t(").append(p).append("self_attn_o_proj_weight)))\n")
                    .append("    h = self.rms(x, ").append(p).append("post_attention_layernorm_weight)\n")
                    .append("    g = torch.matmul(h, torch.t(").append(p).append("mlp_gate_proj_weight))\n")
                    .append("    u = torch.matmul(h, torch.t(").append(p).append("mlp_up_proj_weight))\n")
                    .append("    x = torch.add(x, torch.matmul(torch.mul(torch.mul(torch.sigmoid(g), g), u), torch.t(")
                    .append(p).append("mlp_down_proj_weight)))\n");
        }
        source.append("    x = self.rms(x, self.model_norm_weight)\n")
                .append("    logits = torch.matmul(x, torch.t(self.lm_head_weight))\n")
                .append("    return ").append(switch (output) {
                    case LOGITS -> "logits";
                    case PRESENT -> "(logits, (" + presents(c.layers(), "(k%1$d, v%1$d)") + "))";
                    case FLAT_PRESENT -> "(logits, " + presents(c.layers(), "k%1$d, v%1$d") + ")";
                    case NEW_ONLY_PRESENT -> "(logits, (" + presents(c.layers(),
                            "(torch.narrow(k%1$d, 2, p, t), torch.narrow(v%1$d, 2, p, t))") + "))";
                }).append("\n")
                .append("  def rms(self: __torch__.Decoder, x: Tensor, w: Tensor) -> Tensor:\n")
                .append("    r = torch.rsqrt(torch.add(torch.mean(torch.mul(x, x), [-1], True), ").append(eps)
                .append("))\n    return torch.mul(torch.mul(x, r), w)\n")
                .append("  def heads(self: __torch__.Decoder, x: Tensor, n: int, t: int, count: int) -> Tensor:\n")
                .append("    return torch.transpose(torch.reshape(x, [n, t, count, ").append(d).append("]), 1, 2)\n")
                .append("  def rope(self: __torch__.Decoder, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:\n")
                .append("    halves = torch.chunk(x, 2, -1)\n")
                .append("    rotated = torch.cat([torch.neg(halves[1]), halves[0]], -1)\n")
                .append("    return torch.add(torch.mul(x, cos), torch.mul(rotated, sin))\n");

        Map<String, ScriptArchive.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("inv_freq", new ScriptArchive.Tensor(inverse, new long[] {d / 2}));
        attributes.forEach((name, attribute) -> tensors.put(attribute,
                new ScriptArchive.Tensor(checkpoint.tensors.get(name), checkpoint.shapes.get(name))));
        ScriptArchive.write(file, "Decoder", source.toString(), tensors);
    }

    /** Each layer's present keys and values by {@code format} (layer as its argument), comma-separated. */
    private static String presents(int layers, String format) {
        List<String> each = new ArrayList<>();
        for (int layer = 0; layer < layers; layer++) {
            each.add(String.format(Locale.ROOT, format, layer));
        }
        return String.join(", ", each) + (layers == 1 && format.startsWith("(") ? "," : "");
    }
}
