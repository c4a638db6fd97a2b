package lem.runtime.campaign.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.runtime.campaign.CampaignFile;
import lem.runtime.campaign.CampaignSpec;
import lem.runtime.config.ConfigProblem;

class SlurmSettingsTest {
    @TempDir
    Path dir;

    private Path campaign(String slurm) throws IOException {
        Files.writeString(dir.resolve("tiny.yaml"), "name: tiny\n");
        return Files.writeString(dir.resolve("campaign.yaml"), "base: tiny.yaml\ncycles: 2\n" + slurm);
    }

    @Test
    void everyKeyIsReadAsWritten() throws IOException {
        SlurmSettings.Read read = SlurmSettings.read(campaign("""
                slurm:
                  partition: gpu
                  gpus_per_task: 2
                  cpus_per_task: 8
                  mem: 64G
                  time_limit: "1-02:30:00"
                  runs_per_task: 3
                  signal_before_s: 120
                  sbatch_options: ["--account=lab", "--qos=normal"]
                  lem_command: /opt/lem/bin/lem
                  shared_dir: /shared/lem
                """));
        assertEquals(List.of(), read.problems());
        assertTrue(read.present());
        assertEquals(new SlurmSettings("gpu", 2, 8, "64G", "1-02:30:00", 3, 120, List.of("--account=lab", "--qos=normal"),
                "/opt/lem/bin/lem", "/shared/lem"), read.settings());
        assertEquals(86_400 + 2 * 3600 + 30 * 60, read.settings().timeLimitSeconds());
    }

    @Test
    void withoutTheSectionTheDefaultsHoldOneRunPerTaskAndTheCampaignFileAcceptsTheSection() throws IOException {
        SlurmSettings.Read read = SlurmSettings.read(campaign(""));
        assertFalse(read.present());
        assertEquals(1, read.settings().runsPerTask());
        assertEquals(SlurmSettings.DEFAULT_SIGNAL_BEFORE_SECONDS, read.settings().signalBeforeSeconds());
        assertNull(read.settings().timeLimit());
        assertEquals(-1, read.settings().timeLimitSeconds());

        CampaignSpec spec = CampaignFile.read(campaign("slurm: {partition: gpu}\n"));
        assertEquals(List.of(), spec.problems(), "slurm: is a campaign key");
    }

    @Test
    void slurmTimeFormatsInSeconds() {
        assertEquals(30 * 60, SlurmSettings.seconds("30"));
        assertEquals(30 * 60 + 15, SlurmSettings.seconds("30:15"));
        assertEquals(2 * 3600 + 60 + 5, SlurmSettings.seconds("2:01:05"));
        assertEquals(86_400 + 3 * 3600, SlurmSettings.seconds("1-3"));
        assertEquals(2 * 86_400 + 3 * 3600 + 4 * 60, SlurmSettings.seconds("2-03:04"));
        assertEquals(-1, SlurmSettings.seconds("1h"));
        assertEquals(-1, SlurmSettings.seconds("1:2:3:4"));
    }

    @Test
    void everyMistakeIsReportedAtOnceWithItsKeyAndLine() throws IOException {
        SlurmSettings.Read read = SlurmSettings.read(campaign("""
                slurm:
                  partiton: gpu
                  gpus_per_task: -1
                  cpus_per_task: 1.5
                  mem: lots
                  time_limit: 2h
                  runs_per_task: 0
                  sbatch_options: ["--array=0-3", "account=lab", 7]
                  shared_dir: ""
                """));
        List<ConfigProblem> problems = read.problems();
        assertEquals(10, problems.size(), problems::toString);
        assertProblem(problems, "slurm.partiton", 4, "unknown slurm key; did you mean 'partition'?");
        assertProblem(problems, "slurm.gpus_per_task", 5, "expected a whole number from 0 to 1024, got -1");
        assertProblem(problems, "slurm.cpus_per_task", 6, "expected a whole number from 1 to 4096, got 1.5");
        assertProblem(problems, "slurm.mem", 7, "expected memory per node as sbatch --mem takes it");
        assertProblem(problems, "slurm.time_limit", 8, "MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS");
        assertProblem(problems, "slurm.runs_per_task", 9, "expected a whole number from 1 to 10000, got 0");
        assertProblem(problems, "slurm.sbatch_options[0]", 10, "--array is set by lem itself");
        assertProblem(problems, "slurm.sbatch_options[1]", 10, "starting with -");
        assertProblem(problems, "slurm.sbatch_options[2]", 10, "got 7");
        assertProblem(problems, "slurm.shared_dir", 11, "expected a folder every node sees");
        assertTrue(problems.stream().allMatch(p -> p.file().endsWith("campaign.yaml")), problems::toString);
    }

    @Test
    void aSignalNotBeforeTheTimeLimitIsRefused() throws IOException {
        SlurmSettings.Read read = SlurmSettings.read(campaign("slurm: {time_limit: \"2:00\", signal_before_s: 120}\n"));
        assertEquals(1, read.problems().size(), read.problems()::toString);
        assertTrue(read.problems().get(0).message().contains("120 s is not before the end of time_limit 2:00 (120 s)"),
                read.problems()::toString);
        assertTrue(SlurmSettings.read(campaign("slurm: {time_limit: \"2:01\", signal_before_s: 120}\n")).problems()
                .isEmpty());
    }

    @Test
    void aSectionThatIsNotAMapIsOneProblem() throws IOException {
        SlurmSettings.Read read = SlurmSettings.read(campaign("slurm: gpu\n"));
        assertEquals(1, read.problems().size());
        assertEquals("slurm", read.problems().get(0).keyPath());
        assertEquals(3, read.problems().get(0).line());
    }

    private static void assertProblem(List<ConfigProblem> problems, String key, int line, String text) {
        ConfigProblem p = problems.stream().filter(x -> x.keyPath().equals(key)).findFirst()
                .orElseThrow(() -> new AssertionError("no problem at " + key + " in " + problems));
        assertEquals(line, p.line(), p::toString);
        assertTrue(p.message().contains(text), p::toString);
    }
}
