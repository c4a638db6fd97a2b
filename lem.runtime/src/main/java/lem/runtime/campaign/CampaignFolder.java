package lem.runtime.campaign;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import lem.runtime.config.SpellingSuggestion;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.ResultsFileException;
import lem.runtime.results.ResultsJson;

/**
 * A campaign's state on disk, {@code <results>/campaigns/<campaign-id>/}: {@code plan.json}
 * (written once) and {@code runs/run_<index>.json} per run that started (each written atomically,
 * by whoever runs that index). Nothing else is needed to know what is done and what is left.
 */
public final class CampaignFolder {
    public static final String CAMPAIGNS_DIR = "campaigns";
    public static final String PLAN_FILE = "plan.json";
    public static final String RUNS_DIR = "runs";
    static final String LOCK_FILE = ".lock";

    private final Path path;
    private final CampaignPlan plan;

    private CampaignFolder(Path path, CampaignPlan plan) {
        this.path = path;
        this.plan = plan;
    }

    /** Creates the folder of a new campaign and writes its plan. */
    public static CampaignFolder create(Path resultsRoot, CampaignPlan plan) throws IOException {
        Path path = resultsRoot.resolve(CAMPAIGNS_DIR).resolve(plan.campaignId());
        Files.createDirectories(path.getParent());
        Files.createDirectory(path);
        Files.createDirectories(path.resolve(RUNS_DIR));
        ResultsJson.writeAtomically(path.resolve(PLAN_FILE), plan);
        return new CampaignFolder(path, plan);
    }

    /**
     * An existing campaign: a folder holding {@code plan.json}, or a campaign id (a unique prefix is
     * enough) under {@code <resultsRoot>/campaigns}.
     */
    public static CampaignFolder open(Path resultsRoot, String campaign) {
        Path given = Path.of(campaign);
        if (Files.isRegularFile(given.resolve(PLAN_FILE))) {
            return read(given);
        }
        Path campaigns = resultsRoot.resolve(CAMPAIGNS_DIR);
        List<String> ids = ids(campaigns);
        if (ids.contains(campaign)) {
            return read(campaigns.resolve(campaign));
        }
        List<String> prefixed = ids.stream().filter(id -> id.startsWith(campaign)).toList();
        if (prefixed.size() == 1) {
            return read(campaigns.resolve(prefixed.get(0)));
        }
        List<String> nearest = prefixed.size() > 1 ? prefixed.stream().limit(5).toList()
                : ids.stream().sorted(Comparator.comparingInt((String id) -> SpellingSuggestion.levenshtein(campaign, id)))
                        .limit(3).toList();
        throw new CampaignException((prefixed.size() > 1 ? "'" + campaign + "' names several campaigns"
                : "no campaign '" + campaign + "' in " + campaigns) + (nearest.isEmpty() ? " (there is none)"
                        : "; " + (prefixed.size() > 1 ? "which one: " : "nearest: ") + String.join(", ", nearest)));
    }

    /** Ids of the campaigns under a results folder, sorted. */
    public static List<String> ids(Path campaigns) {
        if (!Files.isDirectory(campaigns)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(campaigns)) {
            return children.filter(dir -> Files.isRegularFile(dir.resolve(PLAN_FILE)))
                    .map(dir -> dir.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new CampaignException(campaigns + " cannot be listed: " + e.getMessage(), e);
        }
    }

    private static CampaignFolder read(Path path) {
        try {
            return new CampaignFolder(path, ResultsJson.read(path.resolve(PLAN_FILE), CampaignPlan.class));
        } catch (ResultsFileException e) {
            throw new CampaignException(e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    public CampaignPlan plan() {
        return plan;
    }

    public Path recordPath(int index) {
        return path.resolve(RUNS_DIR).resolve("run_" + index + ".json");
    }

    /** The state of one run, empty when it never started. */
    public Optional<RunRecord> record(int index) {
        Path file = recordPath(index);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(ResultsJson.read(file, RunRecord.class));
        } catch (ResultsFileException e) {
            throw new CampaignException(e.getMessage(), e);
        }
    }

    /** The record of every run that started, by index. */
    public Map<Integer, RunRecord> records() {
        Map<Integer, RunRecord> records = new LinkedHashMap<>();
        for (PlannedRun run : plan.runs()) {
            record(run.index()).ifPresent(r -> records.put(run.index(), r));
        }
        return records;
    }

    /** Runs that a resume would run: never started, or not complete; in plan order. */
    public List<PlannedRun> missing() {
        Map<Integer, RunRecord> records = records();
        List<PlannedRun> missing = new ArrayList<>();
        for (PlannedRun run : plan.runs()) {
            RunRecord record = records.get(run.index());
            if (record == null || !record.complete()) {
                missing.add(run);
            }
        }
        return missing;
    }

    public void write(RunRecord record) throws IOException {
        ResultsJson.writeAtomically(recordPath(record.index()), record);
    }

    /**
     * Holds the campaign for this process until closed, so that two resumes never run it at once;
     * the operating system drops the lock when the process dies, kill -9 included.
     */
    public AutoCloseable lock() throws IOException {
        return lock(LOCK_FILE);
    }

    /** A lock of the given name in the campaign's folder (a Slurm array task holds one for its runs). */
    AutoCloseable lock(String name) throws IOException {
        FileChannel channel = FileChannel.open(path.resolve(name), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = HostLock.tryLock(channel);
        if (lock == null) {
            channel.close();
            throw new CampaignException("campaign " + plan.campaignId() + " is being run by another process or command now");
        }
        FileLock held = lock;
        return () -> {
            held.release();
            channel.close();
        };
    }
}
