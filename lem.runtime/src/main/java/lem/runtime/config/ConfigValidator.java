package lem.runtime.config;

import lem.runtime.config.ConfigSchema.Leaf;
import lem.runtime.config.ConfigSchema.Section;
import lem.runtime.config.ConfigSchema.Spec;
import lem.runtime.config.ExperimentConfig.BatchingStrategy;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a resolved config against {@link ConfigSchema} (unknown keys, types, ranges, allowed
 * values) and then the rules that tie keys together (mutually exclusive settings, minimum below
 * maximum). Collects every problem instead of stopping at the first; a rule between keys is only
 * checked when those keys are valid on their own, so that one mistake gives one message.
 */
final class ConfigValidator {

    private final ConfigLayer config;
    private final List<ConfigProblem> problems = new ArrayList<>();
    /** Key paths whose value passed its schema check. */
    private final Set<String> validPaths = new HashSet<>();

    private ConfigValidator(ConfigLayer config) {
        this.config = config;
    }

    /** Every problem, ordered by file (in order of first mention) and line. */
    static List<ConfigProblem> validate(ConfigLayer config) {
        ConfigValidator validator = new ConfigValidator(config);
        validator.checkSection(ConfigSchema.ROOT, config.tree(), "");
        validator.checkRules();
        List<String> files = validator.problems.stream().map(ConfigProblem::file).distinct().toList();
        List<ConfigProblem> ordered = new ArrayList<>(validator.problems);
        ordered.sort(Comparator.comparingInt((ConfigProblem problem) -> files.indexOf(problem.file()))
                .thenComparingInt(ConfigProblem::line));
        return ordered;
    }

