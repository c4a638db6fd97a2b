package lem.backend.djl.transformer;

import java.util.Map;

/**
 * A plain-Java float64 forward pass of the same architectures, written from the Hugging Face model
 * definitions, with no cache, no batching and no shortcuts: the logits of every position.
 */
public final class ReferenceForward {

    private final TransformerConfig c;
    private final Map<String, float[]> w;

    public ReferenceForward(TransformerConfig config, Map<String, float[]> weights) {
        this.c = config;
        this.w = weights;
    }

    /** Logits {@code [T][vocab]}. */
    public double[][] logits(int[] tokens) {
        int t = tokens.length;
        int h = c.hiddenSize();
        double[][] x = new double[t][h];
        boolean gpt2 = c.family() == TransformerConfig.Family.GPT2;
        float[] embed = w.get(gpt2 ? "wte.weight" : "model.embed_tokens.weight");
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < h; j++) {
                x[i][j] = embed[tokens[i] * h + j] + (gpt2 ? w.get("wpe.weight")[i * h + j] : 0);
            }
        }
        for (int layer = 0; layer < c.layers(); layer++) {
            x = gpt2 ? gpt2Layer(x, layer) : llamaLayer(x, layer);
        }
        double[][] normed = new double[t][];
        for (int i = 0; i < t; i++) {
            normed[i] = gpt2 ? layerNorm(x[i], "ln_f.") : rmsNorm(x[i], "model.norm.weight");
        }
        float[] head = w.containsKey(WeightLayout.LM_HEAD) && !c.tiedEmbeddings() ? w.get(WeightLayout.LM_HEAD) : embed;
        return matmulTransposed(normed, head, c.vocabSize(), h, null);
    }

    private double[][] gpt2Layer(double[][] x, int layer) {
        String p = "h." + layer + ".";
        int t = x.length;
        int h = c.hiddenSize();
        double[][] n1 = new double[t][];
        for (int i = 0; i < t; i++) {
            n1[i] = layerNorm(x[i], p + "ln_1.");
        }
        double[][] qkv = matmulConv1d(n1, w.get(p + "attn.c_attn.weight"), h, 3 * h, w.get(p + "attn.c_attn.bias"));
        double[][] q = columns(qkv, 0, h);
        double[][] k = columns(qkv, h, h);
        double[][] v = columns(qkv, 2 * h, h);
        double[][] ctx = attention(q, k, v);
        double[][] out = matmulConv1d(ctx, w.get(p + "attn.c_proj.weight"), h, h, w.get(p + "attn.c_proj.bias"));
        add(x, out);
        double[][] n2 = new double[t][];
        for (int i = 0; i < t; i++) {
            n2[i] = layerNorm(x[i], p + "ln_2.");
        }
        int inner = c.intermediateSize();
        double[][] up = matmulConv1d(n2, w.get(p + "mlp.c_fc.weight"), h, inner, w.get(p + "mlp.c_fc.bias"));
        for (double[] row : up) {
            for (int j = 0; j < row.length; j++) {
                double a = row[j];
                row[j] = 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a)));
            }
        }
        add(x, matmulConv1d(up, w.get(p + "mlp.c_proj.weight"), inner, h, w.get(p + "mlp.c_proj.bias")));
        return x;
    }

    private double[][] llamaLayer(double[][] x, int layer) {
        String p = "model.layers." + layer + ".";
        int t = x.length;
        int h = c.hiddenSize();
        int d = c.headDim();
        double[][] n1 = new double[t][];
        for (int i = 0; i < t; i++) {
            n1[i] = rmsNorm(x[i], p + "input_layernorm.weight");
        }
        double[][] q = matmulTransposed(n1, w.get(p + "self_attn.q_proj.weight"), c.heads() * d, h,
                w.get(p + "self_attn.q_proj.bias"));
        double[][] k = matmulTransposed(n1, w.get(p + "self_attn.k_proj.weight"), c.kvHeads() * d, h,
                w.get(p + "self_attn.k_proj.bias"));
        double[][] v = matmulTransposed(n1, w.get(p + "self_attn.v_proj.weight"), c.kvHeads() * d, h,
                w.get(p + "self_attn.v_proj.bias"));
        rope(q, c.heads());
        rope(k, c.kvHeads());
        double[][] ctx = attention(q, k, v);
        add(x, matmulTransposed(ctx, w.get(p + "self_attn.o_proj.weight"), h, c.heads() * d,
                w.get(p + "self_attn.o_proj.bias")));
        double[][] n2 = new double[t][];
        for (int i = 0; i < t; i++) {
            n2[i] = rmsNorm(x[i], p + "post_attention_layernorm.weight");
        }
        int inner = c.intermediateSize();
        double[][] gate = matmulTransposed(n2, w.get(p + "mlp.gate_proj.weight"), inner, h, null);
        double[][] up = matmulTransposed(n2, w.get(p + "mlp.up_proj.weight"), inner, h, null);
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < inner; j++) {
                double g = gate[i][j];
                up[i][j] *= g / (1 + Math.exp(-g));
            }
        }
        add(x, matmulTransposed(up, w.get(p + "mlp.down_proj.weight"), h, inner, null));
        return x;
    }

    /** Causal attention; query head i reads key/value head i / (heads / kvHeads). */
    private double[][] attention(double[][] q, double[][] k, double[][] v) {
        int t = q.length;
        int d = c.headDim();
        int group = c.heads() / c.kvHeads();
        double[][] out = new double[t][c.heads() * d];
        for (int head = 0; head < c.heads(); head++) {
            int kvHead = head / group;
            for (int i = 0; i < t; i++) {
                double[] scores = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double s = 0;
                    for (int e = 0; e < d; e++) {
                        s += q[i][head * d + e] * k[j][kvHead * d + e];
                    }
                    scores[j] = s / Math.sqrt(d);
                    max = Math.max(max, scores[j]);
                }
                double total = 0;
                for (int j = 0; j <= i; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    total += scores[j];
                }
                for (int j = 0; j <= i; j++) {
                    for (int e = 0; e < d; e++) {
                        out[i][head * d + e] += scores[j] / total * v[j][kvHead * d + e];
                    }
                }
            }
        }
        return out;
    }

    private void rope(double[][] x, int heads) {
        int d = c.headDim();
        int half = d / 2;
        for (int pos = 0; pos < x.length; pos++) {
            for (int head = 0; head < heads; head++) {
                int base = head * d;
                double[] rotated = new double[d];
                for (int i = 0; i < half; i++) {
                    double angle = pos / Math.pow(c.ropeTheta(), 2.0 * i / d);
                    double a = x[pos][base + i];
                    double b = x[pos][base + half + i];
                    rotated[i] = a * Math.cos(angle) - b * Math.sin(angle);
                    rotated[half + i] = b * Math.cos(angle) + a * Math.sin(angle);
                }
                System.arraycopy(rotated, 0, x[pos], base, d);
            }
        }
    }

    private double[] layerNorm(double[] x, String prefix) {
        double mean = 0;
        for (double a : x) {
            mean += a;
        }
        mean /= x.length;
        double variance = 0;
        for (double a : x) {
            variance += (a - mean) * (a - mean);
        }
        variance /= x.length;
        float[] g = w.get(prefix + "weight");
        float[] b = w.get(prefix + "bias");
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - mean) / Math.sqrt(variance + c.normEps()) * g[i] + b[i];
        }
        return out;
    }

    private double[] rmsNorm(double[] x, String name) {
        double square = 0;
        for (double a : x) {
            square += a * a;
        }
        double scale = 1 / Math.sqrt(square / x.length + c.normEps());
        float[] g = w.get(name);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * g[i];
        }
        return out;
    }

    /** x @ W^T + b with W stored {@code [out, in]}. */
    private static double[][] matmulTransposed(double[][] x, float[] weight, int out, int in, float[] bias) {
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int j = 0; j < in; j++) {
                    s += x[i][j] * weight[o * in + j];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    /** x @ W + b with W stored {@code [in, out]} (GPT-2's Conv1D). */
    private static double[][] matmulConv1d(double[][] x, float[] weight, int in, int out, float[] bias) {
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int j = 0; j < in; j++) {
                    s += x[i][j] * weight[j * out + o];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private static double[][] columns(double[][] x, int from, int width) {
        double[][] out = new double[x.length][width];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], from, out[i], 0, width);
        }
        return out;
    }

    private static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += y[i][j];
            }
        }
    }
}
