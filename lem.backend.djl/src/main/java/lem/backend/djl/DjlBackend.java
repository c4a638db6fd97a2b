package lem.backend.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import lem.api.backend.BackendException;
import lem.api.backend.BackendInfo;
import lem.api.backend.BackendSettings;
import lem.api.backend.BackendValidation;
import lem.api.backend.BatchingMode;
import lem.api.backend.Capabilities;
import lem.api.backend.InferenceBackend;
import lem.api.backend.InferenceBackendService;
import lem.api.backend.LoadedModel;
import lem.api.backend.Parallelism;
import lem.api.backend.ValidationFinding;
import lem.api.backend.ValidationFinding.Setting;
import lem.api.backend.ValidationReport;
import lem.api.model.ModelDescription;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.djl.onnx.OnnxDecoder;
import lem.backend.djl.onnx.OnnxFolder;
import lem.backend.djl.transformer.ConfigException;
import lem.backend.djl.transformer.Decoder;
import lem.backend.djl.transformer.Forward;
import lem.backend.djl.transformer.JsonFiles;
import lem.backend.djl.transformer.ModelPresets;
import lem.backend.djl.transformer.ModelWeights;
import lem.backend.djl.transformer.ScriptedDecoder;
import lem.backend.djl.transformer.TransformerConfig;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * In-process generation on DJL's PyTorch engine: decoder-only transformers (GPT-2, Llama, Mistral,
 * Qwen2) implemented on NDArrays, from seeded synthetic weights or a local Hugging Face folder.
 */
@Component(service = InferenceBackend.class, configurationPid = DjlBackend.PID)
@InferenceBackendService(name = DjlBackend.NAME)
@Designate(ocd = DjlBackend.Config.class)
public class DjlBackend implements InferenceBackend, BackendValidation {

    public static final String NAME = "djl";
    static final String PID = "lem.backend.djl";
    /** System property that moves DJL's native cache (the config wins when it sets a folder). */
    public static final String CACHE_PROPERTY = "lem.djl.cache";
    static final String ENGINE = "PyTorch";
    static final String PYTORCH_VERSION = "2.7.1";
    /** The one backend option: PyTorch intra-op threads on CPU. */
    static final String THREADS_OPTION = "threads";
    /** ONNX models only: cpu, cuda or tensorrt (default: cuda on a CUDA device, else cpu). */
    static final String PROVIDER_OPTION = "execution_provider";
    /**
     * Which implementation of the built-in architectures runs a pass: {@value #SCRIPTED} (one
     * TorchScript call per pass; the default) or {@value #NDARRAY} (one DJL call per operation).
     */
    static final String DECODER_OPTION = "decoder";
    static final String SCRIPTED = "scripted";
    static final String NDARRAY = "ndarray";
    /** More intra-op threads than this is a typo, not a host. */
    static final int MAX_THREADS = 1024;

    @ObjectClassDefinition(name = "lem DJL backend", description = "In-process generation on DJL's PyTorch engine")
    public @interface Config {
        @AttributeDefinition(name = "Native cache folder", description = "Where DJL unpacks libtorch and the"
                + " tokenizers library; empty: the system property lem.djl.cache, else ${user.home}/.lem/djl-cache")
        String native_cache_folder() default "";
    }

    private volatile Path cacheFolder;

    /** For Declarative Services; {@link #activate} configures the natives. */
    public DjlBackend() {
    }

    /** Outside a framework (tests, the benchmark): natives unpack into {@code cacheFolder}. */
    public DjlBackend(Path cacheFolder) {
        useCache(cacheFolder);
    }

    @Activate
    void activate(Config config) {
        String configured = config.native_cache_folder();
        useCache(configured != null && !configured.isBlank() ? Path.of(configured) : defaultCacheFolder());
    }

