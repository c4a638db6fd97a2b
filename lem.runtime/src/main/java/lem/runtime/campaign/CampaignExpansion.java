package lem.runtime.campaign;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import lem.runtime.config.ConfigDocument;
import lem.runtime.config.ConfigLoader;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.LoadedConfig;
import lem.runtime.config.Provenance;

/**
 * A campaign's experiments: every config crossed with every combination of the grid (the
 * Cartesian product, first key slowest, less the exclusions, plus the inclusions), each loaded
 * with its varied values laid over the config's files, and each named after them.
 */
public final class CampaignExpansion {
    /** Longest experiment name; longer names are cut and end in a hash of the whole. */
    static final int MAX_NAME_LENGTH = 120;
    /** Where a campaign's generated experiment name comes from, in provenance listings. */
    static final String NAME_ORIGIN = "campaign";

    /**
     * The experiments, and every problem of the campaign and of each expanded config (each
     * problem once, however many experiments share it).
     */
    public record Result(CampaignSpec spec, List<Experiment> experiments, List<ConfigProblem> problems) {
        public Result {
            experiments = List.copyOf(experiments);
            problems = List.copyOf(problems);
        }

        public boolean valid() {
            return problems.isEmpty();
        }

        /** The planned runs, in the spec's order; the seed is the one the plan uses. */
        public List<PlannedRun> runs(long seed) {
            return spec.order().plan(experiments.size(), spec.cycles(), seed);
        }
    }

    private CampaignExpansion() {
    }

    /**
     * Expands a campaign and checks every experiment's config the way {@code lem config validate}
     * does: schema problems from the loader, plus what {@code check} finds (registered backends
     * and energy sources, what the backend says).
     *
     * @param check every further problem of one resolved config; empty when it is fine
     */
    public static Result expand(CampaignSpec spec, Function<LoadedConfig, List<ConfigProblem>> check) {
        Set<ConfigProblem> problems = new LinkedHashSet<>(spec.problems());
        List<Experiment> experiments = new ArrayList<>();
        if (!spec.problems().isEmpty()) {
            return new Result(spec, experiments, new ArrayList<>(problems));
        }
        List<List<ConfigDocument.Setting>> combinations = combinations(spec);
        long runs = (long) combinations.size() * spec.configs().size() * spec.cycles();
        if (runs > CampaignFile.MAX_RUNS) {
            problems.add(new ConfigProblem(spec.file().toString(), "grid", 0, "expands to " + runs + " runs ("
                    + spec.configs().size() + " config(s) x " + combinations.size() + " combination(s) x " + spec.cycles()
                    + " cycle(s)); at most " + CampaignFile.MAX_RUNS + " runs per campaign"));
            return new Result(spec, experiments, new ArrayList<>(problems));
        }
        Map<String, Experiment> byName = new LinkedHashMap<>();
        for (ConfigDocument config : spec.configs()) {
            String baseName = baseName(config);
            String source = config.file() + (Objects.equals(config.file(), spec.file()) ? " (inline)" : "");
            for (List<ConfigDocument.Setting> varied : combinations) {
                List<ConfigDocument.Setting> settings = new ArrayList<>(varied);
                String name = baseName;
                if (varied.stream().noneMatch(s -> s.keyPath().equals("name"))) {
                    name = experimentName(baseName, varied);
                    settings.add(new ConfigDocument.Setting("name", name, new Provenance(NAME_ORIGIN, null, 0)));
                }
                LoadedConfig loaded = ConfigLoader.load(config, settings, List.of());
                problems.addAll(loaded.problems());
                if (loaded.valid()) {
                    problems.addAll(check.apply(loaded));
                }
                if (loaded.tree().get("name") instanceof String resolved) {
                    name = resolved;
                }
                Experiment experiment = new Experiment(experiments.size(), name, source, varied, loaded);
                Experiment clash = byName.putIfAbsent(name, experiment);
                if (clash != null) {
                    problems.add(new ConfigProblem(spec.file().toString(), "grid", 0, "two experiments would be named '"
                            + name + "' (from " + clash.source() + " and " + source
                            + "); give the configs different name: values"));
                }
                experiments.add(experiment);
            }
        }
        return new Result(spec, experiments, new ArrayList<>(problems));
    }