    private void checkSection(Section section, Map<String, Object> values, String prefix) {
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            String path = ConfigLayer.join(prefix, entry.getKey());
            Spec spec = section.fields().get(entry.getKey());
            Object value = entry.getValue();
            if (spec == null) {
                checkUnknownKey(section, prefix, path, entry.getKey(), value);
            } else if (spec instanceof Section child) {
                if (value instanceof Map<?, ?> map) {
                    validPaths.add(path);
                    checkSection(child, ConfigLayer.asStringMap(map), path);
                } else {
                    report(path, "expected a map with the keys " + String.join(", ", child.fields().keySet())
                            + ", got " + ValueText.describe(value));
                }
            } else {
                String problem = ((Leaf) spec).problemWith(value);
                if (problem == null) {
                    validPaths.add(path);
                } else {
                    report(path, problem);
                }
            }
        }
    }

    private void checkUnknownKey(Section section, String prefix, String path, String key, Object value) {
        if (section.openMaps()) {
            // backend.<backend-name>: that backend's own settings, which only it can check
            if (value instanceof Map) {
                validPaths.add(path);
            } else {
                report(path, "expected " + String.join(" or ", section.fields().keySet())
                        + ", or a map of settings for the backend named '" + key + "', got "
                        + ValueText.describe(value));
            }
            return;
        }
        String where = prefix.isEmpty() ? "at the top level" : "under " + prefix;
        String suggestion = SpellingSuggestion.didYouMean(key, section.fields().keySet());
        if (suggestion.isEmpty()) {
            String elsewhere = keyElsewhere(key, ConfigSchema.ROOT, "");
            suggestion = elsewhere == null ? "." : "; did you mean '" + elsewhere + "'?";
        }
        report(path, "unknown key '" + key + "'" + suggestion
                + " Keys allowed " + where + ": " + String.join(", ", section.fields().keySet()));
    }

    /** The full path of a key of this name in another section ({@code batch_size} at the top). */
    static String keyElsewhere(String key, Section section, String prefix) {
        for (Map.Entry<String, Spec> field : section.fields().entrySet()) {
            String path = ConfigLayer.join(prefix, field.getKey());
            if (field.getValue() instanceof Section child) {
                String found = keyElsewhere(key, child, path);
                if (found != null) {
                    return found;
                }
            } else if (!prefix.isEmpty() && SpellingSuggestion.nearlySame(key, field.getKey())) {
                return path;
            }
        }
        return null;
    }

    private void checkRules() {
        checkBatching();
        checkTraffic();
        checkAtMost("decoder.min_new_tokens", "decoder.max_new_tokens");
        checkAtMost("warmup.min_requests", "warmup.max_requests");
        // a CV needs a full window of latencies: a window larger than the cap never converges
        checkAtMost("warmup.window", "warmup.max_requests");
        checkAtMost("prompts.synthetic.input_tokens", "prompts.synthetic.input_tokens_max");
        checkModel();
        checkPrompts();
        checkQuality();
        checkBaseline();
        checkOutputDir();
    }

    private void checkBatching() {
        if (!allValid("batching.strategy", "batching.max_wait_ms")) {
            return;
        }
        BatchingStrategy strategy = ConfigEnum.fromConfigName(BatchingStrategy.class,
                (String) config.valueAt("batching.strategy"));
        if (!strategy.dynamic() && writtenByUser("batching.max_wait_ms")) {
            report("batching.max_wait_ms", "only applies to the dynamic and sorted_dynamic strategies,"
                    + " and batching.strategy is '" + strategy.configName() + "'" + from("batching.strategy")
                    + "; remove max_wait_ms or choose a dynamic strategy");
        }
    }

    private void checkTraffic() {
        if (!allValid("traffic.pattern", "traffic.target_qps")) {
            return;
        }
        String pattern = (String) config.valueAt("traffic.pattern");
        Object targetQps = config.valueAt("traffic.target_qps");
        if ("none".equals(pattern) && targetQps != null) {
            report("traffic.target_qps", "must not be set when traffic.pattern is 'none'"
                    + from("traffic.pattern") + "; set traffic.pattern to constant or poisson,"
                    + " or remove target_qps");
        } else if (!"none".equals(pattern) && targetQps == null) {
            report("traffic.pattern", "'" + pattern + "' needs traffic.target_qps,"
                    + " the request rate in requests per second (> 0)");
        }
    }

    /** {@code lowerPath <= upperPath}, when both are set and valid. */
    private void checkAtMost(String lowerPath, String upperPath) {
        if (!allValid(lowerPath, upperPath)) {
            return;
        }
        Object lower = config.valueAt(lowerPath);
        Object upper = config.valueAt(upperPath);
        if (lower instanceof Long low && upper instanceof Long high && high < low) {
            // Blame whichever of the two a person wrote last; both when neither (presets).
            String blamed = writtenByUser(upperPath) || !writtenByUser(lowerPath) ? upperPath : lowerPath;
            String other = blamed.equals(upperPath) ? lowerPath : upperPath;
            String relation = blamed.equals(upperPath) ? ">= " : "<= ";
            report(blamed, "must be " + relation + other + " = " + config.valueAt(other) + from(other)
                    + ", got " + config.valueAt(blamed));
        }
    }

    private void checkModel() {
        if (!allValid("model.source", "model.path")) {
            return;
        }
        String source = (String) config.valueAt("model.source");
        Object path = config.valueAt("model.path");
        if ("local".equals(source) && path == null) {
            report("model.source", "'local' needs model.path, the folder or file holding the weights");
        } else if ("synthetic".equals(source) && path != null) {
            report("model.path", "a synthetic model has no weights to load; remove model.path"
                    + " or set model.source: local");
        }
    }

    private void checkPrompts() {
        if (!allValid("prompts.source", "prompts.inline", "prompts.file")) {
            return;
        }
        String source = (String) config.valueAt("prompts.source");
        Object inline = config.valueAt("prompts.inline");
        Object file = config.valueAt("prompts.file");
        if (!"inline".equals(source) && inline != null) {
            reportExclusive("prompts.inline", source);
        }
        if (!"file".equals(source) && file != null) {
            reportExclusive("prompts.file", source);
        }
        if (!"synthetic".equals(source)) {
            String synthetic = firstWrittenByUser("prompts.synthetic");
            if (synthetic != null) {
                reportExclusive(synthetic, source);
            }
        }
        if ("inline".equals(source) && (inline == null || ((List<?>) inline).isEmpty())) {
            report("prompts.source", "'inline' needs prompts.inline, a non-empty list of prompts");
        }
        if ("file".equals(source)) {
            if (file == null) {
                report("prompts.source", "'file' needs prompts.file, a .txt (one prompt per line)"
                        + " or .jsonl (one {\"prompt\": ...} per line) file");
            } else {
                try {
                    PromptFileReader.read(Path.of((String) file));
                } catch (PromptFileReader.InvalidPromptFileException invalid) {
                    ConfigProblem problem = invalid.problem();
                    if (problem.line() > 0) {
                        problems.add(problem);
                    } else {
                        report("prompts.file", "'" + file + "': " + problem.message());
                    }
                }
            }
        }
    }

    /** The evaluation text must be readable before anything runs; a stride longer than the window skips tokens. */
    private void checkQuality() {
        if (allValid("quality.eval_text") && config.valueAt("quality.eval_text") instanceof String file) {
            try {
                QualitySettings.read(Path.of(file));
            } catch (QualitySettings.EvalTextException e) {
                report("quality.eval_text", e.getMessage().substring("quality.eval_text: ".length()));
            } catch (java.nio.file.InvalidPathException e) {
                report("quality.eval_text", "'" + file + "' is not a valid path: " + e.getReason());
            }
        }
        if (allValid("quality.window", "quality.stride") && config.valueAt("quality.window") instanceof Long window
                && config.valueAt("quality.stride") instanceof Long stride && stride > window) {
            report("quality.stride", "must be <= quality.window = " + window + from("quality.window")
                    + ", got " + stride + ": a stride longer than the window leaves tokens unscored");
        }
    }

    private void reportExclusive(String path, String source) {
        String key = path.substring("prompts.".length());
        String wanted = key.startsWith("synthetic") ? "synthetic" : key;
        report(path, "not allowed when prompts.source is '" + source + "'" + from("prompts.source")
                + "; remove it or set prompts.source: " + wanted);
    }

    private void checkBaseline() {
        if (!allValid("baseline.enabled", "baseline.duration_s", "baseline.interval_ms")
                || !Boolean.TRUE.equals(config.valueAt("baseline.enabled"))) {
            return;
        }
        double durationMillis = ((Number) config.valueAt("baseline.duration_s")).doubleValue() * 1000.0;
        long intervalMillis = (Long) config.valueAt("baseline.interval_ms");
        if (intervalMillis > durationMillis) {
            report("baseline.interval_ms", "a " + intervalMillis + " ms interval leaves no sample in a "
                    + config.valueAt("baseline.duration_s") + " s baseline" + from("baseline.duration_s")
                    + "; make it at most baseline.duration_s x 1000");
        }
    }

    /** A file where the results folder (or one of its parents) should be can hold no results. */
    private void checkOutputDir() {
        if (!allValid("output.dir")) {
            return;
        }
        String text = (String) config.valueAt("output.dir");
        Path dir;
        try {
            dir = Path.of(text).toAbsolutePath().normalize();
        } catch (InvalidPathException invalid) {
            report("output.dir", "'" + text + "' is not a valid path: " + invalid.getReason());
            return;
        }
        for (Path step = dir; step != null; step = step.getParent()) {
            if (Files.isDirectory(step)) {
                return;
            }
            if (Files.exists(step)) {
                report("output.dir", "'" + text + "' cannot hold results: "
                        + (step.equals(dir) ? "it is" : "'" + step + "' is") + " a file, not a folder;"
                        + " name a folder (it is created when missing)");
                return;
            }
        }
    }

    private boolean allValid(String... paths) {
        for (String path : paths) {
            if (!validPaths.contains(path)) {
                return false;
            }
        }
        return true;
    }

    private boolean writtenByUser(String path) {
        Provenance origin = config.originOf(path);
        return origin != null && origin.writtenByUser();
    }

    private String firstWrittenByUser(String prefix) {
        for (Map.Entry<String, Provenance> entry : config.origins().entrySet()) {
            if (ConfigLayer.isAtOrUnder(entry.getKey(), prefix) && entry.getValue().writtenByUser()
                    && !(config.valueAt(entry.getKey()) instanceof Map<?, ?> map && !map.isEmpty())) {
                return entry.getKey();
            }
        }
        return null;
    }

    /** {@code " (from base.yaml:3)"}: where the other key of a rule was set. */
    private String from(String path) {
        Provenance origin = config.originOf(path);
        return origin == null ? "" : " (from " + origin.describe() + ")";
    }

    private void report(String path, String message) {
        problems.add(ConfigProblem.at(config.originOf(path), path, message));
    }
}
