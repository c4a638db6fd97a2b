package lem.backend.djl;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lem.api.backend.BackendSettings;
import lem.api.backend.LoadedModel;
import lem.api.backend.ValidationFinding;
import lem.api.model.ModelDescription;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.djl.transformer.ConfigException;
import lem.backend.djl.transformer.JsonFiles;
import lem.backend.djl.transformer.TorchScriptForward;
import lem.backend.djl.transformer.TransformerConfig;
import lem.backend.djl.transformer.WeightLayout;

/**
 * TorchScript decoders: a local model whose {@code model.path} is a {@code .pt} (or {@code .pts})
 * file, with {@code config.json} (the architecture, for positions, vocabulary, EOS and FLOPs) and
 * {@code tokenizer.json} beside it unless {@code backend.djl.torchscript} names them. That option
 * also states the module's input convention, {@code inputs}: the names, in the order its
 * {@code forward} takes them, of {@code input_ids}, {@code attention_mask} and
 * {@code position_ids} (default {@code [input_ids, attention_mask]}), and {@code cache}: {@code none}
 * (the default: no KV cache, the output is {@code logits [batch, sequence, vocab]} over the whole
 * sequence so far) or {@code past_key_values} (the module also takes the past keys and values, last
 * or where {@code inputs} places {@code past_key_values}, and returns the logits of the new
 * positions and the present keys and values; see {@link TorchScriptForward}).
 */
final class TorchScriptModels {

    /** The backend option holding the convention: {@code backend.djl.torchscript}. */
    static final String OPTION = "torchscript";
    static final List<String> DEFAULT_INPUTS = List.of("input_ids", "attention_mask");
    private static final List<String> KEYS = List.of("inputs", "cache", "config", "tokenizer");
    /** The values of {@code cache}: no KV cache, or the Hugging Face layout of past and present keys/values. */
    static final List<String> CACHES = List.of("none", TorchScriptForward.PAST);

    private TorchScriptModels() {
    }

    /** Whether a model spec names a TorchScript file. */
    static boolean applies(ModelSpec model) {
        String name = model.name().toLowerCase(Locale.ROOT);
        return model.source().equals("local") && (name.endsWith(".pt") || name.endsWith(".pts"));
    }

