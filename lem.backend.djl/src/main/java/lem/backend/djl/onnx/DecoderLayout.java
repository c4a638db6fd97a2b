package lem.backend.djl.onnx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lem.backend.djl.transformer.ConfigException;

/**
 * What a decoder with KV cache in Hugging Face Optimum's layout takes and gives, discovered from its
 * graph (or session): {@code input_ids}, {@code attention_mask}, optionally {@code position_ids} and
 * {@code use_cache_branch}, {@code past_key_values.<i>.key/value} in; {@code logits} and
 * {@code present.<i>.key/value} out. Anything else it asks for is refused by name.
 *
 * @param layers        the number of cached layers
 * @param positionIds   whether it takes {@code position_ids}
 * @param useCacheBranch whether it takes {@code use_cache_branch} (a merged export)
 * @param cacheType     element type of the cache ({@link OnnxGraph#FLOAT} or {@link OnnxGraph#FLOAT16})
 * @param logitsType    element type of the logits
 * @param kvHeads       the cache's head count, -1 when the export leaves it symbolic
 * @param headDim       the cache's head dimension, -1 when symbolic
 */
public record DecoderLayout(int layers, boolean positionIds, boolean useCacheBranch, int cacheType, int logitsType,
        long kvHeads, long headDim) {

    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String POSITION_IDS = "position_ids";
    static final String USE_CACHE_BRANCH = "use_cache_branch";
    static final String LOGITS = "logits";
    private static final Pattern PAST = Pattern.compile("past_key_values\\.(\\d+)\\.(key|value)");
    private static final String FED = "input_ids, attention_mask, position_ids, past_key_values.<i>.key/value,"
            + " use_cache_branch";

    static String past(int layer, String part) {
        return "past_key_values." + layer + "." + part;
    }

    static String present(int layer, String part) {
        return "present." + layer + "." + part;
    }

    /**
     * Checks a decoder's inputs and outputs.
     *
     * @param file where they come from, for messages
     * @throws ConfigException naming an input lem cannot feed, a missing one, or a wrong element type
     */
    public static DecoderLayout of(List<OnnxGraph.Value> inputs, List<OnnxGraph.Value> outputs, String file)
            throws ConfigException {
        Map<String, OnnxGraph.Value> in = new LinkedHashMap<>();
        for (OnnxGraph.Value v : inputs) {
            in.put(v.name(), v);
        }
        Map<String, OnnxGraph.Value> out = new LinkedHashMap<>();
        for (OnnxGraph.Value v : outputs) {
            out.put(v.name(), v);
        }
        List<String> problems = new ArrayList<>();
        int layers = 0;
        for (String name : in.keySet()) {
            Matcher m = PAST.matcher(name);
            if (m.matches()) {
                layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
            } else if (!List.of(INPUT_IDS, ATTENTION_MASK, POSITION_IDS, USE_CACHE_BRANCH).contains(name)) {
                problems.add("input '" + name + "' cannot be fed by lem; it feeds " + FED);
            }
        }
        requireType(in, INPUT_IDS, OnnxGraph.INT64, file, problems, true);
        requireType(in, ATTENTION_MASK, OnnxGraph.INT64, file, problems, true);
        requireType(in, POSITION_IDS, OnnxGraph.INT64, file, problems, false);
        requireType(in, USE_CACHE_BRANCH, OnnxGraph.BOOL, file, problems, false);
        if (layers == 0) {
            problems.add("it has no past_key_values.<i>.key/value inputs: lem runs decoders with a KV cache (Optimum:"
                    + " export with --task text-generation-with-past)");
        }
        int cacheType = 0;
        long kvHeads = -1;
        long headDim = -1;
        for (int layer = 0; layer < layers; layer++) {
            for (String part : List.of("key", "value")) {
                OnnxGraph.Value v = in.get(past(layer, part));
                if (v == null) {
                    problems.add("input " + past(layer, part) + " is missing (the inputs have past_key_values up to"
                            + " layer " + (layers - 1) + ")");
                    continue;
                }
                if (v.elementType() != OnnxGraph.FLOAT && v.elementType() != OnnxGraph.FLOAT16) {
                    problems.add("input " + v.name() + " is " + OnnxGraph.typeName(v.elementType())
                            + "; allowed: float32, float16");
                } else if (cacheType == 0) {
                    cacheType = v.elementType();
                } else if (cacheType != v.elementType()) {
                    problems.add("input " + v.name() + " is " + OnnxGraph.typeName(v.elementType()) + " but "
                            + past(0, "key") + " is " + OnnxGraph.typeName(cacheType));
                }
                if (v.dims().length != 4) {
                    problems.add("input " + v.name() + " has " + v.dims().length
                            + " dimensions; allowed: 4 (batch, kv heads, past length, head dim)");
                } else {
                    kvHeads = v.dims()[1] > 0 ? v.dims()[1] : kvHeads;
                    headDim = v.dims()[3] > 0 ? v.dims()[3] : headDim;
                }
                if (!out.containsKey(present(layer, part))) {
                    problems.add("output " + present(layer, part) + " is missing: lem feeds each present.<i> back as"
                            + " the next step's past_key_values.<i>");
                }
            }
        }
        OnnxGraph.Value logits = out.get(LOGITS);
        int logitsType = 0;
        if (logits == null) {
            problems.add("output logits is missing; outputs: " + out.keySet());
        } else if (logits.elementType() != OnnxGraph.FLOAT && logits.elementType() != OnnxGraph.FLOAT16) {
            problems.add("output logits is " + OnnxGraph.typeName(logits.elementType()) + "; allowed: float32, float16");
        } else {
            logitsType = logits.elementType();
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(file + " is not a decoder lem can run: " + String.join("; ", problems));
        }
        return new DecoderLayout(layers, in.containsKey(POSITION_IDS), in.containsKey(USE_CACHE_BRANCH), cacheType,
                logitsType, kvHeads, headDim);
    }

    private static void requireType(Map<String, OnnxGraph.Value> in, String name, int type, String file,
            List<String> problems, boolean required) {
        OnnxGraph.Value v = in.get(name);
        if (v == null) {
            if (required) {
                problems.add("input " + name + " is missing");
            }
        } else if (v.elementType() != type) {
            problems.add("input " + name + " is " + OnnxGraph.typeName(v.elementType()) + "; allowed: "
                    + OnnxGraph.typeName(type));
        }
    }
}