    /** The grid's combinations: product less exclusions, then the inclusions not already there. */
    static List<List<ConfigDocument.Setting>> combinations(CampaignSpec spec) {
        List<List<ConfigDocument.Setting>> product = new ArrayList<>();
        product.add(List.of());
        for (CampaignSpec.Axis axis : spec.grid()) {
            List<List<ConfigDocument.Setting>> next = new ArrayList<>();
            for (List<ConfigDocument.Setting> prefix : product) {
                for (ConfigDocument.Setting value : axis.values()) {
                    List<ConfigDocument.Setting> combination = new ArrayList<>(prefix);
                    combination.add(value);
                    next.add(combination);
                }
            }
            product = next;
        }
        product.removeIf(combination -> spec.exclude().stream().anyMatch(e -> matches(e, combination)));
        if (!spec.include().isEmpty() && spec.grid().isEmpty()) {
            product.clear(); // only the listed combinations
        }
        for (List<ConfigDocument.Setting> extra : spec.include()) {
            if (product.stream().noneMatch(c -> values(c).equals(values(extra)))) {
                product.add(extra);
            }
        }
        return product;
    }

    private static boolean matches(CampaignSpec.Exclusion exclusion, List<ConfigDocument.Setting> combination) {
        Map<String, Object> values = values(combination);
        return exclusion.values().entrySet().stream()
                .allMatch(e -> values.containsKey(e.getKey()) && Objects.equals(values.get(e.getKey()), e.getValue()));
    }

    private static Map<String, Object> values(List<ConfigDocument.Setting> combination) {
        Map<String, Object> values = new LinkedHashMap<>();
        combination.forEach(s -> values.put(s.keyPath(), s.value()));
        return values;
    }

    /** The config's own name (its {@code name:}, or its file's name), before anything varies. */
    private static String baseName(ConfigDocument config) {
        LoadedConfig plain = ConfigLoader.load(config, List.of(), List.of());
        return plain.tree().get("name") instanceof String name ? name : "experiment";
    }

    /**
     * {@code quickstart-batching.batch_size=4-precision=float16}: the base name and each varied
     * key and value, with every character that is not safe in a file name replaced by {@code _}.
     */
    public static String experimentName(String baseName, List<ConfigDocument.Setting> varied) {
        StringBuilder name = new StringBuilder(baseName);
        for (ConfigDocument.Setting s : varied) {
            name.append('-').append(s.keyPath()).append('=').append(valueText(s.value()));
        }
        String safe = fileSafe(name.toString());
        if (safe.length() > MAX_NAME_LENGTH) {
            String hash = Integer.toHexString(safe.hashCode());
            safe = safe.substring(0, MAX_NAME_LENGTH - hash.length() - 1) + "~" + hash;
        }
        return safe;
    }

    /** Letters, digits and {@code . _ = + -} stay; every other run of characters becomes one {@code _}. */
    static String fileSafe(String text) {
        String safe = text.replaceAll("[^A-Za-z0-9._=+-]+", "_");
        // never a hidden file or a path step
        return safe.startsWith(".") ? "_" + safe.substring(1) : safe;
    }

    /** How a varied value reads in a name and a table: lists joined by {@code +}. */
    public static String valueText(Object value) {
        if (value instanceof List<?> list) {
            return list.stream().map(CampaignExpansion::valueText).collect(Collectors.joining("+"));
        }
        if (value instanceof Map<?, ?> map) {
            return map.entrySet().stream().map(e -> e.getKey() + ":" + valueText(e.getValue()))
                    .collect(Collectors.joining("+"));
        }
        return String.valueOf(value);
    }
}
