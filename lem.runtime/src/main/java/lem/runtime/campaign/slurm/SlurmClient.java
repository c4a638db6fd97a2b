package lem.runtime.campaign.slurm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import lem.runtime.campaign.CampaignException;

/**
 * Slurm's own client commands ({@code sbatch}, {@code squeue}, {@code sacct}), run as processes,
 * and their output read. lem schedules nothing itself.
 */
public class SlurmClient {
    private static final long COMMAND_TIMEOUT_SECONDS = 120;
    private static final Pattern JOB_ID = Pattern.compile("\\d+");
    private static final Pattern TASK_ID = Pattern.compile("(\\d+)_(\\d+|\\[([0-9,\\-%]+)\\])");

    /**
     * One array task as squeue or sacct reports it.
     *
     * @param jobId    the array's job id
     * @param task     the array task index
     * @param state    Slurm's state (PENDING, RUNNING, COMPLETED, TIMEOUT, CANCELLED, FAILED, ...)
     * @param exitCode {@code status:signal} as sacct prints it, or "" when not known
     */
    public record TaskState(String jobId, int task, String state, String exitCode) {
    }

    /** Submits a script; the job id. */
    public String submit(Path script) {
        return parseJobId(run("sbatch", "--parsable", script.toString()));
    }

    /**
     * Array tasks of the job still pending or running; empty when the whole array has ended,
     * including when slurmctld has forgotten the job (after {@code MinJobAge}, squeue calls its id invalid).
     */
    public List<TaskState> queued(String jobId) {
        try {
            return parseSqueue(run("squeue", "--noheader", "--array", "--jobs=" + jobId, "--format=%i|%T"));
        } catch (CampaignException e) {
            if (e.getMessage().contains(INVALID_JOB_ID)) {
                return List.of();
            }
            throw e;
        }
    }

    /** What squeue says of a job id that slurmctld does not know (any more). */
    static final String INVALID_JOB_ID = "Invalid job id specified";

    /**
     * How each array task ended, from Slurm's accounting; empty when the cluster keeps none (sacct
     * then fails, e.g. without slurmdbd): the run records on disk still say what ran.
     */
    public Optional<List<TaskState>> accounting(String jobId) {
        try {
            return Optional.of(parseSacct(run("sacct", "--noheader", "--parsable2", "--allocations", "--jobs=" + jobId,
                    "--format=JobID,State,ExitCode")));
        } catch (CampaignException e) {
            return Optional.empty();
        }
    }

    /** {@code sbatch --parsable}: {@code <job id>} or {@code <job id>;<cluster>}. */
    static String parseJobId(String output) {
        String first = output.strip().lines().reduce((a, b) -> b).orElse("");
        String id = first.split(";", 2)[0].strip();
        if (!JOB_ID.matcher(id).matches()) {
            throw new CampaignException("sbatch --parsable printed '" + output.strip() + "', not a job id");
        }
        return id;
    }

    /** {@code squeue --array --format=%i|%T}: a line per task, {@code 123_4|RUNNING}. */
    static List<TaskState> parseSqueue(String output) {
        List<TaskState> tasks = new ArrayList<>();
        for (String line : output.strip().lines().toList()) {
            String[] cells = line.strip().split("\\|", -1);
            if (cells.length >= 2) {
                tasks.addAll(expand(cells[0].strip(), cells[1].strip(), ""));
            }
        }
        return tasks;
    }

    /**
     * {@code sacct --parsable2 --format=JobID,State,ExitCode}: {@code 123_4|COMPLETED|0:0},
     * {@code 123_5|CANCELLED by 0|0:15}, pending ranges as {@code 123_[6-8]|PENDING|0:0}. A task
     * listed twice (a requeue) keeps its last line.
     */
    static List<TaskState> parseSacct(String output) {
        Map<Integer, TaskState> tasks = new LinkedHashMap<>();
        for (String line : output.strip().lines().toList()) {
            String[] cells = line.strip().split("\\|", -1);
            if (cells.length >= 3) {
                String state = cells[1].strip().split("\\s+", 2)[0];
                for (TaskState t : expand(cells[0].strip(), state, cells[2].strip())) {
                    tasks.put(t.task(), t);
                }
            }
        }
        return new ArrayList<>(tasks.values());
    }

    /** {@code 123_4}, or a pending range {@code 123_[4-6,9]} (a {@code %N} throttle ignored). */
    private static List<TaskState> expand(String id, String state, String exitCode) {
        Matcher m = TASK_ID.matcher(id);
        if (!m.matches()) {
            return List.of();
        }
        String upper = state.toUpperCase(Locale.ROOT);
        if (m.group(3) == null) {
            return List.of(new TaskState(m.group(1), Integer.parseInt(m.group(2)), upper, exitCode));
        }
        List<TaskState> tasks = new ArrayList<>();
        for (String part : m.group(3).split("%", 2)[0].split(",")) {
            String[] ends = part.split("-", 2);
            int from = Integer.parseInt(ends[0]);
            int to = ends.length > 1 ? Integer.parseInt(ends[1]) : from;
            for (int t = from; t <= to; t++) {
                tasks.add(new TaskState(m.group(1), t, upper, exitCode));
            }
        }
        return tasks;
    }

    /** Runs a Slurm command to its end; its stdout, or a failure with its stderr. */
    protected String run(String... command) {
        Path err = null;
        Path out = null;
        try {
            out = Files.createTempFile("lem-slurm", ".out");
            err = Files.createTempFile("lem-slurm", ".err");
            Process process;
            try {
                process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            } catch (IOException e) {
                throw new CampaignException(command[0] + " cannot be started (" + e.getMessage() + "): Slurm's client"
                        + " commands must be on the PATH of the host that runs lem campaign submit and collect");
            }
            if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new CampaignException(String.join(" ", command) + " did not answer in " + COMMAND_TIMEOUT_SECONDS
                        + " s; is slurmctld reachable?");
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new CampaignException(String.join(" ", command) + " failed (exit status " + process.exitValue()
                        + "): " + Files.readString(err, StandardCharsets.UTF_8).strip());
            }
            return stdout;
        } catch (IOException e) {
            throw new CampaignException("running " + command[0] + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CampaignException("interrupted while " + command[0] + " ran", e);
        } finally {
            delete(out);
            delete(err);
        }
    }

    private static void delete(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a temporary file left behind is harmless
            }
        }
    }
}
