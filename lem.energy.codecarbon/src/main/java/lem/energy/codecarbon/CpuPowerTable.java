package lem.energy.codecarbon;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * CPU thermal design power by model name, from CodeCarbon's {@code cpu_power.csv} (resource of the
 * same name, source named in its header), matched to a {@code /proc/cpuinfo} model name the way
 * CodeCarbon's {@code TDP._get_matching_cpu} does (non-greedy).
 */
public final class CpuPowerTable {
    /** A table row a model name matched. */
    public record Match(String tableName, double tdpWatts) {
    }

    private record Row(String name, double tdpWatts) {
    }

    private static final String RESOURCE = "cpu_power.csv";

    private final List<Row> rows;

    private CpuPowerTable(List<Row> rows) {
        this.rows = List.copyOf(rows);
    }

    public static CpuPowerTable load() {
        List<Row> rows = new ArrayList<>();
        for (String line : DataResource.rows(RESOURCE)) {
            int comma = line.lastIndexOf(',');
            rows.add(new Row(line.substring(0, comma), Double.parseDouble(line.substring(comma + 1))));
        }
        return new CpuPowerTable(rows);
    }

    public int size() {
        return rows.size();
    }

    /**
     * CodeCarbon's matching: the name as is, case-insensitive; then the name without
     * {@code (R)}, {@code CPU} and the clock ({@code @ 3.00GHz}); then, on token sets (lower case,
     * punctuation as spaces), a row whose tokens all appear in the name or contain all of its tokens,
     * accepted only when exactly one row qualifies.
     */
    public Optional<Match> match(String modelName) {
        if (modelName == null || modelName.isBlank()) {
            return Optional.empty();
        }
        Optional<Match> direct = exact(modelName);
        if (direct.isPresent()) {
            return direct;
        }
        String cleaned = modelName.replace("(R)", "");
        int cpuAt = cleaned.indexOf(" CPU @ ");
        if (cpuAt > 0) {
            cleaned = cleaned.substring(0, cpuAt);
        }
        cleaned = cleaned.replace(" CPU", "").replaceAll(" @\\s*\\d+\\.\\d+GHz", "");
        direct = exact(cleaned);
        if (direct.isPresent()) {
            return direct;
        }
        Set<String> modelTokens = tokens(cleaned);
        if (modelTokens.isEmpty()) {
            return Optional.empty();
        }
        List<Row> candidates = new ArrayList<>();
        for (Row row : rows) {
            Set<String> rowTokens = tokens(row.name());
            if (rowTokens.isEmpty()) {
                continue;
            }
            // rapidfuzz token_set_ratio is 100 exactly when the sets share a token and one contains the other.
            boolean share = rowTokens.stream().anyMatch(modelTokens::contains);
            if (share && (modelTokens.containsAll(rowTokens) || rowTokens.containsAll(modelTokens))) {
                candidates.add(row);
            }
        }
        if (candidates.size() == 1) {
            return Optional.of(new Match(candidates.get(0).name(), candidates.get(0).tdpWatts()));
        }
        return Optional.empty();
    }

    private Optional<Match> exact(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return rows.stream().filter(r -> r.name().toLowerCase(Locale.ROOT).equals(lower)).findFirst()
                .map(r -> new Match(r.name(), r.tdpWatts()));
    }

    /** rapidfuzz's default_process: lower case, every non-alphanumeric character a space. */
    private static Set<String> tokens(String s) {
        String processed = s.toLowerCase(Locale.ROOT).replaceAll("[^\\p{Alnum}]", " ").trim();
        if (processed.isEmpty()) {
            return Set.of();
        }
        return Arrays.stream(processed.split("\\s+")).collect(Collectors.toCollection(HashSet::new));
    }
}
