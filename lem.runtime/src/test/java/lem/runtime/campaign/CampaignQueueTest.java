package lem.runtime.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import lem.runtime.run.ScriptedRuns;

/**
 * The host's background queue with real campaigns of tiny experiments (the experiment runner on
 * the scripted backend): FIFO without overlap, pause after the run in flight, cancel that keeps
 * what was measured, a host lock held elsewhere, and a close that leaves no thread.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CampaignQueueTest {
    @TempDir
    Path dir;

    private ScriptedRuns runs;
    private CampaignQueue queue;
    private final List<String> executed = Collections.synchronizedList(new ArrayList<>());
    /** When set, the executor waits for it before the n-th run (1-based) and counts down {@link #inFlight}. */
    private volatile CountDownLatch release;
    private final CountDownLatch inFlight = new CountDownLatch(1);

    @AfterEach
    void closeQueue() {
        if (queue != null) {
            queue.close();
        }
    }

    private CampaignFolder plan(String name, int cycles) throws IOException {
        Files.writeString(dir.resolve("tiny.yaml"), CampaignExpansionTest.TINY);
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, """
                name: %s
                base: tiny.yaml
                grid:
                  batching.batch_size: [1, 2]
                cycles: %d
                """.formatted(name, cycles));
        CampaignExpansion.Result expansion = CampaignExpansion.expand(CampaignFile.read(file), loaded -> List.of());
        assertTrue(expansion.valid(), () -> String.valueOf(expansion.problems()));
        return CampaignRunner.create(expansion, dir, System.currentTimeMillis());
    }

    private CampaignQueue queue(Path lockFile) {
        runs = new ScriptedRuns(dir);
        queue = new CampaignQueue((folder, tracker) -> {
            CampaignExpansion.Result expansion = CampaignExpansion.expand(
                    CampaignFile.read(Path.of(folder.plan().campaignFile())), loaded -> List.of());
            return new CampaignRunner(folder, expansion.experiments(), (experiment, run, cancellation) -> {
                executed.add(folder.plan().name() + ":" + run.index());
                CountDownLatch wait = release;
                if (wait != null && executed.size() == 1) {
                    inFlight.countDown();
                    try {
                        wait.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return runs.run(experiment.loaded(), runner -> cancellation.whileRunning(runner::cancel));
            }, tracker);
        }, lockFile);
        return queue;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    private CampaignQueue.Status status(String id) {
        return queue.status().stream().filter(s -> s.campaignId().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void startedCampaignsRunOneAfterTheOtherInTheOrderTheyWereStarted() throws Exception {
        queue(dir.resolve("host.lock"));
        CampaignFolder first = plan("first", 2);
        CampaignFolder second = plan("second", 1);
        assertEquals(0, queue.enqueue(first, new double[] { 1, 1 }));
        int place = queue.enqueue(second, new double[] { 1, 1 });
        assertTrue(place >= 0);
        await(() -> queue.state(second.plan().campaignId()).orElseThrow() == CampaignQueue.State.DONE, "both are done");
        assertEquals(CampaignQueue.State.DONE, queue.state(first.plan().campaignId()).orElseThrow());
        assertEquals(List.of("first:0", "first:1", "first:2", "first:3", "second:0", "second:1"), executed);

        List<RunRecord> all = new ArrayList<>(first.records().values());
        all.addAll(second.records().values());
        all.sort(Comparator.comparingLong(RunRecord::startedEpochMillis));
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i).startedEpochMillis() >= all.get(i - 1).endedEpochMillis(),
                    "run " + all.get(i) + " started before " + all.get(i - 1) + " ended");
        }
        CampaignQueue.Status done = status(second.plan().campaignId());
        assertEquals(2, done.complete());
        assertEquals(0, done.left());
        assertNull(done.running());
        assertThrows(CampaignException.class, () -> queue.pause(second.plan().campaignId()));
    }

    @Test
    void aPauseLetsTheRunInFlightFinishThenHoldsAndAStartGoesOn() throws Exception {
        queue(dir.resolve("host.lock"));
        release = new CountDownLatch(1);
        CampaignFolder folder = plan("paused", 2);
        String id = folder.plan().campaignId();
        queue.enqueue(folder, new double[] { 5, 7 });
        assertTrue(inFlight.await(30, TimeUnit.SECONDS));
        await(() -> status(id).running() != null, "the run in flight shows");
        CampaignQueue.Status running = status(id);
        assertEquals(CampaignQueue.State.RUNNING, running.state());
        assertTrue(running.running().startsWith("run 0: tiny-batching.batch_size=1, cycle 1"), running.running());
        assertEquals(4, running.left());
        assertEquals("the plan's estimate (no run complete yet)", running.etaBasis());

        assertTrue(queue.pause(id).startsWith("campaign " + id + " pauses after its run in flight (run 0:"));
        release.countDown();
        await(() -> queue.state(id).orElseThrow() == CampaignQueue.State.PAUSED, "it is paused");
        CampaignQueue.Status paused = status(id);
        assertEquals(1, paused.complete(), "the run in flight finished");
        assertEquals(3, paused.left());
        assertEquals(List.of("paused:0"), executed, "nothing after the run in flight");
        assertEquals("paused by lem:campaign pause", paused.note());
        assertTrue(paused.etaBasis().startsWith("mean of 1 complete run(s)"), paused.etaBasis());

        queue.enqueue(folder, new double[] { 5, 7 });
        await(() -> queue.state(id).orElseThrow() == CampaignQueue.State.DONE, "it is done");
        assertEquals(List.of("paused:0", "paused:1", "paused:2", "paused:3"), executed);
        assertEquals(4, status(id).complete());
    }

    @Test
    void aCancelStopsTheRunInFlightKeepingWhatItMeasured() throws Exception {
        queue(dir.resolve("host.lock"));
        runs.blockOnRun(2);
        CampaignFolder folder = plan("cancelled", 1);
        String id = folder.plan().campaignId();
        queue.enqueue(folder, new double[] { 1, 1 });
        assertTrue(runs.blocked.await(30, TimeUnit.SECONDS));
        assertTrue(queue.cancel(id).contains("what it measured is kept"));
        await(() -> queue.state(id).orElseThrow() == CampaignQueue.State.CANCELLED, "it is cancelled");
        RunRecord cancelled = folder.record(1).orElseThrow();
        assertEquals(RunRecord.State.CANCELLED, cancelled.state());
        assertEquals("cancelled by lem:campaign cancel", cancelled.reason());
        assertNotNull(cancelled.experimentId(), "the cancelled run's results folder is kept");
        assertTrue(Files.isDirectory(Path.of(cancelled.resultDirectory())));
        assertEquals(RunRecord.State.COMPLETE, folder.record(0).orElseThrow().state());
        assertEquals(1, status(id).failed());
        assertEquals(List.of(folder.plan().runs().get(1)), folder.missing(), "a later start runs only the cancelled run");
    }

    @Test
    void aCampaignWaitsWhileAnotherHolderHasTheHostLock() throws Exception {
        Path lockFile = dir.resolve("host.lock");
        queue(lockFile);
        CampaignFolder folder = plan("waiting", 1);
        String id = folder.plan().campaignId();
        Optional<HostLock> other = HostLock.tryAcquire(lockFile, "campaign other-campaign (process 1)");
        assertTrue(other.isPresent());
        try {
            queue.enqueue(folder, new double[] { 1, 1 });
            await(() -> status(id).note().startsWith("waiting"), "it waits");
            assertEquals("waiting for the GPUs: held by campaign other-campaign (process 1)", status(id).note());
            assertEquals(List.of(), executed);
        } finally {
            other.get().close();
        }
        await(() -> queue.state(id).orElseThrow() == CampaignQueue.State.DONE, "it ran once the lock was free");
        assertEquals(2, executed.size());
    }

    @Test
    void closingTheQueueEndsTheRunInFlightCleanlyAndLeavesNoThread() throws Exception {
        queue(dir.resolve("host.lock"));
        runs.blockOnRun(1);
        CampaignFolder folder = plan("shutdown", 1);
        CampaignFolder queued = plan("queued", 1);
        queue.enqueue(folder, new double[] { 1, 1 });
        queue.enqueue(queued, new double[] { 1, 1 });
        assertTrue(runs.blocked.await(30, TimeUnit.SECONDS));

        queue.close();
        assertFalse(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals(CampaignQueue.WORKER_NAME) && t.isAlive()), "no worker thread left");
        RunRecord record = folder.record(0).orElseThrow();
        assertEquals(RunRecord.State.CANCELLED, record.state());
        assertEquals("the host is shutting down", record.reason());
        assertEquals(CampaignQueue.State.CANCELLED, queue.state(folder.plan().campaignId()).orElseThrow());
        assertEquals(CampaignQueue.State.CANCELLED, queue.state(queued.plan().campaignId()).orElseThrow());
        assertTrue(queued.records().isEmpty(), "the queued campaign never started");
        assertTrue(HostLock.tryAcquire(dir.resolve("host.lock"), "after").orElseThrow() != null, "the host lock is free");
        assertThrows(CampaignException.class, () -> queue.enqueue(queued, new double[] { 1, 1 }));
    }

    @Test
    void theEtaRestsOnCompleteRunsThenOnThePlan() {
        CampaignQueue.Eta measured = CampaignQueue.eta(List.of(10_000L, 20_000L), 3, 999, 4_000);
        assertEquals(15 * 3 - 4, measured.seconds(), 1e-9);
        assertEquals("mean of 2 complete run(s), 15.0 s each", measured.basis());
        assertEquals(15 * 2, CampaignQueue.eta(List.of(10_000L, 20_000L), 3, 0, 60_000).seconds(), 1e-9,
                "a run longer than the mean counts as nearly done, not as negative time");
        CampaignQueue.Eta planned = CampaignQueue.eta(List.of(), 4, 40, 5_000);
        assertEquals(35, planned.seconds(), 1e-9);
        assertEquals("the plan's estimate (no run complete yet)", planned.basis());
        assertNull(CampaignQueue.eta(List.of(), 4, 0, 0).seconds());
        assertEquals(0.0, CampaignQueue.eta(List.of(1L), 0, 5, 0).seconds());
    }
}
