package lem.runtime.campaign;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The long-lived host's campaigns in the background: started campaigns wait in a FIFO queue and
 * one worker thread runs them one after the other, so two never measure at the same time. While
 * one runs, the worker holds the {@link HostLock}, so a campaign of another process waits (here)
 * or is refused (a one-shot {@code lem campaign run}). A pause lets the run in flight finish,
 * then holds the campaign until it is started again (at the back of the queue); a cancel stops the
 * run in flight as Ctrl-C does. {@link #close} (host shutdown) cancels the running campaign the
 * same way and ends the worker before it returns.
 */
public final class CampaignQueue implements AutoCloseable {
    /** How long the worker waits between two looks at a host lock that another process holds. */
    static final long LOCK_RETRY_MILLIS = 2_000;
    static final long SHUTDOWN_WAIT_MILLIS = 60_000;
    static final String WORKER_NAME = "lem-campaign-queue";

    /** Where a background campaign stands. */
    public enum State {
        QUEUED, RUNNING, PAUSED, CANCELLED, DONE;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Builds the runner of a campaign whose turn came, reporting to {@code tracker} as it goes. */
    @FunctionalInterface
    public interface Launcher {
        CampaignRunner prepare(CampaignFolder folder, CampaignRunner.Progress tracker) throws IOException;

        /** The campaign's session ended (done, paused, cancelled, or it could not start). */
        default void finished(CampaignFolder folder, State state, String note) {
        }
    }

    /**
     * A campaign as {@code lem:campaign status} shows it.
     *
     * @param campaignId  the campaign
     * @param state       queued, running, paused, cancelled or done
     * @param complete    runs complete
     * @param running     the run in flight ("run 3: exp-a, cycle 2"), or null
     * @param left        runs not complete, the one in flight included
     * @param failed      runs failed or cancelled (recorded so, not yet run again)
     * @param etaSeconds  seconds until the campaign ends, or null when nothing tells
     * @param etaBasis    what the ETA rests on
     * @param note        why it stopped, or what it waits for; empty when nothing to say
     */
    public record Status(String campaignId, State state, int complete, String running, int left, int failed,
            Double etaSeconds, String etaBasis, String note) {
    }

    private final Launcher launcher;
    private final Path hostLockFile;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Deque<Entry> waiting = new ArrayDeque<>();
    private Thread worker;
    private boolean closed;

    public CampaignQueue(Launcher launcher, Path hostLockFile) {
        this.launcher = launcher;
        this.hostLockFile = hostLockFile;
    }

    private static final class Entry {
        final CampaignFolder folder;
        /** The plan's estimate of one run of each experiment, seconds, by experiment index. */
        double[] estimateSeconds;
        State state = State.QUEUED;
        String note = "";
        CampaignRunner runner;
        boolean pauseAsked;
        boolean cancelAsked;
        String running;
        long runningSinceMillis;

        Entry(CampaignFolder folder, double[] estimateSeconds) {
            this.folder = folder;
            this.estimateSeconds = estimateSeconds;
        }

        String id() {
            return folder.plan().campaignId();
        }
    }

    /**
     * Puts a campaign at the back of the queue: a new one, a paused one, or one of an earlier
     * session with runs left. Refused while it is queued or running.
     *
     * @param estimateSeconds the plan's estimate of one run of each experiment (by index), for the ETA
     * @return its place in the queue, 0 when it runs now
     */
    public synchronized int enqueue(CampaignFolder folder, double[] estimateSeconds) {
        if (closed) {
            throw new CampaignException("the host is shutting down; no campaign starts now");
        }
        String id = folder.plan().campaignId();
        Entry entry = entries.get(id);
        if (entry != null && (entry.state == State.QUEUED || entry.state == State.RUNNING)) {
            throw new CampaignException("campaign " + id + " is " + entry.state.text() + " already");
        }
        if (entry == null) {
            entry = new Entry(folder, estimateSeconds);
            entries.put(id, entry);
        }
        entry.estimateSeconds = estimateSeconds;
        entry.state = State.QUEUED;
        entry.note = "";
        entry.pauseAsked = false;
        entry.cancelAsked = false;
        waiting.addLast(entry);
        if (worker == null) {
            worker = new Thread(this::work, WORKER_NAME);
            worker.start();
        }
        notifyAll();
        int ahead = waiting.size() - 1;
        return running().isPresent() ? ahead + 1 : ahead;
    }

    /** The campaign's state in this queue, or empty when the queue never had it. */
    public synchronized Optional<State> state(String campaignId) {
        return Optional.ofNullable(entries.get(campaignId)).map(e -> e.state);
    }

    /**
     * Pauses a campaign: a running one after its run in flight, a queued one at once.
     *
     * @return what happens, in words
     */
    public synchronized String pause(String campaignId) {
        Entry entry = entry(campaignId);
        switch (entry.state) {
        case RUNNING:
            entry.pauseAsked = true;
            if (entry.runner != null) {
                entry.runner.holdAfterCurrentRun("paused by lem:campaign pause");
            }
            return "campaign " + campaignId + " pauses after its run in flight"
                    + (entry.running == null ? "" : " (" + entry.running + ")");
        case QUEUED:
            waiting.remove(entry);
            entry.state = State.PAUSED;
            entry.note = "paused before it started";
            return "campaign " + campaignId + " paused before it started";
        case PAUSED:
            return "campaign " + campaignId + " is paused already";
        default:
            throw new CampaignException("campaign " + campaignId + " is " + entry.state.text() + "; nothing to pause");
        }
    }

    /**
     * Cancels a campaign: a running one stops its run in flight as Ctrl-C does (what it measured
     * is kept and the run marked cancelled); a queued or paused one never runs again from this queue.
     */
    public synchronized String cancel(String campaignId) {
        Entry entry = entry(campaignId);
        switch (entry.state) {
        case RUNNING:
            entry.cancelAsked = true;
            if (entry.runner != null) {
                entry.runner.cancel("cancelled by lem:campaign cancel");
            }
            notifyAll();
            return "campaign " + campaignId + " cancels its run in flight" + (entry.running == null ? "" : " ("
                    + entry.running + ")") + "; what it measured is kept; lem:campaign start " + campaignId + " runs the rest";
        case QUEUED:
        case PAUSED:
            waiting.remove(entry);
            entry.state = State.CANCELLED;
            entry.note = "cancelled before it ran again";
            return "campaign " + campaignId + " cancelled; lem:campaign start " + campaignId + " runs what is left";
        default:
            throw new CampaignException("campaign " + campaignId + " is " + entry.state.text() + "; nothing to cancel");
        }
    }

    /**
     * A campaign this queue had: its id, a unique prefix of it, or its folder.
     *
     * @return its folder, or empty when the queue never had it
     */
    public synchronized Optional<CampaignFolder> find(String given) {
        List<Entry> found = entries.values().stream().filter(e -> e.id().equals(given)
                || e.folder.path().toAbsolutePath().normalize().toString().equals(given)).toList();
        if (found.isEmpty()) {
            found = entries.values().stream().filter(e -> e.id().startsWith(given)).toList();
        }
        if (found.size() > 1) {
            throw new CampaignException("'" + given + "' names several campaigns: "
                    + String.join(", ", found.stream().map(Entry::id).toList()));
        }
        return found.stream().findFirst().map(e -> e.folder);
    }

    private Entry entry(String campaignId) {
        Entry entry = entries.get(campaignId);
        if (entry == null) {
            throw new CampaignException("campaign " + campaignId + " was not started in the background on this host"
                    + (entries.isEmpty() ? " (none was)" : "; these were: " + String.join(", ", entries.keySet())));
        }
        return entry;
    }

    /** The campaign running now, if any. */
    public synchronized Optional<String> running() {
        return entries.values().stream().filter(e -> e.state == State.RUNNING).map(Entry::id).findFirst();
    }

    /** Every campaign this queue had, in the order they were first started; runs counted from their folders. */
    public List<Status> status() {
        List<Entry> all;
        synchronized (this) {
            all = new ArrayList<>(entries.values());
        }
        List<Status> statuses = new ArrayList<>();
        for (Entry e : all) {
            statuses.add(status(e));
        }
        return statuses;
    }

    private Status status(Entry e) {
        State state;
        String running;
        long since;
        String note;
        double[] estimates;
        synchronized (this) {
            state = e.state;
            running = e.running;
            since = e.runningSinceMillis;
            note = e.note;
            estimates = e.estimateSeconds;
        }
        Map<Integer, RunRecord> records = e.folder.records();
        int complete = 0;
        int failed = 0;
        List<Long> durations = new ArrayList<>();
        for (RunRecord r : records.values()) {
            if (r.complete()) {
                complete++;
                durations.add(r.endedEpochMillis() - r.startedEpochMillis());
            } else if (r.state() != RunRecord.State.RUNNING) {
                failed++;
            }
        }
        double planned = 0;
        for (PlannedRun run : e.folder.missing()) {
            planned += run.experiment() < estimates.length ? estimates[run.experiment()] : 0;
        }
        int left = e.folder.plan().runs().size() - complete;
        long elapsed = running == null ? 0 : Math.max(0, System.currentTimeMillis() - since);
        Eta eta = state == State.DONE || state == State.CANCELLED ? new Eta(null, "")
                : eta(durations, left, planned, elapsed);
        return new Status(e.id(), state, complete, running, left, failed, eta.seconds(), eta.basis(), note);
    }

    /** An ETA and what it rests on. */
    public record Eta(Double seconds, String basis) {
    }

    /**
     * Seconds until a campaign ends: the mean duration of its complete runs times the runs left,
     * less what the run in flight has done; before any run completed, the plan's estimate of the
     * runs left, less the same.
     *
     * @param completeMillis   durations of the complete runs
     * @param left             runs not complete, the one in flight included
     * @param plannedSeconds   the plan's estimate of the runs left
     * @param inFlightMillis   how long the run in flight has been going, 0 when none
     */
    public static Eta eta(List<Long> completeMillis, int left, double plannedSeconds, long inFlightMillis) {
        if (left == 0) {
            return new Eta(0.0, "nothing left");
        }
        if (!completeMillis.isEmpty()) {
            double mean = completeMillis.stream().mapToLong(Long::longValue).average().orElse(0) / 1000.0;
            double seconds = mean * left - Math.min(inFlightMillis / 1000.0, mean);
            return new Eta(Math.max(0, seconds), "mean of " + completeMillis.size() + " complete run(s), "
                    + DurationEstimate.format(mean) + " s each");
        }
        if (plannedSeconds > 0) {
            return new Eta(Math.max(0, plannedSeconds - inFlightMillis / 1000.0), "the plan's estimate (no run complete yet)");
        }
        return new Eta(null, "no run complete yet and no estimate");
    }

    private void work() {
        while (true) {
            Entry entry;
            synchronized (this) {
                while (!closed && waiting.isEmpty()) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                entry = waiting.removeFirst();
                entry.state = State.RUNNING;
                entry.note = "";
            }
            runOne(entry);
        }
    }

    private void runOne(Entry entry) {
        String outcomeNote;
        State end;
        HostLock lock = null;
        try {
            lock = awaitHostLock(entry);
            if (lock == null) {
                finish(entry, State.CANCELLED, closed() ? "the host shut down before it started"
                        : "cancelled while it waited for the GPUs");
                return;
            }
            CampaignRunner runner = launcher.prepare(entry.folder, tracker(entry));
            synchronized (this) {
                entry.runner = runner;
                if (entry.cancelAsked || closed) {
                    runner.cancel(closed ? "the host is shutting down" : "cancelled by lem:campaign cancel");
                } else if (entry.pauseAsked) {
                    runner.holdAfterCurrentRun("paused by lem:campaign pause");
                }
            }
            CampaignRunner.Outcome outcome = runner.run();
            synchronized (this) {
                if (outcome.finished()) {
                    end = State.DONE;
                } else if (entry.cancelAsked || closed) {
                    end = State.CANCELLED;
                } else if (entry.pauseAsked) {
                    end = State.PAUSED;
                } else {
                    end = State.DONE;
                }
            }
            outcomeNote = outcome.stopped() != null ? outcome.stopped()
                    : outcome.failed() > 0 ? outcome.failed() + " run(s) failed; lem:campaign start " + entry.id()
                            + " runs them again" : "";
        } catch (IOException | RuntimeException e) {
            end = State.DONE;
            outcomeNote = "stopped: " + (e.getMessage() == null ? e.toString() : e.getMessage());
        } finally {
            if (lock != null) {
                try {
                    lock.close();
                } catch (IOException e) {
                    // the OS drops it with the process at the latest
                }
            }
        }
        finish(entry, end, outcomeNote);
    }

    private void finish(Entry entry, State state, String note) {
        synchronized (this) {
            entry.state = state;
            entry.note = note;
            entry.runner = null;
            entry.running = null;
            notifyAll();
        }
        launcher.finished(entry.folder, state, note);
    }

    private synchronized boolean closed() {
        return closed;
    }

    /** Waits for the host lock, the campaign shown as waiting; null when cancelled or closed meanwhile. */
    private HostLock awaitHostLock(Entry entry) throws IOException {
        String holder = HostLock.describe(entry.id());
        while (true) {
            Optional<HostLock> lock = HostLock.tryAcquire(hostLockFile, holder);
            synchronized (this) {
                if (lock.isPresent()) {
                    entry.note = "";
                    return lock.get();
                }
                entry.note = "waiting for the GPUs: held by " + HostLock.holder(hostLockFile);
                if (closed || entry.cancelAsked) {
                    return null;
                }
                try {
                    wait(LOCK_RETRY_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
                if (closed || entry.cancelAsked) {
                    return null;
                }
            }
        }
    }

    private CampaignRunner.Progress tracker(Entry entry) {
        return new CampaignRunner.Progress() {
            @Override
            public void starting(PlannedRun run, Experiment experiment, int position, int count) {
                synchronized (CampaignQueue.this) {
                    entry.running = "run " + run.index() + ": " + experiment.name() + ", cycle " + run.cycle();
                    entry.runningSinceMillis = System.currentTimeMillis();
                }
            }

            @Override
            public void pausing(double seconds) {
            }

            @Override
            public void ended(RunRecord record) {
                synchronized (CampaignQueue.this) {
                    entry.running = null;
                }
            }
        };
    }

    /**
     * Stops the queue: the running campaign's run in flight is cancelled as Ctrl-C does (kept,
     * marked cancelled, resumable), queued ones stay on disk for a later start or resume, and the
     * worker thread has ended when this returns (after at most {@value #SHUTDOWN_WAIT_MILLIS} ms,
     * then interrupted).
     */
    @Override
    public void close() {
        Thread running;
        synchronized (this) {
            closed = true;
            for (Entry e : entries.values()) {
                if (e.state == State.RUNNING && e.runner != null) {
                    e.runner.cancel("the host is shutting down");
                } else if (e.state == State.QUEUED) {
                    e.state = State.CANCELLED;
                    e.note = "the host shut down before it started";
                }
            }
            waiting.clear();
            notifyAll();
            running = worker;
        }
        if (running == null) {
            return;
        }
        try {
            running.join(SHUTDOWN_WAIT_MILLIS);
            if (running.isAlive()) {
                running.interrupt();
                running.join(TimeUnit.SECONDS.toMillis(10));
            }
        } catch (InterruptedException e) {
            running.interrupt();
            Thread.currentThread().interrupt();
        }
    }
}
