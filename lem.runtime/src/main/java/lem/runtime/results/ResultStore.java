package lem.runtime.results;

import lem.runtime.config.SpellingSuggestion;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The experiments under one results root: what {@code lem:results} and {@code lem:aggregate} read.
 * An id may be given in full or as a prefix that only one experiment has.
 */
public final class ResultStore {
    private final Path resultsRoot;

    public ResultStore(Path resultsRoot) {
        this.resultsRoot = resultsRoot;
    }

    public Path resultsRoot() {
        return resultsRoot;
    }

    /**
     * The newest complete experiment of that name with metrics, for estimates of how long the next
     * run will take; empty when there is none or the history cannot be read (it only costs an
     * estimate its basis).
     */
    public java.util.Optional<AggregatedResult> newestComplete(String name) {
        try {
            List<ExperimentSummary> complete = list().stream()
                    .filter(s -> name.equals(s.name()) && s.state() == RunState.COMPLETE)
                    .sorted(java.util.Comparator.comparingLong(ExperimentSummary::startedEpochMillis).reversed())
                    .toList();
            for (ExperimentSummary summary : complete) {
                try {
                    AggregatedResult result = load(summary.experimentId());
                    if (result.cyclesMeasured() > 0 && result.overall() != null && result.overall().windowNanos() > 0) {
                        return java.util.Optional.of(result);
                    }
                } catch (RuntimeException unreadable) {
                    // no basis: try the next one
                }
            }
        } catch (RuntimeException unreadable) {
            // an unreadable results folder gives no basis
        }
        return java.util.Optional.empty();
    }

    /** Every experiment that has a readable status.json, oldest first. */
    public List<ExperimentSummary> list() {
        return listing().experiments();
    }

    /**
     * What {@code lem:results list} shows.
     *
     * @param experiments every experiment with a readable status.json, oldest first
     * @param warnings    one per folder skipped or read only in part, naming it and why
     */
    public record Listing(List<ExperimentSummary> experiments, List<String> warnings) {
        public Listing {
            experiments = List.copyOf(experiments);
            warnings = List.copyOf(warnings);
        }
    }

    /** Every experiment, oldest first; a folder whose status.json is missing or unreadable is skipped with a warning. */
    public Listing listing() {
        List<String> warnings = new ArrayList<>();
        List<ExperimentSummary> summaries = new ArrayList<>();
        for (StoredExperiment experiment : stored(warnings)) {
            ExperimentStatus status = experiment.status();
            AggregatedResult result = experiment.result();
            WorkloadMetrics overall = result == null ? null : result.overall();
            RunState state = RunningProcess.effectiveState(status);
            summaries.add(new ExperimentSummary(experiment.id(), status.name(), state,
                    state == RunState.DEAD ? RunningProcess.deathReason(status) : status.reason(),
                    experiment.startedEpochMillis(), result == null ? null : result.cyclesMeasured(),
                    HeadlineMetric.OUTPUT_TOKENS_PER_SECOND.valueOf(overall), HeadlineMetric.ENERGY_RAW.valueOf(overall),
                    HeadlineMetric.JOULES_PER_OUTPUT_TOKEN.valueOf(overall), HeadlineMetric.TTFT_MEAN.valueOf(overall)));
        }
        return new Listing(summaries, warnings);
    }

    /** An experiment's status and result as a listing reads them: the result null where missing or unreadable. */
    private record StoredExperiment(String id, ExperimentStatus status, AggregatedResult result) {
        long startedEpochMillis() {
            return status == null ? 0 : status.startedEpochMillis();
        }
    }

