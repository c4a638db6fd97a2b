package lem.runtime.campaign;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import lem.runtime.config.ConfigDocument;
import lem.runtime.config.ConfigEnum;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.Provenance;
import lem.runtime.config.SpellingSuggestion;

/**
 * Reads a campaign file: YAML (or JSON) read by the experiment configs' own reader, every mistake
 * reported at once with its line. The configs it names are only read here; their settings are
 * checked when the campaign is expanded ({@link CampaignExpansion}).
 *
 * <pre>
 * name: quickstart-grid            # default: the file's name
 * base: quickstart.yaml            # a config file, or an inline config (a map, may _extends)
 * configs: [a.yaml, {_extends: a.yaml, precision: float16}]   # more configs, each crossed with the grid
 * grid:
 *   batching.batch_size: [1, 4]     # any config key path, a list of values
 *   precision: [float16, float32]
 *   include: [{batching.batch_size: 16, precision: float16}]
 *   exclude: [{batching.batch_size: 1, precision: float16}]
 * cycles: 2                         # campaign cycles
 * order: interleaved                # grouped | interleaved | shuffled
 * seed: 7                           # for shuffled; drawn and recorded when absent
 * gap_s: 10                         # pause between runs
 * cool_down: {within_watts: 10, within_celsius: 3, max_s: 300}   # then wait until the devices are near idle
 * on_failure: continue              # continue | stop
 * output_dir: results               # the campaign's folder goes to output_dir/campaigns/
 * </pre>
 */
public final class CampaignFile {
    static final Set<String> KEYS = Set.of("name", "base", "configs", "grid", "cycles", "order", "seed", "gap_s", "cool_down",
            "on_failure", "output_dir", "slurm");
    static final String INCLUDE = "include";
    static final String EXCLUDE = "exclude";
    /** More runs than anyone means to start from one file: a grid typed wrong. */
    static final int MAX_RUNS = 10_000;

    private final Path file;
    private final ConfigDocument document;
    private final List<ConfigProblem> problems = new ArrayList<>();

    private CampaignFile(Path file, ConfigDocument document) {
        this.file = file;
        this.document = document;
    }

    /** Reads and checks a campaign file; the spec's problems say everything that is wrong. */
    public static CampaignSpec read(Path file) {
        ConfigDocument document = ConfigDocument.read(file);
        return new CampaignFile(file, document).read();
    }

