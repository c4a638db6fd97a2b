package lem.runtime.campaign.slurm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import lem.runtime.campaign.CampaignException;

/**
 * The sbatch array script of a campaign: one array task per shard of runs; each task runs
 * {@code lem campaign run-task <campaign folder> --task $SLURM_ARRAY_TASK_ID} in the shared folder,
 * its stdout and stderr in the campaign's {@code slurm/} folder, and gets SIGTERM before its time
 * limit so that the run in flight is recorded incomplete.
 */
public final class SlurmScript {
    private SlurmScript() {
    }

    /**
     * @param campaignId     the campaign, in the job name
     * @param campaignFolder its folder, absolute, on the shared file system
     * @param sharedDir      where the tasks run (absolute)
     * @param lemCommand     the command that starts lem on a node
     * @param settings       the campaign's {@code slurm:} settings
     * @param tasks          the array task indexes to submit
     * @param runsPerTask    for the header comment
     */
    public static String text(String campaignId, Path campaignFolder, Path sharedDir, String lemCommand,
            SlurmSettings settings, Collection<Integer> tasks, int runsPerTask) {
        Path slurmDir = campaignFolder.resolve(SlurmJobs.DIR);
        noSpaces("the campaign folder", campaignFolder);
        noSpaces("slurm.shared_dir", sharedDir);
        List<String> lines = new ArrayList<>();
        lines.add("#!/bin/bash");
        lines.add("# written by lem campaign submit --slurm: campaign " + campaignId + ", " + runsPerTask
                + " run(s) per array task; " + SlurmJobs.FILE + " says which runs each task holds");
        directive(lines, "--job-name=lem-" + campaignId);
        directive(lines, "--array=" + SlurmJobs.arraySpec(tasks));
        directive(lines, "--ntasks=1");
        directive(lines, "--chdir=" + sharedDir);
        directive(lines, "--output=" + slurmDir.resolve("task_%a.job_%A.out"));
        directive(lines, "--error=" + slurmDir.resolve("task_%a.job_%A.err"));
        // B: signals the batch shell, which exec made lem itself: it records the run in flight incomplete
        directive(lines, "--signal=B:TERM@" + settings.signalBeforeSeconds());
        if (settings.partition() != null) {
            directive(lines, "--partition=" + settings.partition());
        }
        if (settings.gpusPerTask() > 0) {
            directive(lines, "--gpus-per-task=" + settings.gpusPerTask());
        }
        if (settings.cpusPerTask() > 0) {
            directive(lines, "--cpus-per-task=" + settings.cpusPerTask());
        }
        if (settings.mem() != null) {
            directive(lines, "--mem=" + settings.mem());
        }
        if (settings.timeLimit() != null) {
            directive(lines, "--time=" + settings.timeLimit());
        }
        settings.sbatchOptions().forEach(option -> directive(lines, option));
        lines.add("");
        lines.add("exec " + lemCommand + " campaign run-task " + shellQuote(campaignFolder.toString())
                + " --task \"$SLURM_ARRAY_TASK_ID\"");
        return String.join("\n", lines) + "\n";
    }

    private static void directive(List<String> lines, String option) {
        lines.add("#SBATCH " + option);
    }

    private static void noSpaces(String what, Path path) {
        if (!path.toString().matches("[^\\s'\"\\\\]+")) {
            throw new CampaignException(what + " '" + path + "' has a space, quote or backslash, which sbatch's #SBATCH"
                    + " lines cannot carry; use a folder without them");
        }
    }

    /** Single quotes for a shell word. */
    public static String shellQuote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