    /**
     * Every experiment with its files read once, oldest first (then by id). One folder with a missing or
     * garbled status.json must not hide the others: it is left out and {@code warnings} says which and why.
     */
    private List<StoredExperiment> stored(List<String> warnings) {
        List<StoredExperiment> experiments = new ArrayList<>();
        for (String id : ids()) {
            ResultsDirectory directory = ResultsDirectory.existing(resultsRoot, id);
            ExperimentStatus status;
            try {
                status = directory.status();
            } catch (ResultsFileException e) {
                warnings.add("skipped " + directory.path() + ": " + e.getMessage());
                continue;
            }
            if (status == null) {
                warnings.add("skipped " + directory.path() + ": it has no " + ResultsDirectory.STATUS_FILE
                        + " (lem aggregate " + id + " still reads its raw files)");
                continue;
            }
            AggregatedResult result;
            try {
                result = directory.result();
            } catch (ResultsFileException e) {
                warnings.add(directory.path() + ": metrics left blank: " + e.getMessage());
                result = null;
            }
            experiments.add(new StoredExperiment(id, status, result));
        }
        experiments.sort(Comparator.comparingLong(StoredExperiment::startedEpochMillis)
                .thenComparing(StoredExperiment::id));
        return experiments;
    }

    private static StoredExperiment read(ResultsDirectory directory) {
        return new StoredExperiment(directory.experimentId(), readQuietly(directory::status),
                readQuietly(directory::result));
    }

    /**
     * The stored aggregate of an experiment.
     *
     * @throws UnknownExperimentException when no experiment has the id
     * @throws ResultsFileException when it was never aggregated or result.json is unreadable
     */
    public AggregatedResult load(String experimentId) {
        ResultsDirectory directory = directory(experimentId);
        AggregatedResult result = directory.result();
        if (result == null) {
            throw new ResultsFileException(directory.path().resolve(ResultsDirectory.RESULT_FILE),
                    "does not exist: experiment " + directory.experimentId() + " was not aggregated"
                            + " (run lem:aggregate " + directory.experimentId() + ")");
        }
        return result;
    }

    /** Aggregates an experiment again from its raw files and stores the result ({@code lem:aggregate}). */
    public AggregatedResult aggregate(String experimentId) throws IOException {
        ResultsDirectory directory = directory(experimentId);
        AggregatedResult result = directory.aggregate();
        directory.writeResult(result);
        return result;
    }

    /** CSV of the given experiments (all when none are given), in the {@code experiments.csv} format. */
    public String exportCsv(String... experimentIds) {
        List<StoredExperiment> experiments = experimentIds == null || experimentIds.length == 0 ? stored(new ArrayList<>())
                : Stream.of(experimentIds).map(id -> read(directory(id))).toList();
        return ExperimentCsv.text(experiments.stream()
                .map(experiment -> ExperimentCsv.row(experiment.status(), experiment.result(), experiment.id()))
                .toList());
    }

    /**
     * The directory of an experiment, by full id or unique prefix.
     *
     * @throws UnknownExperimentException naming the nearest ids
     */
    public ResultsDirectory directory(String experimentId) {
        List<String> ids = ids();
        if (experimentId != null && ids.contains(experimentId)) {
            return ResultsDirectory.existing(resultsRoot, experimentId);
        }
        String given = experimentId == null ? "" : experimentId;
        List<String> prefixed = given.isEmpty() ? List.of() : ids.stream().filter(id -> id.startsWith(given)).toList();
        if (prefixed.size() == 1) {
            return ResultsDirectory.existing(resultsRoot, prefixed.get(0));
        }
        if (prefixed.size() > 1) {
            throw UnknownExperimentException.ambiguous(given, resultsRoot.toString(), prefixed.stream().sorted().toList());
        }
        List<String> nearest = ids.stream().sorted(Comparator.comparingInt((String id) -> SpellingSuggestion.levenshtein(given, id))
                        .thenComparing(Comparator.naturalOrder())).limit(3).toList();
        throw new UnknownExperimentException(given, resultsRoot.toString(), nearest);
    }

    /** Ids of the experiment directories (those with a status.json or a raw folder). */
    private List<String> ids() {
        try {
            return TidyTable.experimentDirectories(resultsRoot).stream().map(dir -> dir.getFileName().toString()).toList();
        } catch (IOException e) {
            throw new ResultsFileException(resultsRoot, "cannot be listed: " + e.getMessage(), e);
        }
    }

    /** A listing shows what it can: a broken file leaves its fields empty instead of failing the list. */
    private static <T> T readQuietly(java.util.function.Supplier<T> reader) {
        try {
            return reader.get();
        } catch (ResultsFileException e) {
            return null;
        }
    }
}