    private CampaignSpec read() {
        problems.addAll(document.problems());
        Map<String, Object> tree = document.tree();
        for (String key : tree.keySet()) {
            if (!KEYS.contains(key)) {
                problem(key, "unknown campaign key" + SpellingSuggestion.didYouMean(key, KEYS)
                        + "; campaign keys: " + String.join(", ", KEYS.stream().sorted().toList())
                        + " (config keys go in the config, or in grid: to vary them)");
            }
        }
        String name = tree.get("name") instanceof String text && !text.isBlank() ? text : null;
        if (tree.containsKey("name") && name == null) {
            problem("name", "expected a name, e.g. name: batch-sweep");
        }
        if (name == null) {
            String fileName = file.getFileName() == null ? "campaign" : file.getFileName().toString();
            int dot = fileName.lastIndexOf('.');
            name = dot > 0 ? fileName.substring(0, dot) : fileName;
        }
        List<ConfigDocument> configs = new ArrayList<>();
        if (tree.containsKey("base")) {
            config("base", tree.get("base"), configs);
        }
        if (tree.containsKey("configs")) {
            if (tree.get("configs") instanceof List<?> list && !list.isEmpty()) {
                for (int i = 0; i < list.size(); i++) {
                    config("configs[" + i + "]", list.get(i), configs);
                }
            } else {
                problem("configs", "expected a list of config files (or inline configs), e.g. configs: [a.yaml, b.yaml]");
            }
        }
        if (document.readable() && !tree.containsKey("base") && !tree.containsKey("configs")) {
            problems.add(new ConfigProblem(file.toString(), "", 0,
                    "names no config: write base: <config file> (or an inline config), or configs: [a.yaml, ...]"));
        }
        List<CampaignSpec.Axis> grid = new ArrayList<>();
        List<List<ConfigDocument.Setting>> include = new ArrayList<>();
        List<CampaignSpec.Exclusion> exclude = new ArrayList<>();
        if (tree.containsKey("grid")) {
            grid(tree.get("grid"), grid, include, exclude);
        }
        int cycles = (int) whole("cycles", 1, 1, MAX_RUNS);
        Ordering order = choice("order", Ordering.class, Ordering.INTERLEAVED);
        Long seed = tree.containsKey("seed") ? whole("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE) : null;
        double gapSeconds = 0;
        if (tree.containsKey("gap_s")) {
            if (tree.get("gap_s") instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= 86_400) {
                gapSeconds = n.doubleValue();
            } else {
                problem("gap_s", "expected seconds between runs, 0 to 86400, got " + describe(tree.get("gap_s")));
            }
        }
        CoolDown coolDown = tree.containsKey("cool_down") ? coolDown(tree.get("cool_down")) : null;
        FailurePolicy onFailure = choice("on_failure", FailurePolicy.class, FailurePolicy.CONTINUE);
        String outputDir = "results";
        if (tree.containsKey("output_dir")) {
            if (tree.get("output_dir") instanceof String text && !text.isBlank()) {
                outputDir = text;
            } else {
                problem("output_dir", "expected a folder, e.g. output_dir: results");
            }
        }
        return new CampaignSpec(file, name, configs, grid, include, exclude, cycles, order, seed, gapSeconds,
                coolDown, onFailure, outputDir, problems);
    }

    /** A config entry: a file name relative to the campaign file, or an inline config map. */
    private void config(String keyPath, Object value, List<ConfigDocument> configs) {
        if (value instanceof Map<?, ?>) {
            configs.add(document.section(keyPath, value));
            return;
        }
        if (!(value instanceof String text) || text.isBlank()) {
            problem(keyPath, "expected a config file (relative to the campaign file) or an inline config (a map),"
                    + " got " + describe(value));
            return;
        }
        Path config;
        try {
            Path folder = file.getParent();
            config = (folder == null ? Path.of(text) : folder.resolve(text)).normalize();
        } catch (InvalidPathException invalid) {
            problem(keyPath, "'" + text + "' is not a valid path: " + invalid.getReason());
            return;
        }
        if (!Files.isRegularFile(config)) {
            problem(keyPath, "'" + config + "' not found (a config path is relative to the campaign file)");
            return;
        }
        ConfigDocument read = ConfigDocument.read(config);
        problems.addAll(read.problems());
        if (read.readable()) {
            configs.add(read);
        }
    }

    private void grid(Object value, List<CampaignSpec.Axis> grid, List<List<ConfigDocument.Setting>> include,
            List<CampaignSpec.Exclusion> exclude) {
        if (!(value instanceof Map<?, ?> map)) {
            problem("grid", "expected a map of config key paths to lists of values, e.g. grid: {precision: [float16, float32]}");
            return;
        }
        Map<String, Object> axes = new LinkedHashMap<>();
        map.forEach((key, v) -> axes.put(String.valueOf(key), v));
        for (Map.Entry<String, Object> entry : axes.entrySet()) {
            String key = entry.getKey();
            if (key.equals(INCLUDE) || key.equals(EXCLUDE)) {
                continue;
            }
            axis("grid." + key, key, entry.getValue(), grid);
        }
        if (axes.containsKey(EXCLUDE)) {
            for (Map.Entry<Map<String, Object>, Provenance> entry : combinations("grid." + EXCLUDE, axes.get(EXCLUDE)).entrySet()) {
                checkExclusion(entry.getKey(), entry.getValue(), grid);
                exclude.add(new CampaignSpec.Exclusion(entry.getKey(), entry.getValue()));
            }
        }
        if (axes.containsKey(INCLUDE)) {
            List<Object> entries = axes.get(INCLUDE) instanceof List<?> list ? new ArrayList<>(list) : List.of();
            combinations("grid." + INCLUDE, axes.get(INCLUDE));
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i) instanceof Map<?, ?> combination) {
                    List<ConfigDocument.Setting> settings = new ArrayList<>();
                    flatten("grid." + INCLUDE + "[" + i + "]", "", combination, (path, key, v) -> settings
                            .add(new ConfigDocument.Setting(key, v, document.originOf(path))));
                    include.add(settings);
                }
            }
        }
    }

    /** {@code key: [values]}, or a map of them ({@code batching: {batch_size: [1, 2]}}). */
    private void axis(String path, String keyPath, Object value, List<CampaignSpec.Axis> grid) {
        if (value instanceof Map<?, ?> nested && !nested.isEmpty()) {
            nested.forEach((key, v) -> axis(path + "." + key, keyPath + "." + key, v, grid));
            return;
        }
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            problem(path, "expected a list of the values to try, e.g. " + keyPath + ": [1, 2], got " + describe(value));
            return;
        }
        List<ConfigDocument.Setting> values = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object v = list.get(i);
            if (values.stream().anyMatch(s -> java.util.Objects.equals(s.value(), v))) {
                problem(path + "[" + i + "]", describe(v) + " is listed twice");
                continue;
            }
            values.add(new ConfigDocument.Setting(keyPath, v, document.originOf(path + "[" + i + "]")));
        }
        if (grid.stream().anyMatch(a -> a.keyPath().equals(keyPath))) {
            problem(path, "varied twice (once nested, once dotted)");
            return;
        }
        grid.add(new CampaignSpec.Axis(keyPath, values));
    }

    /** The list of combination maps at {@code path}, flattened to key paths, each with its line. */
    private Map<Map<String, Object>, Provenance> combinations(String path, Object value) {
        Map<Map<String, Object>, Provenance> result = new LinkedHashMap<>();
        if (!(value instanceof List<?> list)) {
            problem(path, "expected a list of combinations, e.g. [{batching.batch_size: 8, precision: float16}]");
            return result;
        }
        for (int i = 0; i < list.size(); i++) {
            String itemPath = path + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> map) || map.isEmpty()) {
                problem(itemPath, "expected a combination: a map of config key paths to values, got " + describe(list.get(i)));
                continue;
            }
            Map<String, Object> combination = new LinkedHashMap<>();
            flatten(itemPath, "", map, (p, key, v) -> combination.put(key, v));
            result.put(combination, document.originOf(itemPath));
        }
        return result;
    }

    private interface Leaf {
        void accept(String documentPath, String keyPath, Object value);
    }

    private static void flatten(String path, String prefix, Map<?, ?> map, Leaf leaf) {
        map.forEach((key, value) -> {
            String keyPath = prefix.isEmpty() ? String.valueOf(key) : prefix + "." + key;
            String documentPath = path + "." + key;
            if (value instanceof Map<?, ?> nested && !nested.isEmpty()) {
                flatten(documentPath, keyPath, nested, leaf);
            } else {
                leaf.accept(documentPath, keyPath, value);
            }
        });
    }

    /** An exclusion that cannot match any combination is a mistake: say which key or value misses. */
    private void checkExclusion(Map<String, Object> values, Provenance origin, List<CampaignSpec.Axis> grid) {
        values.forEach((key, value) -> {
            CampaignSpec.Axis axis = grid.stream().filter(a -> a.keyPath().equals(key)).findFirst().orElse(null);
            if (axis == null) {
                at(origin, "grid." + EXCLUDE, "excludes by " + key + ", which the grid does not vary; varied: "
                        + String.join(", ", grid.stream().map(CampaignSpec.Axis::keyPath).toList()));
            } else if (axis.values().stream().noneMatch(s -> java.util.Objects.equals(s.value(), value))) {
                at(origin, "grid." + EXCLUDE, "excludes nothing: " + key + " " + describe(value)
                        + " is not among the grid's values " + axis.values().stream().map(s -> describe(s.value())).toList());
            }
        });
    }

    /** {@code cool_down: {within_watts, within_celsius, max_s, sample_s}}: every key checked, all at once. */
    private CoolDown coolDown(Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            problem("cool_down", "expected a map, e.g. cool_down: {within_watts: 10, within_celsius: 3, max_s: 300}");
            return null;
        }
        Set<String> keys = Set.of("within_watts", "within_celsius", "max_s", "sample_s");
        int before = problems.size();
        for (Object key : map.keySet()) {
            if (!keys.contains(String.valueOf(key))) {
                problem("cool_down." + key, "unknown cool_down key" + SpellingSuggestion.didYouMean(String.valueOf(key), keys)
                        + "; allowed: within_watts, within_celsius, max_s, sample_s");
            }
        }
        double watts = positive(map, "within_watts", 10, 0, 100_000);
        double celsius = positive(map, "within_celsius", 3, 0, 200);
        double max = positive(map, "max_s", 300, 1, 86_400);
        double sample = positive(map, "sample_s", CoolDown.DEFAULT_SAMPLE_SECONDS, 0.1, 60);
        return problems.size() > before ? null : new CoolDown(watts, celsius, max, sample);
    }

    private double positive(Map<?, ?> map, String key, double fallback, double min, double max) {
        if (!map.containsKey(key)) {
            return fallback;
        }
        if (map.get(key) instanceof Number n && n.doubleValue() >= min && n.doubleValue() <= max) {
            return n.doubleValue();
        }
        problem("cool_down." + key, "expected a number from " + DurationEstimate.format(min) + " to "
                + DurationEstimate.format(max) + ", got " + describe(map.get(key)));
        return fallback;
    }

    /** One of an enum's config spellings, or {@code fallback} when absent (or wrong, with a problem). */
    private <E extends Enum<E> & ConfigEnum> E choice(String key, Class<E> type, E fallback) {
        Object value = document.tree().get(key);
        if (value == null && !document.tree().containsKey(key)) {
            return fallback;
        }
        E chosen = value instanceof String text ? ConfigEnum.fromConfigName(type, text) : null;
        if (chosen == null) {
            List<String> names = ConfigEnum.configNames(type);
            problem(key, "expected " + String.join(", ", names.subList(0, names.size() - 1)) + " or "
                    + names.get(names.size() - 1) + ", got " + describe(value));
            return fallback;
        }
        return chosen;
    }

    private long whole(String key, long fallback, long min, long max) {
        Map<String, Object> tree = document.tree();
        if (!tree.containsKey(key)) {
            return fallback;
        }
        if (tree.get(key) instanceof Long n && n >= min && n <= max) {
            return n;
        }
        problem(key, "expected a whole number" + (min > Long.MIN_VALUE ? " from " + min + " to " + max : "")
                + ", got " + describe(tree.get(key)));
        return fallback;
    }

    private void problem(String keyPath, String message) {
        at(document.originOf(keyPath), keyPath, message);
    }

    private void at(Provenance origin, String keyPath, String message) {
        problems.add(new ConfigProblem(file.toString(), keyPath, origin == null ? 0 : origin.line(), message));
    }

    static String describe(Object value) {
        return ConfigDocument.describe(value);
    }
}
