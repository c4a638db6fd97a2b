package lem.runtime.campaign.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import lem.runtime.campaign.CampaignException;
import lem.runtime.campaign.PlannedRun;

class SlurmJobsTest {
    /** Runs in plan order; indexes as the plan numbers them. */
    private static List<PlannedRun> runs(int n) {
        List<PlannedRun> runs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            runs.add(new PlannedRun(i, i % 2, i / 2 + 1));
        }
        return runs;
    }

    @Test
    void shardsHoldConsecutiveRunsInPlanOrderTheLastOneShorter() {
        assertEquals(List.of(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6)), SlurmJobs.shard(runs(7), 3));
        assertEquals(List.of(List.of(0), List.of(1), List.of(2)), SlurmJobs.shard(runs(3), 1));
        assertEquals(List.of(List.of(0, 1)), SlurmJobs.shard(runs(2), 5));
        assertThrows(IllegalArgumentException.class, () -> SlurmJobs.shard(runs(2), 0));
    }

    @Test
    void theArraySpecJoinsConsecutiveTasksIntoRanges() {
        assertEquals("0-3", SlurmJobs.arraySpec(List.of(0, 1, 2, 3)));
        assertEquals("0-2,5,7-8", SlurmJobs.arraySpec(List.of(8, 0, 1, 2, 5, 7)));
        assertEquals("4", SlurmJobs.arraySpec(List.of(4)));
        assertEquals("1,3", SlurmJobs.arraySpec(List.of(3, 1, 3)));
        assertThrows(IllegalArgumentException.class, () -> SlurmJobs.arraySpec(List.of()));
    }

    @Test
    void aResubmissionNamesOnlyTheTasksHoldingMissingRuns() {
        SlurmJobs jobs = new SlurmJobs("c", 2, SlurmJobs.shard(runs(7), 2), List.of());
        List<PlannedRun> all = runs(7);
        assertEquals(List.of(1, 3), jobs.tasksHolding(List.of(all.get(3), all.get(6))));
        assertEquals(List.of(0), jobs.tasksHolding(List.of(all.get(0), all.get(1))));
        assertEquals(2, jobs.taskOf(5));
        assertEquals(3, jobs.taskOf(6));
        assertEquals(-1, jobs.taskOf(7));
        assertEquals(List.of(4, 5), jobs.runsOf(2));
        CampaignException e = assertThrows(CampaignException.class, () -> jobs.runsOf(4));
        assertEquals("campaign c has array tasks 0 to 3, not 4", e.getMessage());
    }

    @Test
    void submissionsAreKeptInOrder() {
        SlurmJobs jobs = new SlurmJobs("c", 1, SlurmJobs.shard(runs(2), 1), List.of());
        assertEquals(null, jobs.latest());
        SlurmJobs twice = jobs.with(new SlurmJobs.Submission("11", List.of(0, 1), "a.sh", 1))
                .with(new SlurmJobs.Submission("12", List.of(1), "b.sh", 2));
        assertEquals("12", twice.latest().jobId());
        assertEquals(2, twice.submissions().size());
        assertTrue(jobs.submissions().isEmpty(), "with() leaves the original as it was");
    }
}