    /** What is wrong with {@code backend.djl.torchscript}, each mistake once. */
    static List<ValidationFinding> optionFindings(Object value) {
        List<ValidationFinding> findings = new ArrayList<>();
        if (!(value instanceof Map<?, ?> map)) {
            findings.add(ValidationFinding.optionError(OPTION, "djl option " + OPTION + " must be a map with "
                    + KEYS + ", e.g. {inputs: [input_ids, attention_mask]}; got " + value, List.of()));
            return findings;
        }
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String key = String.valueOf(entry.getKey());
            if (!KEYS.contains(key)) {
                findings.add(ValidationFinding.optionError(OPTION + "." + key, "djl option " + OPTION + "." + key
                        + " is unknown; allowed: " + String.join(", ", KEYS), KEYS));
            } else if (key.equals("inputs")) {
                try {
                    inputs(map);
                } catch (ConfigException e) {
                    findings.add(ValidationFinding.optionError(OPTION + ".inputs", e.getMessage(), List.of()));
                }
            } else if (key.equals("cache")) {
                try {
                    cached(map);
                } catch (ConfigException e) {
                    findings.add(ValidationFinding.optionError(OPTION + ".cache", e.getMessage(), CACHES));
                }
            } else if (!(entry.getValue() instanceof String text) || text.isBlank()) {
                findings.add(ValidationFinding.optionError(OPTION + "." + key, "djl option " + OPTION + "." + key
                        + " must be a path, got " + entry.getValue(), List.of()));
            }
        }
        return findings;
    }

    private static Map<?, ?> option(BackendSettings settings) {
        return settings.options().get(OPTION) instanceof Map<?, ?> map ? map : Map.of();
    }

    /** Whether {@code cache} selects the cached convention: {@code none} (the default) or {@code past_key_values}. */
    private static boolean cached(Map<?, ?> option) throws ConfigException {
        Object value = option.get("cache");
        if (value == null || value.equals("none")) {
            return false;
        }
        if (value.equals(TorchScriptForward.PAST)) {
            return true;
        }
        throw new ConfigException("djl option " + OPTION + ".cache must be none (no KV cache: every pass runs the"
                + " whole sequence so far) or " + TorchScriptForward.PAST + " (the module takes the past keys and"
                + " values and returns the present ones); got " + value);
    }

    /**
     * The module's arguments in order; with {@code cache: past_key_values} they hold
     * {@code past_key_values}, last unless {@code inputs} places it.
     */
    private static List<String> inputs(Map<?, ?> option) throws ConfigException {
        boolean cached = TorchScriptForward.PAST.equals(option.get("cache"));
        Object value = option.get("inputs");
        List<String> names = new ArrayList<>();
        if (value == null) {
            names.addAll(DEFAULT_INPUTS);
        } else {
            List<String> known = new ArrayList<>(TorchScriptForward.INPUTS);
            if (cached) {
                known.add(TorchScriptForward.PAST);
            }
            String allowed = "a list of distinct names from " + known + " that holds input_ids, in the order the"
                    + " module's forward takes them";
            if (!(value instanceof List<?> list) || list.isEmpty()) {
                throw new ConfigException("djl option " + OPTION + ".inputs must be " + allowed + "; got " + value);
            }
            for (Object item : list) {
                String name = String.valueOf(item);
                if (name.equals(TorchScriptForward.PAST) && !cached) {
                    throw new ConfigException("djl option " + OPTION + ".inputs: '" + name + "' is an input only with "
                            + OPTION + ".cache: " + TorchScriptForward.PAST);
                }
                if (!known.contains(name) || names.contains(name)) {
                    throw new ConfigException("djl option " + OPTION + ".inputs: '" + name + "' is "
                            + (names.contains(name) ? "given twice" : "not a known input") + "; it must be " + allowed);
                }
                names.add(name);
            }
            if (!names.contains("input_ids")) {
                throw new ConfigException("djl option " + OPTION + ".inputs must hold input_ids; got " + names);
            }
        }
        if (cached && !names.contains(TorchScriptForward.PAST)) {
            names.add(TorchScriptForward.PAST);
        }
        return names;
    }

    /** The file named by {@code key}, relative to the TorchScript file's folder, else {@code fallback} beside it. */
    private static Path beside(ModelSpec model, BackendSettings settings, String key, String fallback) {
        Path folder = Path.of(model.name()).toAbsolutePath().getParent();
        Object named = option(settings).get(key);
        return named instanceof String text ? folder.resolve(text) : folder.resolve(fallback);
    }

    /** The architecture from config.json; the TorchScript file must exist. */
    static TransformerConfig config(ModelSpec model, BackendSettings settings) throws ConfigException {
        Path file = Path.of(model.name());
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("TorchScript file " + file + " does not exist or is not a file");
        }
        Path config = beside(model, settings, "config", "config.json");
        if (!Files.isRegularFile(config)) {
            throw new ConfigException("TorchScript model " + file + " needs the Hugging Face config.json of its"
                    + " architecture (positions, vocabulary, EOS, FLOPs): " + config + " does not exist; put it"
                    + " beside the file or name it in backend.djl." + OPTION + ".config");
        }
        return TransformerConfig.of(JsonFiles.readObject(config), config.toString());
    }

    /** Whether a tokenizer.json is there for text prompts. */
    static boolean hasTokenizer(ModelSpec model, BackendSettings settings) {
        return Files.isRegularFile(beside(model, settings, "tokenizer", "tokenizer.json"));
    }

    /** Loads the module on {@code device} and wraps it as a djl model that generates as the built-in ones do. */
    static LoadedModel load(ModelSpec model, BackendSettings settings, TransformerConfig config, NDManager manager,
            Device device, Map<String, String> notes) throws ConfigException {
        if (model.precision() != Precision.FLOAT32) {
            throw new ConfigException("a TorchScript model runs in the precision its tensors were saved in;"
                    + " set precision: float32 (got " + model.precision().configName() + ")");
        }
        boolean cached = cached(option(settings));
        List<String> inputs = inputs(option(settings));
        Path file = Path.of(model.name()).toAbsolutePath();
        Model module = Model.newInstance(file.getFileName().toString(), device, DjlBackend.ENGINE);
        try {
            module.load(file);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            module.close();
            throw new ConfigException("TorchScript file " + file + " could not be loaded by PyTorch "
                    + DjlBackend.PYTORCH_VERSION + ": " + e.getMessage(), e);
        }
        Path tokenizerFile = beside(model, settings, "tokenizer", "tokenizer.json");
        HuggingFaceTokenizer tokenizer = DjlBackend.tokenizer(tokenizerFile, notes);
        notes.put("torchscript", cached
                ? "inputs " + inputs + " -> (logits [batch, new, vocab], present); KV cache " + TorchScriptForward.PAST
                        + ": a tuple of per-layer (key, value) tuples [batch, kv_heads, past, head_dim], 0 positions at"
                        + " the first pass, the module's present kept on the device as the next pass's past;"
                        + " attention_mask covers past and new positions, input_ids and position_ids the new ones; the"
                        + " counted FLOPs are those cached passes (projections and LM head on the new positions, as"
                        + " the module returns logits for each, attention of the new positions over past and new keys)"
                : "inputs " + inputs + " -> logits [batch, sequence, vocab]; no KV cache in this"
                        + " convention: every pass runs over the whole sequence so far, and the counted FLOPs are that"
                        + " recomputation (projections and LM head on every position, attention over all positions)");
        notes.put("device", device.toString());
        ModelDescription description = new ModelDescription(model.name(), config.modelType(),
                WeightLayout.parameterCount(config), Precision.FLOAT32, Precision.FLOAT32, "none", config.raw());
        return new DjlModel(description, config, null, new TorchScriptForward(config, module, inputs), manager,
                device, settings, tokenizer, notes);
    }
}