    /** The system property {@value #CACHE_PROPERTY}, else {@code ${user.home}/.lem/djl-cache}. */
    public static Path defaultCacheFolder() {
        String property = System.getProperty(CACHE_PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        return Path.of(System.getProperty("user.home"), ".lem", "djl-cache");
    }

    private void useCache(Path folder) {
        cacheFolder = folder.toAbsolutePath();
        // DJL reads these as system properties; they are process-wide, as DJL's engine is
        System.setProperty("DJL_CACHE_DIR", cacheFolder.toString());
        System.setProperty("ai.djl.offline", "true");
    }

    @Override
    public BackendInfo info() {
        Capabilities capabilities = new Capabilities(true, EnumSet.of(BatchingMode.STATIC, BatchingMode.SORTED_STATIC),
                Set.of("cpu", "cuda"), EnumSet.of(Precision.FLOAT32, Precision.FLOAT16, Precision.BFLOAT16),
                EnumSet.of(Parallelism.NONE), true, Set.of("synthetic", "local"), true);
        // one backend, two engines: which one ran a model is the result's backend note "engine"
        return new BackendInfo(NAME, "in-process decoder-only transformers (GPT-2, Llama, Mistral, Qwen2) on DJL",
                "DJL " + djlVersion() + " / PyTorch " + PYTORCH_VERSION + "; ONNX Runtime for ONNX models",
                capabilities);
    }

    private static String djlVersion() {
        try (DjlClassLoaderScope scope = DjlClassLoaderScope.enter()) {
            return Engine.getDjlVersion();
        } catch (RuntimeException e) {
            return "0.35.1";
        }
    }

    @Override
    public LoadedModel open(ModelSpec model, BackendSettings settings) throws BackendException {
        if (cacheFolder == null) {
            useCache(defaultCacheFolder());
        }
        checkSettings(model, settings);
        DataType dtype = switch (model.precision()) {
            case FLOAT16 -> DataType.FLOAT16;
            case BFLOAT16 -> DataType.BFLOAT16;
            default -> DataType.FLOAT32;
        };
        Map<String, String> notes = new LinkedHashMap<>();
        try {
            if (isOnnx(model)) {
                return openOnnx(model, settings, notes);
            }
            if (TorchScriptModels.applies(model)) {
                return load(model, settings, TorchScriptModels.config(model, settings), null, dtype, notes);
            }
            ModelSource source = ModelSource.of(model);
            if (source.folder() == null) {
                notes.put("weights", "synthetic: normal(0, initializer_range) with seed " + model.seed()
                        + ", norm scales 1, biases 0");
            }
            return load(model, settings, source.config(), source.folder(), dtype, notes);
        } catch (ConfigException e) {
            throw new BackendException(e.getMessage(), e);
        }
    }

    /**
     * Where a model's architecture comes from.
     *
     * @param config its transformer config
     * @param folder the Hugging Face folder holding its weights; null for synthetic weights
     */
    private record ModelSource(TransformerConfig config, Path folder) {
        static ModelSource of(ModelSpec model) throws ConfigException {
            if (model.source().equals("synthetic")) {
                if (ModelPresets.names().contains(model.name())) {
                    return new ModelSource(TransformerConfig.of(ModelPresets.config(model.name()),
                            "preset " + model.name()), null);
                }
                Path path = Path.of(model.name());
                Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
                if (!Files.isRegularFile(file)) {
                    throw new ConfigException("synthetic model '" + model.name() + "' is neither a preset "
                            + ModelPresets.names() + " nor an existing config.json (or a folder holding one)");
                }
                return new ModelSource(TransformerConfig.of(JsonFiles.readObject(file), file.toString()), null);
            }
            Path folder = Path.of(model.name());
            if (!Files.exists(folder)) {
                throw new ConfigException("local model folder " + folder + " does not exist");
            }
            if (!Files.isDirectory(folder)) {
                throw new ConfigException(folder + " is not a folder; a local model is a Hugging Face folder"
                        + " holding config.json and *.safetensors");
            }
            Path file = folder.resolve("config.json");
            if (!Files.isRegularFile(file)) {
                throw new ConfigException("local model folder " + folder
                        + " has no config.json; a Hugging Face folder needs config.json and *.safetensors");
            }
            return new ModelSource(TransformerConfig.of(JsonFiles.readObject(file), file.toString()), folder);
        }
    }

    /**
     * Everything that can be known without loading weights: the options, precision, device (the
     * engine is started only for a CUDA device, to count GPUs), the model's config and, for a local
     * folder, every safetensors header against it.
     */
    @Override
    public ValidationReport validate(ModelSpec model, BackendSettings settings) {
        List<ValidationFinding> findings = settingFindings(model, settings);
        if (isOnnx(model)) {
            // ONNX Runtime, not DJL's PyTorch engine, runs it: only the device's spelling is checked here
            try {
                cudaIndex(settings.device());
            } catch (BackendException e) {
                findings.add(ValidationFinding.error(Setting.DEVICE, e.getMessage()));
            }
            return validateOnnx(model, settings, findings);
        }
        deviceFinding(settings.device(), findings);
        int maxSequence = 0;
        boolean text = false;
        boolean knownSource = model.source().equals("synthetic") || model.source().equals("local");
        if (TorchScriptModels.applies(model)) {
            try {
                maxSequence = TorchScriptModels.config(model, settings).maxPositions();
                text = TorchScriptModels.hasTokenizer(model, settings);
            } catch (ConfigException e) {
                findings.add(ValidationFinding.error(Setting.MODEL, e.getMessage()));
            }
        } else if (knownSource) {
            try {
                ModelSource source = ModelSource.of(model);
                if (source.folder() != null) {
                    ModelWeights.check(source.config(), source.folder());
                    text = Files.isRegularFile(source.folder().resolve("tokenizer.json"));
                }
                int window = source.config().slidingWindow();
                maxSequence = window > 0 ? Math.min(window, source.config().maxPositions())
                        : source.config().maxPositions();
            } catch (ConfigException e) {
                boolean preset = model.source().equals("synthetic") && !looksLikePath(model.name());
                findings.add(new ValidationFinding(ValidationFinding.Severity.ERROR, Setting.MODEL, "",
                        e.getMessage(), preset ? List.copyOf(ModelPresets.names()) : List.of()));
            }
        }
        return new ValidationReport(findings, maxSequence, text);
    }

    private static boolean looksLikePath(String name) {
        return name.contains("/") || name.contains("\\") || name.endsWith(".json") || Files.exists(Path.of(name));
    }

    private LoadedModel load(ModelSpec model, BackendSettings settings, TransformerConfig config, Path folder,
            DataType dtype, Map<String, String> notes) throws BackendException, ConfigException {
        try (DjlClassLoaderScope scope = DjlClassLoaderScope.enter()) {
            Engine engine;
            try {
                engine = Engine.getEngine(ENGINE);
            } catch (RuntimeException | LinkageError e) {
                if (loadedByEarlierRevision(e)) {
                    // lem.backend.djl itself can be updated freely: libtorch belongs to the lem.djl
                    // library bundle's loader, which only an update of lem.djl replaces
                    throw new BackendException("DJL's native libraries were loaded by an earlier revision of the"
                            + " lem.djl library bundle; a JNI library binds to one class loader for the life of the"
                            + " JVM, so after an update of lem.djl the djl backend runs again only after the host"
                            + " restarts (updating lem.backend.djl alone needs no restart)", e);
                }
                throw new BackendException("DJL's PyTorch engine could not start (offline, native cache " + cacheFolder
                        + "): " + e.getMessage(), e);
            }
            Device device = device(settings.device(), engine);
            Object threads = settings.options().get(THREADS_OPTION);
            if (threads != null) {
                // process-wide in libtorch: the last model opened with this option sets it for all
                JniUtils.setNumThreads(((Number) threads).intValue());
                notes.put(THREADS_OPTION, "PyTorch intra-op threads set to " + threads + " for the whole process");
            }
            NDManager manager = engine.newBaseManager(device);
            ModelWeights weights = null;
            HuggingFaceTokenizer tokenizer = null;
            try {
                if (TorchScriptModels.applies(model)) {
                    return TorchScriptModels.load(model, settings, config, manager, device, notes);
                }
                boolean scripted = decoderKind(settings).equals(SCRIPTED);
                // DJL's NDArrays hold no bfloat16: the scripted decoder casts float32 weights inside libtorch
                DataType loaded = dtype == DataType.BFLOAT16 ? DataType.FLOAT32 : dtype;
                weights = folder == null ? ModelWeights.synthetic(config, model.seed(), manager, loaded)
                        : ModelWeights.fromSafetensors(config, folder, manager, loaded);
                if (weights.lmHeadNote() != null) {
                    notes.put("lm_head", weights.lmHeadNote());
                }
                if (folder != null) {
                    tokenizer = tokenizer(folder.resolve("tokenizer.json"), notes);
                }
                ModelDescription description = new ModelDescription(model.name(), config.modelType(),
                        weights.parameterCount(), folder == null ? model.precision() : weights.storedPrecision(),
                        model.precision(), "none", config.raw());
                notes.put("device", device.toString());
                notes.put("engine", "DJL " + djlVersion() + " / PyTorch " + PYTORCH_VERSION);
                Forward decoder;
                if (scripted) {
                    decoder = new ScriptedDecoder(config, weights, manager, dtype);
                    notes.put(DECODER_OPTION, SCRIPTED + ": each pass is one call of a TorchScript method generated"
                            + " for the architecture (" + (dtype == DataType.BFLOAT16 ? "float32 weights cast to"
                            + " bfloat16 inside libtorch, " : "") + "attention by scaled_dot_product_attention)");
                    if (loaded != dtype) {
                        // the module holds its own copies in the compute dtype; the float32 ones go back to
                        // the driver, not only to libtorch's caching allocator (device-wide used memory is
                        // what the results report as peak memory)
                        weights.close();
                        if (device.isGpu()) {
                            JniUtils.emptyCudaCache();
                        }
                    }
                } else {
                    decoder = new Decoder(config, weights, dtype);
                    notes.put(DECODER_OPTION, NDARRAY + ": one DJL call per operation");
                }
                return new DjlModel(description, config, weights, decoder, manager, device, settings, tokenizer,
                        notes);
            } catch (ConfigException | RuntimeException e) {
                if (weights != null) {
                    weights.close();
                }
                manager.close();
                if (e instanceof ConfigException c) {
                    throw c;
                }
                throw new BackendException("DJL could not load " + model.name() + ": " + e.getMessage(), e);
            }
        }
    }

    private static boolean loadedByEarlierRevision(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof UnsatisfiedLinkError && String.valueOf(t.getMessage()).contains("another classloader")) {
                return true;
            }
        }
        return false;
    }

    /** The tokenizer in {@code file}, or null with a note saying why prompts must be token ids. */
    static HuggingFaceTokenizer tokenizer(Path file, Map<String, String> notes) {
        if (!Files.isRegularFile(file)) {
            notes.put("tokenizer", "no " + file.getFileName() + ": prompts must be token ids");
            return null;
        }
        try {
            return HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(false).build();
        } catch (Exception | LinkageError e) {
            notes.put("tokenizer", "tokenizer.json could not be loaded (" + e.getMessage()
                    + "): prompts must be token ids");
            return null;
        }
    }

    private static Device device(String name, Engine engine) throws BackendException {
        int index = cudaIndex(name);
        if (index < 0) {
            return Device.cpu();
        }
        int gpus = engine.getGpuCount();
        if (index >= gpus) {
            throw new BackendException(unavailable(name, gpus));
        }
        return Device.gpu(index);
    }

    private static String unavailable(String name, int gpus) {
        return "device '" + name + "' is not available: DJL's PyTorch engine sees " + gpus + " GPU"
                + (gpus == 1 ? "" : "s") + (gpus == 0 ? "" : " (cuda:0 to cuda:" + (gpus - 1) + ")")
                + " (a GPU host needs DJL's pytorch-native-cu* natives; see lem.backend.djl/README.md)";
    }

    /** -1 for the CPU, else the CUDA ordinal. */
    private static int cudaIndex(String name) throws BackendException {
        String lower = name.trim().toLowerCase(Locale.ROOT);
        if (lower.equals("cpu")) {
            return -1;
        }
        if (lower.equals("cuda")) {
            return 0;
        }
        if (lower.startsWith("cuda:")) {
            try {
                int index = Integer.parseInt(lower.substring(5));
                if (index >= 0) {
                    return index;
                }
            } catch (NumberFormatException e) {
                // refused below
            }
        }
        throw new BackendException("device '" + name + "' is not valid; allowed: cpu, cuda, cuda:N");
    }

    /** A device that is not valid, or a GPU the engine does not see, as a finding. */
    private void deviceFinding(String name, List<ValidationFinding> findings) {
        int index;
        try {
            index = cudaIndex(name);
        } catch (BackendException e) {
            findings.add(ValidationFinding.error(Setting.DEVICE, e.getMessage()));
            return;
        }
        if (index < 0) {
            return;
        }
        if (cacheFolder == null) {
            useCache(defaultCacheFolder());
        }
        try (DjlClassLoaderScope scope = DjlClassLoaderScope.enter()) {
            int gpus = Engine.getEngine(ENGINE).getGpuCount();
            if (index >= gpus) {
                findings.add(ValidationFinding.error(Setting.DEVICE, unavailable(name, gpus)));
            }
        } catch (RuntimeException | LinkageError e) {
            findings.add(ValidationFinding.error(Setting.DEVICE, "device '" + name + "' cannot be checked: DJL's"
                    + " PyTorch engine could not start (native cache " + cacheFolder + "): " + e.getMessage()));
        }
    }

    /** A local folder holding an ONNX decoder (see {@link OnnxFolder#MODEL_FILES}) runs on ONNX Runtime. */
    private static boolean isOnnx(ModelSpec model) {
        return model.source().equals("local") && OnnxFolder.holdsOnnx(Path.of(model.name()));
    }

    /** The execution provider an ONNX model asks for: the option, else from the device. */
    private static String provider(BackendSettings settings) {
        Object option = settings.options().get(PROVIDER_OPTION);
        if (option != null) {
            return option.toString();
        }
        return settings.device().trim().toLowerCase(Locale.ROOT).startsWith("cuda") ? "cuda" : "cpu";
    }

    /** Problems of an ONNX model's provider, device and precision against its export, each a message. */
    private static List<String> onnxProblems(OnnxFolder folder, ModelSpec model, BackendSettings settings) {
        List<String> problems = new ArrayList<>();
        String provider = provider(settings);
        if (OnnxDecoder.PROVIDERS.contains(provider)) {
            String missing = OnnxDecoder.providerProblem("backend.settings." + PROVIDER_OPTION, provider);
            if (missing != null) {
                problems.add(missing);
            }
            boolean cuda = settings.device().trim().toLowerCase(Locale.ROOT).startsWith("cuda");
            if (!provider.equals("cpu") && !cuda) {
                problems.add("execution provider " + provider + " runs on a GPU: set backend.device to cuda or cuda:N");
            }
        }
        Precision exported = folder.layout().cacheType() == lem.backend.djl.onnx.OnnxGraph.FLOAT16 ? Precision.FLOAT16
                : Precision.FLOAT32;
        if (model.precision() != exported) {
            problems.add("precision " + model.precision().configName() + " does not match " + folder.modelFile()
                    + ", which was exported in " + exported.configName() + " (an ONNX model computes in the precision"
                    + " it was exported in); set precision: " + exported.configName());
        }
        return problems;
    }

    private ValidationReport validateOnnx(ModelSpec model, BackendSettings settings, List<ValidationFinding> findings) {
        try {
            OnnxFolder folder = OnnxFolder.open(Path.of(model.name()));
            for (String problem : onnxProblems(folder, model, settings)) {
                findings.add(ValidationFinding.error(problem.startsWith("precision") ? Setting.PRECISION
                        : Setting.DEVICE, problem));
            }
            return new ValidationReport(findings, folder.maxPositions(),
                    Files.isRegularFile(folder.folder().resolve("tokenizer.json")));
        } catch (ConfigException e) {
            findings.add(new ValidationFinding(ValidationFinding.Severity.ERROR, Setting.MODEL, "", e.getMessage(),
                    List.of()));
            return new ValidationReport(findings, 0, false);
        }
    }

    /** An ONNX folder on ONNX Runtime, behind the same generation loop as the DJL decoder. */
    private LoadedModel openOnnx(ModelSpec model, BackendSettings settings, Map<String, String> notes)
            throws BackendException, ConfigException {
        OnnxFolder folder = OnnxFolder.open(Path.of(model.name()));
        List<String> problems = onnxProblems(folder, model, settings);
        if (!problems.isEmpty()) {
            throw new BackendException(String.join("; ", problems));
        }
        TransformerConfig view = folder.generationView();
        String provider = provider(settings);
        int deviceId = Math.max(0, cudaIndex(settings.device()));
        Object threads = settings.options().get(THREADS_OPTION);
        OnnxDecoder decoder = OnnxDecoder.open(folder, provider, deviceId,
                threads == null ? 0 : ((Number) threads).intValue());
        notes.put("engine", "ONNX Runtime " + ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion() + ", "
                + provider + " execution provider: " + String.join(", ", folder.describe()));
        if (threads != null) {
            notes.put(THREADS_OPTION, "ONNX Runtime intra-op threads set to " + threads + " for this session");
        }
        HuggingFaceTokenizer tokenizer;
        try (DjlClassLoaderScope scope = DjlClassLoaderScope.enter()) {
            tokenizer = tokenizer(folder.folder().resolve("tokenizer.json"), notes);
        }
        notes.put("device", provider.equals("cpu") ? "cpu" : "gpu(" + deviceId + ")");
        Precision precision = model.precision();
        ModelDescription description = new ModelDescription(model.name(), folder.modelType(),
                folder.graph().parameterCount(), precision, precision, "none", folder.config());
        return new DjlModel(description, view, decoder::start, decoder.flops().method(),
                provider.equals("cpu") ? Device.cpu() : Device.gpu(deviceId), decoder::close, settings, tokenizer,
                notes);
    }

    /**
     * {@value #SCRIPTED} or {@value #NDARRAY}: the option when given, else scripted (faster on every
     * device measured: 1.7x to 4.2x the ndarray decoder's decode tokens/s on a 2-core CPU, 1.4x to 4.9x on an H200).
     */
    static String decoderKind(BackendSettings settings) {
        Object option = settings.options().get(DECODER_OPTION);
        return option != null ? String.valueOf(option) : SCRIPTED;
    }

    /** The first error of {@link #settingFindings}, thrown. */
    private static void checkSettings(ModelSpec model, BackendSettings settings) throws BackendException {
        for (ValidationFinding finding : settingFindings(model, settings)) {
            if (finding.severity() == ValidationFinding.Severity.ERROR) {
                throw new BackendException(finding.message());
            }
        }
    }

    /** Source, quantisation, precision, batching and the backend's own options, each mistake once. */
    private static List<ValidationFinding> settingFindings(ModelSpec model, BackendSettings settings) {
        List<ValidationFinding> findings = new ArrayList<>();
        if (!model.source().equals("synthetic") && !model.source().equals("local")) {
            findings.add(ValidationFinding.error(Setting.MODEL, "model source '" + model.source()
                    + "' is not supported by the djl backend; allowed: synthetic, local"));
        }
        if (!model.quantisation().equals("none")) {
            findings.add(ValidationFinding.error(Setting.QUANTISATION, "quantisation '" + model.quantisation()
                    + "' is not supported by the djl backend; allowed: none"));
        }
        if (model.precision() == Precision.BFLOAT16) {
            // seen on the CPU and on CUDA (an H200, with the JNI built for that machine's libtorch): creating or
            // casting to a bfloat16 NDArray aborts the whole JVM ("terminate called without an active exception");
            // a long-lived host must not die of a setting. Inside a TorchScript method DJL never sees one.
            if (isOnnx(model) || TorchScriptModels.applies(model)) {
                findings.add(ValidationFinding.error(Setting.PRECISION, "precision bfloat16 is for the built-in"
                        + " architectures only (their scripted decoder); " + model.name() + " runs in the precision"
                        + " its file holds; allowed here: float32"));
            } else if (decoderKind(settings).equals(NDARRAY)) {
                findings.add(ValidationFinding.error(Setting.PRECISION, "precision bfloat16 needs djl option "
                        + DECODER_OPTION + ": " + SCRIPTED + " (the default): DJL 0.35.1's NDArrays have"
                        + " no bfloat16 type, and creating one aborts the process; allowed with " + DECODER_OPTION
                        + ": " + NDARRAY + ": float32, float16"));
            }
        } else if (model.precision() != Precision.FLOAT32 && model.precision() != Precision.FLOAT16) {
            findings.add(ValidationFinding.error(Setting.PRECISION, "precision " + model.precision().configName()
                    + " is not supported by the djl backend; allowed: float32, float16"));
        } else if (model.precision() == Precision.FLOAT16 && settings.device().trim().equalsIgnoreCase("cpu")) {
            findings.add(ValidationFinding.warning(Setting.PRECISION, "float16 on the CPU is about 6x slower than"
                    + " float32 with the djl backend (PyTorch's CPU kernels for half precision); measure float16 on"
                    + " a GPU, or use float32 on the CPU"));
        }
        if (settings.batching() != BatchingMode.STATIC && settings.batching() != BatchingMode.SORTED_STATIC) {
            findings.add(ValidationFinding.error(Setting.BATCHING, "batching " + settings.batching()
                    + " is not supported by the djl backend; allowed: STATIC, SORTED_STATIC"));
        }
        for (Map.Entry<String, Object> option : settings.options().entrySet()) {
            if (option.getKey().equals(TorchScriptModels.OPTION)) {
                findings.addAll(TorchScriptModels.optionFindings(option.getValue()));
            } else if (option.getKey().equals(PROVIDER_OPTION)) {
                if (!isOnnx(model)) {
                    findings.add(ValidationFinding.optionError(PROVIDER_OPTION, "djl option " + PROVIDER_OPTION
                            + " applies to ONNX models only (a local folder holding " + String.join(" or ",
                            OnnxFolder.MODEL_FILES) + "); " + model.name() + " runs on DJL's PyTorch engine", List.of()));
                } else if (!OnnxDecoder.PROVIDERS.contains(option.getValue())) {
                    findings.add(ValidationFinding.optionError(PROVIDER_OPTION, "djl option " + PROVIDER_OPTION + " = "
                            + option.getValue() + " is unknown; allowed: " + OnnxDecoder.PROVIDERS,
                            OnnxDecoder.PROVIDERS));
                }
            } else if (option.getKey().equals(DECODER_OPTION)) {
                if (!List.of(SCRIPTED, NDARRAY).contains(option.getValue())) {
                    findings.add(ValidationFinding.optionError(DECODER_OPTION, "djl option " + DECODER_OPTION + " = "
                            + option.getValue() + " is unknown; allowed: " + SCRIPTED + " (one TorchScript call per"
                            + " pass), " + NDARRAY + " (one DJL call per operation)", List.of(SCRIPTED, NDARRAY)));
                } else if (isOnnx(model) || TorchScriptModels.applies(model)) {
                    findings.add(ValidationFinding.optionError(DECODER_OPTION, "djl option " + DECODER_OPTION
                            + " chooses how the built-in architectures run; " + model.name() + " runs as its file"
                            + " says", List.of()));
                }
            } else if (!option.getKey().equals(THREADS_OPTION)) {
                List<String> known = List.of(THREADS_OPTION, DECODER_OPTION, PROVIDER_OPTION, TorchScriptModels.OPTION);
                findings.add(ValidationFinding.optionError(option.getKey(), "djl option '" + option.getKey()
                        + "' is unknown; allowed: " + String.join(", ", known), known));
            } else if (!(option.getValue() instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                    || n.doubleValue() < 1 || n.doubleValue() > MAX_THREADS) {
                findings.add(ValidationFinding.optionError(THREADS_OPTION, "djl option " + THREADS_OPTION + " = "
                        + option.getValue() + " must be an integer between 1 and " + MAX_THREADS
                        + " (PyTorch intra-op threads)", List.of()));
            }
        }
        return findings;
    }
}
