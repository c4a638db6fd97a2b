package lem.backend.djl.onnx;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * FLOPs of one step of an ONNX decoder, counted by walking its graph once: every {@code MatMul} or
 * {@code Gemm} whose second operand is a 2-D weight initializer (directly, or through
 * Transpose/Cast/Identity) costs {@code 2 x rows x in x out}, rows = batch x new tokens of the step;
 * every other {@code MatMul} multiplies two activations and is counted as attention, {@code 2 x batch
 * x heads x new tokens x keys x head_dim} (heads and head_dim from config.json). Fused attention
 * nodes ({@code Attention}, {@code MultiHeadAttention}, {@code GroupQueryAttention}) count as two such
 * matmuls. Of a merged export's {@code If} on {@code use_cache_branch}, the branch a step takes.
 */
public final class OnnxFlops {

    private static final Set<String> PASS_THROUGH = Set.of("Transpose", "Cast", "Identity");
    private static final Set<String> FUSED_ATTENTION = Set.of("Attention", "MultiHeadAttention",
            "GroupQueryAttention");

    /** Per graph branch: FLOPs per token row of weight matmuls, weight matmul nodes, attention matmuls. */
    private record Walk(long linearFlopsPerRow, int weightNodes, int attentionMatMuls) {
    }

    private final Walk prefill;
    private final Walk decode;
    private final int heads;
    private final int headDim;
    private final String method;

    public OnnxFlops(OnnxFolder folder) {
        this.heads = folder.heads();
        this.headDim = folder.headDim();
        this.prefill = walk(folder.graph(), false);
        this.decode = walk(folder.graph(), true);
        this.method = "counted by walking the ONNX graph of " + folder.modelFile().getFileName() + ", 2 FLOPs per"
                + " multiply-add: " + decode.weightNodes() + " MatMul/Gemm nodes with a weight initializer, 2 x rows"
                + " x in x out each with the initializer's shape and rows = batch x new tokens of the step (every"
                + " position the graph computes, padding and finished rows included; the LM head on every position"
                + " when the export returns logits for all of them); " + decode.attentionMatMuls() + " MatMul nodes"
                + " of two activations counted as attention, 2 x batch x heads x new tokens x keys x head_dim each"
                + " (heads " + heads + ", head_dim " + headDim + " from config.json); not counted: every other"
                + " node (norms, activations, softmax, adds, gathers)";
    }

    /** How the counts were made, for {@code ExecutedOperations.counts}. */
    public String method() {
        return method;
    }

    /** FLOPs of weight matmuls in a step of {@code batch} rows and {@code steps} new tokens. */
    public long linearFlops(int batch, int steps, boolean cached) {
        return (cached ? decode : prefill).linearFlopsPerRow() * batch * steps;
    }

    /** FLOPs of attention matmuls in a step over {@code keys} keys (cached plus new). */
    public long attentionFlops(int batch, int steps, int keys, boolean cached) {
        return (cached ? decode : prefill).attentionMatMuls() * 2L * batch * heads * steps * keys * headDim;
    }

    private static Walk walk(OnnxGraph root, boolean useCache) {
        long perRow = 0;
        int weights = 0;
        int attention = 0;
        Deque<OnnxGraph> todo = new ArrayDeque<>();
        todo.add(root);
        Map<String, long[]> initializers = new HashMap<>();
        Map<String, OnnxGraph.Node> producers = new HashMap<>();
        while (!todo.isEmpty()) {
            OnnxGraph graph = todo.poll();
            // names of an outer graph are visible inside its subgraphs
            initializers.putAll(graph.initializers());
            for (OnnxGraph.Node node : graph.nodes()) {
                for (String out : node.outputs()) {
                    producers.put(out, node);
                }
            }
            for (OnnxGraph.Node node : graph.nodes()) {
                switch (node.opType()) {
                    case "MatMul", "Gemm" -> {
                        long[] w = node.inputs().size() > 1 ? weight(node.inputs().get(1), initializers, producers)
                                : null;
                        if (w != null && w.length == 2) {
                            boolean transposed = node.opType().equals("Gemm")
                                    && node.ints().getOrDefault("transB", 0L) != 0;
                            long in = transposed ? w[1] : w[0];
                            long out = transposed ? w[0] : w[1];
                            perRow += 2 * in * out;
                            weights++;
                        } else if (node.opType().equals("MatMul")) {
                            attention++;
                        }
                    }
                    case "If" -> {
                        OnnxGraph branch = node.subgraphs().get(useCache ? "then_branch" : "else_branch");
                        if (branch != null) {
                            todo.add(branch);
                        }
                    }
                    default -> {
                        if (FUSED_ATTENTION.contains(node.opType())) {
                            attention += 2;
                        }
                    }
                }
            }
        }
        return new Walk(perRow, weights, attention);
    }

    /** The shape of the initializer a value is, directly or through Transpose, Cast and Identity; else null. */
    private static long[] weight(String name, Map<String, long[]> initializers, Map<String, OnnxGraph.Node> producers) {
        boolean swapped = false;
        for (int hops = 0; hops < 8; hops++) {
            long[] dims = initializers.get(name);
            if (dims != null) {
                return swapped && dims.length == 2 ? new long[] {dims[1], dims[0]} : dims;
            }
            OnnxGraph.Node producer = producers.get(name);
            if (producer == null || !PASS_THROUGH.contains(producer.opType()) || producer.inputs().isEmpty()) {
                return null;
            }
            if (producer.opType().equals("Transpose")) {
                swapped = !swapped;
            }
            name = producer.inputs().get(0);
        }
        return null;
    }

    /** For tests: the weight matmul nodes and the attention matmuls found on the decode branch. */
    List<Integer> decodeNodeCounts() {
        return List.of(decode.weightNodes(), decode.attentionMatMuls());
    }
}
