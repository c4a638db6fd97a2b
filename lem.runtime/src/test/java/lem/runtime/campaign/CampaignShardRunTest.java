package lem.runtime.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lem.runtime.run.ScriptedRuns;

/** Slurm array tasks' view of the runner: each runs only its shard, beside the others. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CampaignShardRunTest {
    @TempDir
    Path dir;

    private final List<Integer> executed = Collections.synchronizedList(new ArrayList<>());

    private CampaignRunner runner(CampaignFolder folder, CampaignExpansion.Result expansion, ScriptedRuns runs) {
        return new CampaignRunner(folder, expansion.experiments(), (experiment, run, cancellation) -> {
            executed.add(run.index());
            return runs.run(experiment.loaded(), r -> cancellation.whileRunning(r::cancel));
        }, CampaignRunner.Progress.SILENT);
    }

    @Test
    void twoShardsRunBesideEachOtherEachOnlyItsRunsAndAFullResumeRunsTheRest() throws Exception {
        Files.writeString(dir.resolve("tiny.yaml"), CampaignExpansionTest.TINY);
        Files.writeString(dir.resolve("campaign.yaml"), """
                name: grid
                base: tiny.yaml
                grid: {batching.batch_size: [1, 2]}
                cycles: 3
                """);
        CampaignExpansion.Result expansion = CampaignExpansion.expand(CampaignFile.read(dir.resolve("campaign.yaml")),
                loaded -> List.of());
        assertTrue(expansion.valid(), () -> String.valueOf(expansion.problems()));
        CampaignFolder folder = CampaignRunner.create(expansion, dir, 1_700_000_000_000L);
        ScriptedRuns runs = new ScriptedRuns(dir);

        // both hold a lock of their own: neither is refused as "being run by another process"
        CompletableFuture<CampaignRunner.Outcome> first = CompletableFuture.supplyAsync(() -> run(
                runner(folder, expansion, runs).only(Set.of(0, 1))));
        CompletableFuture<CampaignRunner.Outcome> second = CompletableFuture.supplyAsync(() -> run(
                runner(folder, expansion, runs).only(Set.of(2, 3))));
        CampaignRunner.Outcome a = first.get(60, TimeUnit.SECONDS);
        CampaignRunner.Outcome b = second.get(60, TimeUnit.SECONDS);

        assertTrue(a.finished() && b.finished(), "each shard's outcome counts its own runs: " + a + " " + b);
        assertEquals(2, a.ran());
        assertEquals(2, a.complete());
        assertEquals(0, a.left());
        assertEquals(List.of(0, 1, 2, 3), executed.stream().sorted().toList());
        assertEquals(List.of(4, 5), folder.missing().stream().map(PlannedRun::index).toList());

        executed.clear();
        CampaignRunner.Outcome rest = runner(folder, expansion, runs).run();
        assertEquals(List.of(4, 5), executed, "the finished shards are not run again");
        assertTrue(rest.finished());
        assertEquals(6, rest.complete());
    }

    private static CampaignRunner.Outcome run(CampaignRunner runner) {
        try {
            return runner.run();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
