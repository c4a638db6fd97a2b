package lem.backend.djl.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;

/**
 * The tensors the decoder runs on, made once at load time from the checkpoint's, so that a decode
 * step launches fewer kernels:
 * <ul>
 * <li>Llama-style {@code q_proj}, {@code k_proj}, {@code v_proj} stacked into {@code qkv_proj}
 * {@code [(heads + 2 kvHeads) * headDim, hidden]} (biases likewise): one matmul, split by views;</li>
 * <li>{@code gate_proj} and {@code up_proj} stacked into {@code gate_up_proj} {@code [2 * intermediate,
 * hidden]};</li>
 * <li>the query rows (GPT-2's first {@code hidden} rows of {@code c_attn}) multiplied by
 * {@code 1/sqrt(headDim)}, the attention scale, so the scores need no scaling op;</li>
 * <li>GPT-2's GELU constants as arrays on the device;</li>
 * <li>each RMSNorm scale {@code w} stored twice, {@code [w, w]}: RMSNorm(x) is the first half of
 * LayerNorm([x, -x]) with that scale and a zero shift, since [x, -x] has mean 0 and variance
 * mean(x^2); torch's layer_norm is one kernel that accumulates in float32.</li>
 * </ul>
 * The checkpoint's separate tensors are freed. Parameter counts and FLOPs are those of the
 * checkpoint's layout: the fused matmuls do exactly the separate ones' multiply-adds.
 */
public final class FusedLayout {

    /** GPT-2's GELU constant 2 sqrt(2/pi) 0.044715, {@code [1]} in the compute dtype on the device. */
    public static final String GELU_CUBIC = "lem.gelu.cubic";
    /** GPT-2's GELU constant 2 sqrt(2/pi), {@code [1]} in the compute dtype on the device. */
    public static final String GELU_LINEAR = "lem.gelu.linear";

    /** The zero shift of the mirrored RMSNorm, {@code [2 * hidden]}. */
    public static final String RMS_ZERO_SHIFT = "lem.rms_norm.zero_shift";

    private FusedLayout() {
    }

    /** The stacked q, k, v projection of a Llama-style layer. */
    public static String qkv(int layer) {
        return "model.layers." + layer + ".self_attn.qkv_proj";
    }

    /** The stacked gate and up projection of a Llama-style layer. */
    public static String gateUp(int layer) {
        return "model.layers." + layer + ".mlp.gate_up_proj";
    }

    /** The RMSNorm scale stored twice, {@code [w, w]}, for a checkpoint's norm weight name. */
    public static String mirrored(String normWeight) {
        return normWeight + ".mirrored";
    }

    /** The attention scale folded into the query rows. */
    public static double queryScale(TransformerConfig config) {
        return 1.0 / Math.sqrt(config.headDim());
    }

    /** Replaces the checkpoint's tensors in {@code tensors} by the fused ones. */
    static void fuse(TransformerConfig config, Map<String, NDArray> tensors) {
        double scale = queryScale(config);
        if (config.family() == TransformerConfig.Family.GPT2) {
            long h = config.hiddenSize();
            for (int layer = 0; layer < config.layers(); layer++) {
                String p = "h." + layer + ".attn.c_attn.";
                // [3h, h] (a transposed view of Conv1D's [h, 3h]): the first h rows make the queries
                tensors.put(p + "weight", scaleLeadingRows(tensors.get(p + "weight"), h, scale));
                tensors.put(p + "bias", scaleLeadingRows(tensors.get(p + "bias"), h, scale));
            }
            NDArray wte = tensors.get("wte.weight");
            double twiceRoot = 2 * Math.sqrt(2.0 / Math.PI);
            tensors.put(GELU_CUBIC, wte.getManager().create(new float[] {(float) (twiceRoot * 0.044715)})
                    .toType(wte.getDataType(), false));
            tensors.put(GELU_LINEAR, wte.getManager().create(new float[] {(float) twiceRoot})
                    .toType(wte.getDataType(), false));
            return;
        }
        long queryRows = (long) config.heads() * config.headDim();
        for (int layer = 0; layer < config.layers(); layer++) {
            String p = "model.layers." + layer + ".";
            for (String part : new String[] {"weight", "bias"}) {
                String q = p + "self_attn.q_proj." + part;
                if (tensors.containsKey(q)) {
                    NDArray scaled = scaleLeadingRows(tensors.remove(q), queryRows, scale);
                    tensors.put(qkv(layer) + "." + part, stack(scaled, tensors.remove(p + "self_attn.k_proj." + part),
                            tensors.remove(p + "self_attn.v_proj." + part)));
                }
                String gate = p + "mlp.gate_proj." + part;
                if (tensors.containsKey(gate)) {
                    tensors.put(gateUp(layer) + "." + part,
                            stack(tensors.remove(gate), tensors.remove(p + "mlp.up_proj." + part)));
                }
            }
            mirror(tensors, p + "input_layernorm.weight");
            mirror(tensors, p + "post_attention_layernorm.weight");
        }
        NDArray finalNorm = tensors.get("model.norm.weight");
        tensors.put(RMS_ZERO_SHIFT, finalNorm.getManager().zeros(new Shape(2L * config.hiddenSize()),
                finalNorm.getDataType()));
        mirror(tensors, "model.norm.weight");
    }

    /** Concatenates along the first axis and frees the parts. */
    private static NDArray stack(NDArray... parts) {
        NDArray out = NDArrays.concat(new NDList(parts), 0);
        for (NDArray part : parts) {
            part.close();
        }
        return out;
    }

    private static void mirror(Map<String, NDArray> tensors, String name) {
        NDArray w = tensors.remove(name);
        tensors.put(mirrored(name), stack(w, w.duplicate()));
    }

    /** A copy whose first {@code rows} entries along axis 0 are multiplied (in float32) by {@code factor}. */
    private static NDArray scaleLeadingRows(NDArray array, long rows, double factor) {
        DataType dtype = array.getDataType();
        NDArray head = array.get(new NDIndex(":{}", rows)).toType(DataType.FLOAT32, true).muli(factor)
                .toType(dtype, false);
        NDArray tail = array.get(new NDIndex("{}:", rows)).duplicate();
        array.close();
        return stack(head, tail);
    }
}
