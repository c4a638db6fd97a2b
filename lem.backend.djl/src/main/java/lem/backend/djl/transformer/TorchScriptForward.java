package lem.backend.djl.transformer;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A TorchScript decoder on DJL's PyTorch engine, called by a stated convention: its
 * {@code forward} takes the named inputs, each {@code [batch, sequence]} int64
 * ({@code input_ids}; {@code attention_mask}, 1 for a real token and 0 for left padding;
 * {@code position_ids}, each token's position in its own sequence, 0 for padding), and returns
 * {@code logits [batch, sequence, vocab]} (or a tuple whose first element they are). The module
 * has no KV cache in this convention: each pass runs over the whole sequence so far, which this
 * class keeps per batch (keyed by the batch's {@link KvCache}), and the logits of each row's last
 * position are the answer. FLOPs are counted for that full recomputation from the architecture
 * in config.json: every projection and the LM head on every position, attention over the full
 * square of positions.
 */
public final class TorchScriptForward implements Forward {

    /** The inputs a module may take, by the names the config uses. */
    public static final List<String> INPUTS = List.of("input_ids", "attention_mask", "position_ids");

    private final TransformerConfig config;
    private final Model model;
    private final List<String> inputs;
    /** The tokens and positions of each batch so far; a batch's cache is closed and dropped when it ends. */
    private final Map<KvCache, long[][][]> sequences = new WeakHashMap<>();

    public TorchScriptForward(TransformerConfig config, Model model, List<String> inputs) {
        this.config = config;
        this.model = model;
        this.inputs = List.copyOf(inputs);
    }

    @Override
    public TransformerConfig config() {
        return config;
    }

    @Override
    public NDArray forward(NDManager manager, long[][] tokenIds, int[][] positions, boolean[][] keyValid,
            KvCache cache, OperationCount count) {
        int batch = tokenIds.length;
        long[][][] held = sequences.get(cache);
        int past = held == null ? 0 : held[0][0].length;
        int steps = tokenIds[0].length;
        int length = past + steps;
        long[][] ids = new long[batch][];
        long[][] places = new long[batch][];
        for (int b = 0; b < batch; b++) {
            ids[b] = Arrays.copyOf(held == null ? new long[0] : held[0][b], length);
            places[b] = Arrays.copyOf(held == null ? new long[0] : held[1][b], length);
            for (int t = 0; t < steps; t++) {
                ids[b][past + t] = tokenIds[b][t];
                places[b][past + t] = keyValid[b][past + t] ? positions[b][t] : 0;
            }
        }
        sequences.put(cache, new long[][][] {ids, places});
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList in = new NDList();
            for (String name : inputs) {
                in.add(switch (name) {
                    case "input_ids" -> manager.create(Decoder.flatten(ids), new Shape(batch, length));
                    case "attention_mask" -> manager.create(Decoder.flatten(mask(keyValid, length)), new Shape(batch, length));
                    case "position_ids" -> manager.create(Decoder.flatten(places), new Shape(batch, length));
                    default -> throw new IllegalStateException("unknown TorchScript input " + name);
                });
            }
            NDList out = model.getBlock().forward(new ParameterStore(manager, false), in, false);
            NDArray logits = out.get(0);
            Shape shape = logits.getShape();
            if (shape.dimension() != 3 || shape.get(0) != batch || shape.get(1) != length
                    || shape.get(2) != config.vocabSize()) {
                throw new IllegalStateException("the TorchScript module returned " + shape + " as its first output;"
                        + " the convention is logits [batch, sequence, vocab] = [" + batch + ", " + length + ", "
                        + config.vocabSize() + "]");
            }
            NDArray last = logits.get(new NDIndex(":, -1, :")).toType(DataType.FLOAT32, true);
            count(batch, length, count);
            NDScope.unregister(last);
            return last;
        }
    }

    /** FLOPs of one pass over {@code length} positions of {@code batch} rows, everything recomputed. */
    private void count(long batch, long length, OperationCount count) {
        long h = config.hiddenSize();
        long d = config.headDim();
        long perToken = config.family() == TransformerConfig.Family.GPT2
                ? 4 * h * h + 2 * h * config.intermediateSize()
                : h * config.heads() * d + 2 * h * config.kvHeads() * d + config.heads() * d * h
                        + 3 * h * config.intermediateSize();
        count.addLinear(2 * batch * length * (perToken * config.layers() + h * config.vocabSize()));
        count.addAttention(2 * 2 * batch * config.heads() * length * length * d * config.layers());
    }

    private static long[][] mask(boolean[][] keyValid, int length) {
        long[][] mask = new long[keyValid.length][length];
        for (int b = 0; b < keyValid.length; b++) {
            for (int s = 0; s < length; s++) {
                mask[b][s] = keyValid[b][s] ? 1 : 0;
            }
        }
        return mask;
    }

    @Override
    public void close() {
        model.close();
    }
}
