package lem.runtime.campaign.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import lem.runtime.campaign.CampaignException;
import lem.runtime.campaign.slurm.SlurmClient.TaskState;

class SlurmClientTest {
    @Test
    void sbatchParsablePrintsTheJobIdWithOrWithoutTheCluster() {
        assertEquals("4711", SlurmClient.parseJobId("4711\n"));
        assertEquals("4711", SlurmClient.parseJobId("4711;cluster-a\n"));
        CampaignException e = assertThrows(CampaignException.class,
                () -> SlurmClient.parseJobId("Submitted batch job 4711\n"));
        assertEquals("sbatch --parsable printed 'Submitted batch job 4711', not a job id", e.getMessage());
    }

    @Test
    void squeueGivesALinePerArrayTaskAndPendingRangesAreExpanded() {
        List<TaskState> queued = SlurmClient.parseSqueue("7_2|PENDING\n7_1|RUNNING\n7_[4-5,9%2]|PENDING\n\n");
        assertEquals(List.of(new TaskState("7", 2, "PENDING", ""), new TaskState("7", 1, "RUNNING", ""),
                new TaskState("7", 4, "PENDING", ""), new TaskState("7", 5, "PENDING", ""),
                new TaskState("7", 9, "PENDING", "")), queued);
        assertTrue(SlurmClient.parseSqueue("").isEmpty());
    }

    @Test
    void sacctGivesEachTasksEndTheLastLineOfARequeuedTaskWinning() {
        List<TaskState> ended = SlurmClient.parseSacct("""
                12_0|COMPLETED|0:0
                12_1|CANCELLED by 0|0:15
                12_2|TIMEOUT|0:0
                12_1|FAILED|1:0
                12_[3-4]|PENDING|0:0
                """);
        assertEquals(List.of(new TaskState("12", 0, "COMPLETED", "0:0"), new TaskState("12", 1, "FAILED", "1:0"),
                new TaskState("12", 2, "TIMEOUT", "0:0"), new TaskState("12", 3, "PENDING", "0:0"),
                new TaskState("12", 4, "PENDING", "0:0")), ended);
    }

    @Test
    void aJobThatSlurmctldHasForgottenIsNoLongerQueuedButOtherSqueueFailuresAreSaid() {
        SlurmClient forgotten = new SlurmClient() {
            @Override
            protected String run(String... command) {
                return super.run("sh", "-c", "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1");
            }
        };
        assertEquals(List.of(), forgotten.queued("12"));
        SlurmClient down = new SlurmClient() {
            @Override
            protected String run(String... command) {
                return super.run("sh", "-c", "echo 'slurm_load_jobs error: Unable to contact slurm controller' >&2; exit 1");
            }
        };
        CampaignException e = assertThrows(CampaignException.class, () -> down.queued("12"));
        assertTrue(e.getMessage().endsWith("Unable to contact slurm controller"), e.getMessage());
    }

    @Test
    void aSlurmCommandThatFailsSaysWhichAndWhy() {
        SlurmClient client = new SlurmClient() {
            @Override
            protected String run(String... command) {
                return super.run("sh", "-c", "echo 'sbatch: error: invalid partition specified: gpu' >&2; exit 1");
            }
        };
        CampaignException e = assertThrows(CampaignException.class, () -> client.submit(java.nio.file.Path.of("a.sh")));
        assertEquals("sh -c echo 'sbatch: error: invalid partition specified: gpu' >&2; exit 1 failed (exit status 1): "
                + "sbatch: error: invalid partition specified: gpu", e.getMessage());
        SlurmClient missing = new SlurmClient() {
            @Override
            protected String run(String... command) {
                return super.run("lem-no-such-sbatch", "--parsable");
            }
        };
        e = assertThrows(CampaignException.class, () -> missing.submit(java.nio.file.Path.of("a.sh")));
        assertTrue(e.getMessage().startsWith("lem-no-such-sbatch cannot be started"), e.getMessage());
        assertTrue(missing.accounting("1").isEmpty(), "no sacct: no accounting, no failure");
    }
}
