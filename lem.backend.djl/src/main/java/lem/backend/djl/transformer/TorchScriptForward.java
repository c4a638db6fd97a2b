package lem.backend.djl.transformer;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A TorchScript decoder on DJL's PyTorch engine, called by a stated convention: its
 * {@code forward} takes the named inputs, each {@code [batch, sequence]} int64
 * ({@code input_ids}; {@code attention_mask}, 1 for a real token and 0 for left padding;
 * {@code position_ids}, each token's position in its own sequence, 0 for padding).
 *
 * <p>Without {@link #PAST} among the inputs the module has no KV cache: it returns
 * {@code logits [batch, sequence, vocab]} (or a tuple whose first element they are), each pass
 * runs over the whole sequence so far, which this class keeps per batch (attached to the batch's
 * {@link KvCache}), and the logits of each row's last position are the answer. FLOPs are counted
 * for that full recomputation: every projection and the LM head on every position, attention
 * over the full square of positions.
 *
 * <p>With {@link #PAST} among the inputs (the cached convention, the layout {@code torch.jit.trace}
 * of a Hugging Face model with {@code use_cache=True, return_dict=False} gives) a pass feeds only the
 * new tokens: {@code input_ids} and {@code position_ids} are {@code [batch, new]},
 * {@code attention_mask} is {@code [batch, past + new]}, and {@code past_key_values} is a tuple of
 * one {@code (key, value)} tuple per layer, each {@code [batch, kv_heads, past, head_dim]} float32,
 * with 0 positions at the first pass. The module returns a tuple {@code (logits [batch, new, vocab],
 * present)}, {@code present} in the layout of the past with {@code past + new} positions; it stays
 * on the device as the next pass's past, attached to the batch's {@link KvCache}, and is freed when
 * that cache is closed. FLOPs: projections and the LM head on the new positions (the module returns
 * logits for each), attention of the new positions over past and new keys.
 */
public final class TorchScriptForward implements Forward {

    /** The inputs a module may take, by the names the config uses. */
    public static final List<String> INPUTS = List.of("input_ids", "attention_mask", "position_ids");
    /** The input of the cached convention holding the past keys and values, and the convention's name. */
    public static final String PAST = "past_key_values";

    private final TransformerConfig config;
    private final Model model;
    private final List<String> inputs;
    private final boolean cached;

    /**
     * @param inputs the module's arguments in order: names from {@link #INPUTS}, and {@link #PAST}
     *               for the cached convention
     */
    public TorchScriptForward(TransformerConfig config, Model model, List<String> inputs) {
        this.config = config;
        this.model = model;
        this.inputs = List.copyOf(inputs);
        this.cached = inputs.contains(PAST);
    }

    @Override
    public TransformerConfig config() {
        return config;
    }

    @Override
    public NDArray forward(NDManager manager, long[][] tokenIds, int[][] positions, boolean[][] keyValid,
            KvCache cache, OperationCount count) {
        return cached ? cachedForward(manager, tokenIds, positions, keyValid, cache, count)
                : recomputedForward(manager, tokenIds, positions, keyValid, cache, count);
    }

    /** The token ids and positions of a batch so far, for the convention without a KV cache. */
    private record Sequences(long[][] ids, long[][] places) implements AutoCloseable {
        @Override
        public void close() {
        }
    }

    private NDArray recomputedForward(NDManager manager, long[][] tokenIds, int[][] positions, boolean[][] keyValid,
            KvCache cache, OperationCount count) {
        int batch = tokenIds.length;
        Sequences held = cache.attached() instanceof Sequences sequences ? sequences : null;
        int past = held == null ? 0 : held.ids()[0].length;
        int steps = tokenIds[0].length;
        int length = past + steps;
        long[][] ids = new long[batch][];
        long[][] places = new long[batch][];
        for (int b = 0; b < batch; b++) {
            ids[b] = Arrays.copyOf(held == null ? new long[0] : held.ids()[b], length);
            places[b] = Arrays.copyOf(held == null ? new long[0] : held.places()[b], length);
            for (int t = 0; t < steps; t++) {
                ids[b][past + t] = tokenIds[b][t];
                places[b][past + t] = keyValid[b][past + t] ? positions[b][t] : 0;
            }
        }
        cache.attach(new Sequences(ids, places));
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
            count(batch, length, length, count);
            return lastPosition(logits);
        }
    }

    /** The present keys and values a module returned, held on the device as the next pass's past. */
    private record Present(IValue keysAndValues, int length) implements AutoCloseable {
        @Override
        public void close() {
            keysAndValues.close();
        }
    }

    private NDArray cachedForward(NDManager manager, long[][] tokenIds, int[][] positions, boolean[][] keyValid,
            KvCache cache, OperationCount count) {
        int batch = tokenIds.length;
        Present held = cache.attached() instanceof Present present ? present : null;
        int past = held == null ? 0 : held.length();
        int steps = tokenIds[0].length;
        int length = past + steps;
        long[][] places = new long[batch][steps];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                places[b][t] = keyValid[b][past + t] ? positions[b][t] : 0;
            }
        }
        PtNDManager pt = (PtNDManager) manager;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            List<IValue> made = new ArrayList<>();
            IValue out;
            try {
                IValue[] arguments = new IValue[inputs.size()];
                for (int i = 0; i < arguments.length; i++) {
                    String name = inputs.get(i);
                    if (name.equals(PAST)) {
                        arguments[i] = held != null ? held.keysAndValues() : noPast(pt, batch, made);
                        continue;
                    }
                    NDArray tensor = switch (name) {
                        case "input_ids" -> manager.create(Decoder.flatten(tokenIds), new Shape(batch, steps));
                        case "attention_mask" -> manager.create(Decoder.flatten(mask(keyValid, length)),
                                new Shape(batch, length));
                        case "position_ids" -> manager.create(Decoder.flatten(places), new Shape(batch, steps));
                        default -> throw new IllegalStateException("unknown TorchScript input " + name);
                    };
                    arguments[i] = IValue.from((PtNDArray) tensor);
                    made.add(arguments[i]);
                }
                out = ((PtSymbolBlock) model.getBlock()).forward(arguments);
            } finally {
                made.forEach(IValue::close);
            }
            IValue present;
            NDArray logits;
            try (out) {
                IValue[] parts = elements(out);
                if (parts == null || parts.length < 2 || !parts[0].isTensor()
                        || !(parts[1].isTuple() || parts[1].isList())) {
                    closeAll(parts);
                    throw layout("it returned " + out.getType(), batch, steps, length);
                }
                logits = parts[0].toTensor(pt);
                present = parts[1];
                parts[1] = null;
                closeAll(parts);
            }
            // from here the present is this pass's: attached to the cache, freed with it, even if it is wrong
            cache.attach(new Present(present, length));
            Shape shape = logits.getShape();
            if (!shape.equals(new Shape(batch, steps, config.vocabSize()))) {
                throw layout("its logits are " + shape, batch, steps, length);
            }
            checkPresent(pt, present, batch, steps, length);
            count(batch, steps, length, count);
            return lastPosition(logits);
        }
    }

    /** The past of the first pass: per layer a key and a value with 0 positions, on the device. */
    private IValue noPast(PtNDManager manager, int batch, List<IValue> made) {
        Shape empty = new Shape(batch, config.kvHeads(), 0, config.headDim());
        IValue[] layers = new IValue[config.layers()];
        for (int layer = 0; layer < layers.length; layer++) {
            IValue key = IValue.from((PtNDArray) manager.zeros(empty, DataType.FLOAT32));
            IValue value = IValue.from((PtNDArray) manager.zeros(empty, DataType.FLOAT32));
            layers[layer] = IValue.tupleFrom(key, value);
            key.close();
            value.close();
        }
        IValue past = IValue.tupleFrom(layers);
        Arrays.stream(layers).forEach(IValue::close);
        made.add(past);
        return past;
    }

    /** Checks the present: one (key, value) per layer, each {@code [batch, kv_heads, length, head_dim]}. */
    private void checkPresent(PtNDManager manager, IValue present, int batch, int steps, int length) {
        Shape expected = new Shape(batch, config.kvHeads(), length, config.headDim());
        IValue[] layers = elements(present);
        try {
            if (layers == null || layers.length != config.layers()) {
                throw layout("its present key/values are " + present.getType(), batch, steps, length);
            }
            for (int layer = 0; layer < layers.length; layer++) {
                IValue[] pair = elements(layers[layer]);
                try {
                    if (pair == null || pair.length != 2 || !pair[0].isTensor() || !pair[1].isTensor()) {
                        throw layout("the present of layer " + layer + " is " + layers[layer].getType(), batch, steps,
                                length);
                    }
                    for (int i = 0; i < 2; i++) {
                        Shape shape = pair[i].toTensor(manager).getShape();
                        if (!shape.equals(expected)) {
                            throw layout("the present " + (i == 0 ? "key" : "value") + " of layer " + layer + " is "
                                    + shape, batch, steps, length);
                        }
                    }
                } finally {
                    closeAll(pair);
                }
            }
        } finally {
            closeAll(layers);
        }
    }

    /** The elements of a tuple (or list), each a new handle the caller closes; null for anything else. */
    private static IValue[] elements(IValue value) {
        return value.isTuple() ? value.toIValueTuple() : value.isList() ? value.toIValueArray() : null;
    }

    private static void closeAll(IValue[] values) {
        if (values != null) {
            for (IValue value : values) {
                if (value != null) {
                    value.close();
                }
            }
        }
    }

    private IllegalStateException layout(String found, int batch, int steps, int length) {
        return new IllegalStateException("the TorchScript module does not return what the convention backend.djl."
                + "torchscript.cache: " + PAST + " states: " + found + "; it must return a tuple (logits [batch, new,"
                + " vocab], present), present a tuple of " + config.layers() + " per-layer (key, value) tuples, each"
                + " [batch, kv_heads, past + new, head_dim]; here logits [" + batch + ", " + steps + ", "
                + config.vocabSize() + "] and keys/values [" + batch + ", " + config.kvHeads() + ", " + length + ", "
                + config.headDim() + "]");
    }

    /** The float32 logits of each row's last position, {@code [batch, vocab]}, outliving the pass's scope. */
    private static NDArray lastPosition(NDArray logits) {
        NDArray last = logits.get(new NDIndex(":, -1, :")).toType(DataType.FLOAT32, true);
        NDScope.unregister(last);
        return last;
    }

    /**
     * FLOPs of one pass of {@code batch} rows: projections and the LM head on {@code positions} new
     * positions each, attention of those positions over {@code keys} key positions.
     */
    private void count(long batch, long positions, long keys, OperationCount count) {
        long h = config.hiddenSize();
        long d = config.headDim();
        long perToken = config.family() == TransformerConfig.Family.GPT2
                ? 4 * h * h + 2 * h * config.intermediateSize()
                : h * config.heads() * d + 2 * h * config.kvHeads() * d + config.heads() * d * h
                        + 3 * h * config.intermediateSize();
        count.addLinear(2 * batch * positions * (perToken * config.layers() + h * config.vocabSize()));
        count.addAttention(2 * 2 * batch * config.heads() * positions * keys * d * config.layers());
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
