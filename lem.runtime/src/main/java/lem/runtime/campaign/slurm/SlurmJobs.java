package lem.runtime.campaign.slurm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import lem.runtime.campaign.CampaignException;
import lem.runtime.campaign.CampaignFolder;
import lem.runtime.campaign.PlannedRun;
import lem.runtime.results.ResultsFileException;
import lem.runtime.results.ResultsJson;

/**
 * {@code <campaign>/slurm/slurm.json}: which runs each array task holds (fixed at the first
 * submission, so that a resubmission's task N runs what task N always ran) and every submission
 * made, with its job id. Written only by the submitting process.
 *
 * @param campaignId  the campaign
 * @param runsPerTask runs per array task
 * @param tasks       per array task index, the run indexes it holds, in plan order
 * @param submissions every sbatch submission, oldest first
 */
public record SlurmJobs(String campaignId, int runsPerTask, List<List<Integer>> tasks, List<Submission> submissions) {
    public static final String DIR = "slurm";
    public static final String FILE = "slurm.json";

    public SlurmJobs {
        tasks = tasks.stream().map(List::copyOf).toList();
        submissions = List.copyOf(submissions);
    }

    /**
     * One {@code sbatch} of the campaign.
     *
     * @param jobId               the array's job id, as {@code sbatch --parsable} printed it
     * @param tasks               the array task indexes submitted
     * @param script              the script submitted
     * @param submittedEpochMillis when
     */
    public record Submission(String jobId, List<Integer> tasks, String script, long submittedEpochMillis) {
        public Submission {
            tasks = List.copyOf(tasks);
        }
    }

    /** Runs in plan order, {@code runsPerTask} to a task: task t holds runs t*k to t*k+k-1. */
    public static List<List<Integer>> shard(List<PlannedRun> runs, int runsPerTask) {
        if (runsPerTask < 1) {
            throw new IllegalArgumentException("runs per task must be at least 1, got " + runsPerTask);
        }
        List<List<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < runs.size(); i += runsPerTask) {
            tasks.add(runs.subList(i, Math.min(runs.size(), i + runsPerTask)).stream().map(PlannedRun::index).toList());
        }
        return tasks;
    }

    /** The array tasks that hold at least one of {@code runs}, ascending. */
    public List<Integer> tasksHolding(Collection<PlannedRun> runs) {
        Set<Integer> wanted = new TreeSet<>();
        runs.forEach(r -> wanted.add(r.index()));
        List<Integer> holding = new ArrayList<>();
        for (int t = 0; t < tasks.size(); t++) {
            if (tasks.get(t).stream().anyMatch(wanted::contains)) {
                holding.add(t);
            }
        }
        return holding;
    }

    /** The array task holding run {@code runIndex}, or -1. */
    public int taskOf(int runIndex) {
        for (int t = 0; t < tasks.size(); t++) {
            if (tasks.get(t).contains(runIndex)) {
                return t;
            }
        }
        return -1;
    }

    /** The runs of array task {@code task}; a clear error for an index that has none. */
    public List<Integer> runsOf(int task) {
        if (task < 0 || task >= tasks.size()) {
            throw new CampaignException("campaign " + campaignId + " has array tasks 0 to " + (tasks.size() - 1)
                    + ", not " + task);
        }
        return tasks.get(task);
    }

    /** The latest submission, or null before the first. */
    public Submission latest() {
        return submissions.isEmpty() ? null : submissions.get(submissions.size() - 1);
    }

    public SlurmJobs with(Submission submission) {
        List<Submission> all = new ArrayList<>(submissions);
        all.add(submission);
        return new SlurmJobs(campaignId, runsPerTask, tasks, all);
    }

    /**
     * {@code sbatch --array} text: ascending indexes, runs of consecutive ones as ranges
     * ({@code 0-3,5,7-8}).
     */
    public static String arraySpec(Collection<Integer> indexes) {
        if (indexes.isEmpty()) {
            throw new IllegalArgumentException("an array needs at least one task");
        }
        List<Integer> sorted = new ArrayList<>(new TreeSet<>(indexes));
        StringBuilder spec = new StringBuilder();
        int start = sorted.get(0);
        int previous = start;
        for (int i = 1; i <= sorted.size(); i++) {
            int next = i < sorted.size() ? sorted.get(i) : Integer.MIN_VALUE;
            if (next == previous + 1) {
                previous = next;
                continue;
            }
            if (spec.length() > 0) {
                spec.append(',');
            }
            spec.append(start == previous ? String.valueOf(start) : start + "-" + previous);
            start = next;
            previous = next;
        }
        return spec.toString();
    }

    public static Path dir(CampaignFolder folder) {
        return folder.path().resolve(DIR);
    }

    /** The campaign's Slurm record, or null when it was never submitted. */
    public static SlurmJobs read(CampaignFolder folder) {
        Path file = dir(folder).resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return ResultsJson.read(file, SlurmJobs.class);
        } catch (ResultsFileException e) {
            throw new CampaignException(e.getMessage(), e);
        }
    }

    public void write(CampaignFolder folder) throws IOException {
        Files.createDirectories(dir(folder));
        ResultsJson.writeAtomically(dir(folder).resolve(FILE), this);
    }
}
