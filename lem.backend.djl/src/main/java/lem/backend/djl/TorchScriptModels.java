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
 * {@code position_ids} (default {@code [input_ids, attention_mask]}); the output is
 * {@code logits [batch, sequence, vocab]}.
 */
final class TorchScriptModels {

    /** The backend option holding the convention: {@code backend.djl.torchscript}. */
    static final String OPTION = "torchscript";
    static final List<String> DEFAULT_INPUTS = List.of("input_ids", "attention_mask");
    private static final List<String> KEYS = List.of("inputs", "config", "tokenizer");

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

    private static List<String> inputs(Map<?, ?> option) throws ConfigException {
        Object value = option.get("inputs");
        if (value == null) {
            return DEFAULT_INPUTS;
        }
        String allowed = "a list of distinct names from " + TorchScriptForward.INPUTS + " that holds input_ids,"
                + " in the order the module's forward takes them";
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            throw new ConfigException("djl option " + OPTION + ".inputs must be " + allowed + "; got " + value);
        }
        List<String> names = new ArrayList<>();
        for (Object item : list) {
            String name = String.valueOf(item);
            if (!TorchScriptForward.INPUTS.contains(name) || names.contains(name)) {
                throw new ConfigException("djl option " + OPTION + ".inputs: '" + name + "' is "
                        + (names.contains(name) ? "given twice" : "not a known input") + "; it must be " + allowed);
            }
            names.add(name);
        }
        if (!names.contains("input_ids")) {
            throw new ConfigException("djl option " + OPTION + ".inputs must hold input_ids; got " + names);
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
        notes.put("torchscript", "inputs " + inputs + " -> logits [batch, sequence, vocab]; no KV cache in this"
                + " convention: every pass runs over the whole sequence so far, and the counted FLOPs are that"
                + " recomputation (projections and LM head on every position, attention over all positions)");
        notes.put("device", device.toString());
        ModelDescription description = new ModelDescription(model.name(), config.modelType(),
                WeightLayout.parameterCount(config), Precision.FLOAT32, Precision.FLOAT32, "none", config.raw());
        return new DjlModel(description, config, null, new TorchScriptForward(config, module, inputs), manager,
                device, settings, tokenizer, notes);
    }
}
