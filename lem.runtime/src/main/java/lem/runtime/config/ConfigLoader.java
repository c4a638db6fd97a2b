package lem.runtime.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Loads an experiment config: the file and the files it {@code _extends}, the presets it names,
 * the command-line overrides, then checks the result.
 *
 * <p>Precedence, lowest first:
 * <ol>
 * <li>defaults ({@link ConfigSchema});</li>
 * <li>the run preset ({@code preset:}, {@link RunPreset});</li>
 * <li>the decoder preset ({@code decoder.preset:}, or the one the run preset names,
 * {@link DecoderPreset});</li>
 * <li>config files: the {@code _extends} parents first (in list order, each one resolved the same
 * way before), then the extending file;</li>
 * <li>{@code --set} overrides, in order.</li>
 * </ol>
 * Presets sit below every file, so a key a person wrote always beats a preset, wherever the
 * preset was chosen: a base file's {@code temperature: 0.5} stays when a child picks
 * {@code decoder.preset: creative}. Which preset applies is itself decided by files and overrides
 * ({@code --set preset=benchmark} switches the preset of a file that names another).
 *
 * <p>Merging is deep: maps merge key by key; lists and scalars replace.
 * {@code _extends} paths are relative to the file that names them and must end in {@code .yaml},
 * {@code .yml} or {@code .json}; cycles are reported with the chain of files. User mistakes (missing files, YAML errors, bad values) become
 * {@link ConfigProblem}s; nothing here throws for them.
 */
public final class ConfigLoader {

    /** The top-level key that names the parent files of a config. */
    static final String EXTENDS = "_extends";

    /** Deeper than any sensible hierarchy; stops a chain of generated files early. */
    private static final int MAX_EXTENDS_DEPTH = 32;

    private static final Pattern KEY_PATH = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");

    private final List<ConfigProblem> problems = new ArrayList<>();

    private ConfigLoader() {
    }

    /**
     * Loads and checks a config file.
     *
     * @param file         a YAML file, or JSON when its name ends in {@code .json}
     * @param setOverrides {@code key.path=value} strings from {@code --set} (a leading
     *                     {@code --set } is accepted too); values are read as YAML, so {@code 8}
     *                     is a number and {@code [a,b]} a list
     */
    public static LoadedConfig load(Path file, List<String> setOverrides) {
        return new ConfigLoader().loadFile(file, setOverrides);
    }

    /**
     * Loads a config given as a document (a file read by {@link ConfigDocument#read}, or a map
     * inside another file, {@link ConfigDocument#section}) with {@code settings} laid over its files
     * and under {@code setOverrides}: a campaign's experiment. An inline config's {@code _extends}
     * paths are relative to the file that holds it. The result is checked exactly as
     * {@link #load(Path, List)}'s is.
     */
    public static LoadedConfig load(ConfigDocument config, List<ConfigDocument.Setting> settings,
            List<String> setOverrides) {
        ConfigLoader loader = new ConfigLoader();
        ConfigLayer files = null;
        if (config.readable()) {
            ConfigLayer own = config.layerCopy();
            normaliseBackendShorthand(own);
            Deque<Path> chain = new ArrayDeque<>();
            files = loader.mergeParents(own, config.file(), chain);
        } else {
            loader.problems.addAll(config.problems());
        }
        ConfigLayer varied = new ConfigLayer();
        for (ConfigDocument.Setting setting : settings) {
            varied.put(setting.keyPath(), setting.value(), setting.origin());
        }
        return loader.resolve(config.file(), files, varied, setOverrides);
    }

    /**
     * Every problem of a loaded config, plus a backend name that no registered backend has.
     *
     * @param registeredBackends {@code lem.backend.name} of every backend service present now
     */
    public static List<ConfigProblem> validate(LoadedConfig loaded, Set<String> registeredBackends) {
        List<ConfigProblem> all = new ArrayList<>(loaded.problems());
        Object backendName = loaded.tree().get("backend") instanceof Map<?, ?> backend
                ? backend.get("name") : null;
        if (backendName instanceof String name && !name.isBlank() && !registeredBackends.contains(name)) {
            Set<String> sorted = new TreeSet<>(registeredBackends);
            String message = sorted.isEmpty()
                    ? "no backend named '" + name + "' is registered, and no backend is registered at"
                            + " all; install a backend bundle (lem:backends lists them)"
                    : "no registered backend is named '" + name + "'"
                            + SpellingSuggestion.didYouMeanOrStop(name, sorted)
                            + " Registered: " + String.join(", ", sorted);
            all.add(ConfigProblem.at(loaded.provenance().get("backend.name"), "backend.name", message));
        }
        return all;
    }

    /**
     * {@link #validate(LoadedConfig, Set)}, plus energy source names that no registered energy
     * source has (only checked when {@code energy.sources} is a list rather than {@code auto}).
     *
     * @param registeredEnergySources {@code lem.energy.source} of every energy source service
     */
    public static List<ConfigProblem> validate(LoadedConfig loaded, Set<String> registeredBackends,
            Set<String> registeredEnergySources) {
        List<ConfigProblem> all = validate(loaded, registeredBackends);
        Object sources = loaded.tree().get("energy") instanceof Map<?, ?> energy ? energy.get("sources") : null;
        if (sources instanceof List<?> names) {
            Set<String> sorted = new TreeSet<>(registeredEnergySources);
            for (Object name : names) {
                if (name instanceof String text && !registeredEnergySources.contains(text)) {
                    all.add(ConfigProblem.at(loaded.provenance().get("energy.sources"), "energy.sources",
                            "no registered energy source is named '" + text + "'"
                                    + SpellingSuggestion.didYouMeanOrStop(text, sorted) + " Registered: "
                                    + (sorted.isEmpty() ? "none" : String.join(", ", sorted))
                                    + "; or write sources: auto"));
                }
            }
        }
        return all;
    }

    /**
     * Every key with its default and allowed values, as a commented YAML file (the resource
     * {@code reference.yaml}), for {@code lem:config} to print as a starting point.
     */
    public static String referenceConfig() {
        try (var in = ConfigLoader.class.getResourceAsStream("reference.yaml")) {
            if (in == null) {
                throw new IllegalStateException("reference.yaml missing from the lem.runtime bundle");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The override that {@code --cycles n} stands for. */
    public static String cyclesOverride(int cycles) {
        return "cycles=" + cycles;
    }

    private LoadedConfig loadFile(Path file, List<String> setOverrides) {
        return resolve(file, readWithParents(file, new ArrayDeque<>(), null), new ConfigLayer(), setOverrides);
    }

    /** Files (null when unreadable), then {@code varied}, then overrides, over presets and defaults. */
    private LoadedConfig resolve(Path file, ConfigLayer files, ConfigLayer varied, List<String> setOverrides) {
        if (files == null) {
            files = new ConfigLayer();
        }
        ConfigLayer overrides = readOverrides(setOverrides);

        ConfigLayer chosen = new ConfigLayer();
        chosen.mergeFrom(files);
        chosen.mergeFrom(varied);
        chosen.mergeFrom(overrides);

        ConfigLayer resolved = ConfigLayer.uniform(ConfigSchema.defaults(), Provenance.defaultValue());
        RunPreset runPreset = chosen.valueAt("preset") instanceof String name
                ? ConfigEnum.fromConfigName(RunPreset.class, name) : null;
        if (runPreset != null) {
            ConfigLayer preset = new ConfigLayer();
            Provenance origin = Provenance.runPreset(runPreset.configName());
            runPreset.settings().forEach((path, value) -> preset.put(path, value, origin));
            resolved.mergeFrom(preset);
        }
        Object decoderPresetName = chosen.contains("decoder.preset") ? chosen.valueAt("decoder.preset")
                : resolved.valueAt("decoder.preset");
        DecoderPreset decoderPreset = decoderPresetName instanceof String name
                ? ConfigEnum.fromConfigName(DecoderPreset.class, name) : null;
        if (decoderPreset != null) {
            ConfigLayer preset = new ConfigLayer();
            Provenance origin = Provenance.decoderPreset(decoderPreset.configName());
            decoderPreset.settings().forEach((key, value) -> preset.put("decoder." + key, value, origin));
            resolved.mergeFrom(preset);
        }
        resolved.mergeFrom(chosen);

        if (resolved.valueAt("name") == null) {
            resolved.put("name", experimentName(file), Provenance.fileName(file.toString()));
        }
        resolveAgainstDeclaringFile(resolved, "prompts.file");
        resolveAgainstDeclaringFile(resolved, "model.path");
        resolveAgainstDeclaringFile(resolved, "quality.eval_text");

        problems.addAll(ConfigValidator.validate(resolved));
        ExperimentConfig config = problems.isEmpty() ? ExperimentConfigReader.read(resolved) : null;
        Map<String, Object> tree = ImmutableTree.map(resolved.tree());
        return new LoadedConfig(file, config, tree, leafProvenance(resolved), problems);
    }

    /**
     * One file merged over its parents, or null when the file cannot be read.
     *
     * @param chain      the files being read, outermost first, to detect cycles
     * @param referrer   where the {@code _extends} naming this file was written; null for the top
     */
    private ConfigLayer readWithParents(Path file, Deque<Path> chain, Provenance referrer) {
        if (referrer != null && !Files.exists(file)) {
            problems.add(ConfigProblem.at(referrer, EXTENDS, "'" + file + "' not found"
                    + " (an _extends path is relative to the file that names it)"));
            return null;
        }
        LocatedTreeReader.Result read = LocatedTreeReader.readFile(file, file.toString());
        problems.addAll(read.problems());
        if (!read.readable()) {
            return null;
        }
        ConfigLayer own = read.layer();
        if (referrer != null && !looksLikeAConfig(own)) {
            // a parent's keys would be echoed as unknown keys: say only that it is no config
            Provenance origin = own.originOf(own.tree().keySet().iterator().next());
            problems.add(ConfigProblem.at(origin, "", "does not look like a lem config: none of its "
                    + own.tree().size() + " top-level key(s) is a setting or close to one (settings: "
                    + String.join(", ", ConfigSchema.ROOT.fields().keySet()) + ")"));
            return null;
        }
        normaliseBackendShorthand(own);
        return mergeParents(own, file, chain);
    }

    /** {@code own} merged over the files its {@code _extends} names, read relative to {@code file}. */
    private ConfigLayer mergeParents(ConfigLayer own, Path file, Deque<Path> chain) {
        Path identity = file.toAbsolutePath().normalize();
        ConfigLayer merged = new ConfigLayer();
        chain.addLast(identity);
        for (Parent parent : parentsOf(own, file)) {
            Path parentIdentity = parent.file().toAbsolutePath().normalize();
            if (chain.contains(parentIdentity)) {
                problems.add(ConfigProblem.at(parent.origin(), EXTENDS, "_extends cycle: "
                        + describeCycle(chain, parentIdentity) + "; remove one of these _extends"));
            } else if (chain.size() >= MAX_EXTENDS_DEPTH) {
                problems.add(ConfigProblem.at(parent.origin(), EXTENDS, "more than "
                        + MAX_EXTENDS_DEPTH + " levels of _extends"));
            } else {
                ConfigLayer parentLayer = readWithParents(parent.file(), chain, parent.origin());
                if (parentLayer != null) {
                    merged.mergeFrom(parentLayer);
                }
            }
        }
        chain.removeLast();
        merged.mergeFrom(own);
        return merged;
    }

    private record Parent(Path file, Provenance origin) {
    }

    /** Reads and removes {@code _extends}: a file name or a list of them. */
    private List<Parent> parentsOf(ConfigLayer layer, Path file) {
        if (!layer.tree().containsKey(EXTENDS)) {
            return List.of();
        }
        Object value = layer.tree().get(EXTENDS);
        Map<String, Provenance> origins = new LinkedHashMap<>();
        layer.origins().forEach((path, origin) -> {
            if (ConfigLayer.isAtOrUnder(path, EXTENDS)) {
                origins.put(path, origin);
            }
        });
        layer.remove(EXTENDS);
        Path folder = file.toAbsolutePath().getParent();
        Path base = file.getParent();
        List<Object> names = value instanceof List<?> list ? new ArrayList<>(list) : new ArrayList<>();
        if (!(value instanceof List)) {
            names.add(value);
        }
        List<Parent> parents = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            Object name = names.get(i);
            Provenance origin = origins.getOrDefault(value instanceof List ? EXTENDS + "[" + i + "]" : EXTENDS,
                    origins.get(EXTENDS));
            if (!(name instanceof String text) || text.isBlank()) {
                problems.add(ConfigProblem.at(origin, EXTENDS, "expected a file name or a list of file"
                        + " names, relative to " + (folder == null ? "this file" : folder) + ", got "
                        + ValueText.describe(name)));
                continue;
            }
            if (!isConfigFileName(text)) {
                // never read (and so never echo) a file that cannot be a config: /etc/shadow, keys
                problems.add(ConfigProblem.at(origin, EXTENDS, "'" + text + "' is not a config file;"
                        + " _extends names only .yaml, .yml or .json files"));
                continue;
            }
            Path parent;
            try {
                parent = base == null ? Path.of(text) : base.resolve(text);
            } catch (java.nio.file.InvalidPathException invalid) {
                problems.add(ConfigProblem.at(origin, EXTENDS, "'" + text + "' is not a valid path: "
                        + invalid.getReason()));
                continue;
            }
            parents.add(new Parent(parent.normalize(), origin));
        }
        return parents;
    }

    /**
     * False for a map none of whose top-level keys is a setting, {@code _extends}, or a
     * misspelling of one: a file that parsed as YAML but is no config (a password file whose
     * lines end in a colon), whose content is not to be shown as unknown keys.
     */
    private static boolean looksLikeAConfig(ConfigLayer layer) {
        if (layer.tree().isEmpty()) {
            return true;
        }
        for (String key : layer.tree().keySet()) {
            if (key.equals(EXTENDS) || ConfigSchema.ROOT.fields().containsKey(key)
                    || !SpellingSuggestion.didYouMean(key, ConfigSchema.ROOT.fields().keySet()).isEmpty()
                    || ConfigValidator.keyElsewhere(key, ConfigSchema.ROOT, "") != null) {
                return true;
            }
        }
        return false;
    }

    private static boolean isConfigFileName(String name) {
        String lower = name.strip().toLowerCase(java.util.Locale.ROOT);
        return lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json");
    }

    private static String describeCycle(Deque<Path> chain, Path repeated) {
        List<Path> files = new ArrayList<>(chain);
        int start = files.indexOf(repeated);
        List<String> names = files.subList(start, files.size()).stream()
                .map(ConfigLoader::shortName).collect(Collectors.toCollection(ArrayList::new));
        names.add(shortName(repeated));
        return String.join(" -> ", names);
    }

    private static String shortName(Path file) {
        Path cwd = Path.of("").toAbsolutePath();
        return file.startsWith(cwd) ? cwd.relativize(file).toString() : file.toString();
    }

    /** {@code backend: vllm} is short for {@code backend: {name: vllm}}. */
    private static void normaliseBackendShorthand(ConfigLayer layer) {
        Object backend = layer.tree().get("backend");
        if (backend instanceof String name) {
            Provenance origin = layer.originOf("backend");
            layer.remove("backend");
            layer.put("backend.name", name, origin);
        }
    }

    private ConfigLayer readOverrides(List<String> setOverrides) {
        ConfigLayer layer = new ConfigLayer();
        for (String raw : setOverrides) {
            String text = raw.strip();
            if (text.equals("--set")) {
                // the option name given as its own argument; the next argument is the override
                continue;
            }
            if (text.startsWith("--set")) {
                text = text.substring("--set".length()).strip();
            }
            int equals = text.indexOf('=');
            String keyPath = equals < 0 ? text : text.substring(0, equals).strip();
            if (equals < 0 || !KEY_PATH.matcher(keyPath).matches()) {
                problems.add(new ConfigProblem(Provenance.OVERRIDE, "", 0, "'" + raw
                        + "' is not key.path=value, e.g. --set batching.batch_size=8"));
                continue;
            }
            if (keyPath.equals(EXTENDS) || keyPath.startsWith(EXTENDS + ".")) {
                problems.add(new ConfigProblem(Provenance.OVERRIDE, keyPath, 0,
                        "_extends cannot be set from the command line; name parent files in the config"));
                continue;
            }
            try {
                Object value = LocatedTreeReader.parseValue(text.substring(equals + 1));
                if (keyPath.equals("backend") && value instanceof String name) {
                    layer.put("backend.name", name, Provenance.override());
                } else {
                    layer.put(keyPath, value, Provenance.override());
                }
            } catch (LocatedTreeReader.RefusedValueException refused) {
                problems.add(new ConfigProblem(Provenance.OVERRIDE, keyPath, 0, refused.getMessage()));
            } catch (IOException notYaml) {
                problems.add(new ConfigProblem(Provenance.OVERRIDE, keyPath, 0, "the value '"
                        + text.substring(equals + 1) + "' is not valid YAML; quote it, e.g. "
                        + keyPath + "='\"...\"'"));
            }
        }
        return layer;
    }

    /** A relative path in a file means relative to that file, not to where lem runs. */
    private static void resolveAgainstDeclaringFile(ConfigLayer config, String keyPath) {
        Provenance origin = config.originOf(keyPath);
        if (!(config.valueAt(keyPath) instanceof String text) || origin == null
                || !Provenance.FILE.equals(origin.origin()) || text.isBlank()) {
            return;
        }
        Path declaringFolder = Path.of(origin.file()).getParent();
        Path value = Path.of(text);
        if (declaringFolder != null && !value.isAbsolute()) {
            config.put(keyPath, declaringFolder.resolve(value).normalize().toString(), origin);
        }
    }

    private static String experimentName(Path file) {
        Path fileName = file.getFileName();
        String name = fileName == null ? "experiment" : fileName.toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** Origins of the values a user sees: scalars, lists and empty maps, in tree order. */
    private static Map<String, Provenance> leafProvenance(ConfigLayer config) {
        Map<String, Provenance> leaves = new LinkedHashMap<>();
        collectLeaves(config.tree(), "", config, leaves);
        return java.util.Collections.unmodifiableMap(leaves);
    }

    private static void collectLeaves(Map<String, Object> map, String prefix, ConfigLayer config,
            Map<String, Provenance> leaves) {
        map.forEach((key, value) -> {
            String path = ConfigLayer.join(prefix, key);
            if (value instanceof Map<?, ?> child && !child.isEmpty()) {
                collectLeaves(ConfigLayer.asStringMap(child), path, config, leaves);
            } else {
                leaves.put(path, config.originOf(path));
            }
        });
    }
}
