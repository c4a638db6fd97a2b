package lem.runtime.command;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.SynchronousBundleListener;

import lem.runtime.campaign.CampaignException;
import lem.runtime.campaign.CampaignExpansion;
import lem.runtime.campaign.CampaignFolder;
import lem.runtime.campaign.CampaignQueue;
import lem.runtime.campaign.CampaignRunner;
import lem.runtime.campaign.CampaignSchedules;
import lem.runtime.campaign.DurationEstimate;
import lem.runtime.campaign.Experiment;
import lem.runtime.campaign.HostLock;
import lem.runtime.campaign.PlannedRun;
import lem.runtime.campaign.RunRecord;

/**
 * {@code lem:campaign start | status | pause | cancel | schedule | schedules | unschedule}: the
 * long-lived host runs campaigns in the background through one {@link CampaignQueue}, each
 * campaign's output going to {@value #LOG_FILE} in its folder, and fires the
 * {@link CampaignSchedules} kept in {@code results/campaigns/schedules.json}.
 */
final class BackgroundCampaigns implements AutoCloseable {
    static final Set<String> ACTIONS = Set.of("start", "status", "pause", "cancel", "schedule", "schedules", "unschedule");
    static final String LOG_FILE = "campaign.log";
    static final String TICKER_NAME = "lem-campaign-schedules";
    /** Set by the launcher for a one-shot command (lem.app's OneShotCommand reads it too). */
    static final String ONE_SHOT_PROPERTY = "lem.argc";
    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");

    private final CampaignCommands commands;
    private final Path hostLockFile;
    /** Ends the background campaign when the framework starts stopping, before plugin bundles go. */
    private final SynchronousBundleListener frameworkStopping;
    private final BundleContext bundleContext;
    /** True in a one-shot {@code lem <command>} process, which exits when its command ends: nothing runs in its background. */
    private final boolean oneShot;
    private final CampaignQueue queue;
    private final Map<String, PrintStream> logs = new ConcurrentHashMap<>();
    private final Path resultsRoot;
    private CampaignSchedules schedules;
    private ScheduledExecutorService ticker;
    private String schedulesProblem;

    BackgroundCampaigns(CampaignCommands commands) {
        this.commands = commands;
        Bundle own = FrameworkUtil.getBundle(BackgroundCampaigns.class);
        this.bundleContext = own == null ? null : own.getBundleContext();
        this.oneShot = bundleContext != null && bundleContext.getProperty(ONE_SHOT_PROPERTY) != null;
        this.hostLockFile = HostLock.file(bundleContext == null ? null : bundleContext.getProperty(HostLock.PROPERTY));
        this.frameworkStopping = event -> {
            if (event.getBundle().getBundleId() == 0 && event.getType() == BundleEvent.STOPPING) {
                close();
            }
        };
        if (bundleContext != null) {
            bundleContext.addBundleListener(frameworkStopping);
        }
        this.queue = new CampaignQueue(new CampaignQueue.Launcher() {
            @Override
            public CampaignRunner prepare(CampaignFolder folder, CampaignRunner.Progress tracker) throws IOException {
                return BackgroundCampaigns.this.prepare(folder, tracker);
            }

            @Override
            public void finished(CampaignFolder folder, CampaignQueue.State state, String note) {
                PrintStream log = logs.remove(folder.plan().campaignId());
                if (log != null) {
                    log.println("[campaign] " + Instant.now() + " " + state.text() + (note.isEmpty() ? "" : ": " + note));
                    log.close();
                }
            }
        }, hostLockFile);
        this.resultsRoot = RunCommands.workingDirectory().resolve("results").toAbsolutePath().normalize();
        try {
            schedules = new CampaignSchedules(resultsRoot.resolve(CampaignFolder.CAMPAIGNS_DIR).resolve(CampaignSchedules.FILE),
                    Clock.systemUTC(), new CampaignSchedules.Starter() {
                        @Override
                        public String start(Path campaignFile) throws IOException {
                            return startFile(campaignFile, campaignFile.toString()).plan().campaignId();
                        }

                        @Override
                        public boolean active(String campaignId) {
                            return queue.state(campaignId).map(s -> s == CampaignQueue.State.QUEUED
                                    || s == CampaignQueue.State.RUNNING).orElse(false);
                        }
                    });
            if (!oneShot && !schedules.list().isEmpty()) {
                startTicker();
            }
        } catch (CampaignException e) {
            // the host starts anyway; the schedule commands say what is wrong with the file
            schedulesProblem = e.getMessage();
            System.err.println("lem: " + e.getMessage());
        }
    }

    /**
     * The host's GPUs for a foreground campaign, or a failure naming the campaign that holds them.
     * Inside a Slurm job the scheduler has handed out the GPUs, and nothing is locked.
     */
    AutoCloseable holdHost(CampaignFolder folder) throws IOException {
        if (HostLock.underSlurm()) {
            return () -> {
            };
        }
        return HostLock.acquire(hostLockFile, HostLock.describe(folder.plan().campaignId()));
    }

    /** Fails, before a foreground campaign plans anything, when another campaign holds the host's GPUs. */
    void checkHostFree() throws IOException {
        if (!HostLock.underSlurm()) {
            HostLock.acquire(hostLockFile, "a check").close();
        }
    }

    /** True when the campaign is queued or paused in the background here, so that a resume continues it there. */
    boolean holds(CampaignFolder folder) {
        return queue.state(folder.plan().campaignId())
                .map(s -> s == CampaignQueue.State.PAUSED || s == CampaignQueue.State.QUEUED).orElse(false);
    }

    Object command(String action, String[] args, PrintStream out) throws IOException {
        Options o = Options.parse("lem campaign " + action, args, Set.of("--dir", "--every", "--at"), Set.of());
        Path root = RunCommands.workingDirectory().resolve(o.one("--dir", "results")).toAbsolutePath().normalize();
        if (oneShot && Set.of("start", "schedule", "unschedule").contains(action)) {
            throw new CommandFailure("lem campaign " + action + " works in the shell of the long-lived host (lem without"
                    + " arguments), which keeps running the campaigns; a one-shot command ends with its process: use"
                    + " lem campaign run <campaign.yaml> or resume <id> to run a campaign here");
        }
        try {
            switch (action) {
            case "start":
                return start(single(o, "lem campaign start <campaign.yaml | campaign id>"), root);
            case "status":
                if (o.positional.size() > 1) {
                    throw new CommandFailure("usage: lem campaign status [campaign id]");
                }
                return status(o.positional.isEmpty() ? null : o.positional.get(0), root);
            case "pause":
                return queue.pause(folder(single(o, "lem campaign pause <campaign id>"), root).plan().campaignId());
            case "cancel":
                return queue.cancel(folder(single(o, "lem campaign cancel <campaign id>"), root).plan().campaignId());
            case "schedule":
                return schedule(single(o, "lem campaign schedule <campaign.yaml> --every 6h | --at 02:00,14:00"),
                        o.one("--every", null), o.one("--at", null), out);
            case "schedules":
                return scheduleTable();
            default:
                return unschedule(single(o, "lem campaign unschedule <schedule number>"));
            }
        } catch (CampaignException e) {
            throw new CommandFailure("lem campaign " + action + ": " + e.getMessage());
        }
    }

    private String start(String given, Path root) throws IOException {
        Path file = RunCommands.workingDirectory().resolve(given);
        if (Files.isRegularFile(file) && !Files.isDirectory(file)) {
            CampaignFolder folder = startFile(file, given);
            return "campaign " + folder.plan().campaignId() + " started in the background (" + place(folder)
                    + "); its output goes to " + folder.path().resolve(LOG_FILE) + "; lem:campaign status "
                    + folder.plan().campaignId() + " shows how far it is";
        }
        CampaignFolder folder = folder(given, root);
        if (folder.missing().isEmpty()) {
            throw new CampaignException("campaign " + folder.plan().campaignId() + " is complete; nothing to start");
        }
        enqueue(folder, expandAgain(folder));
        return "campaign " + folder.plan().campaignId() + " continues in the background (" + place(folder) + "): "
                + folder.missing().size() + " of " + folder.plan().runs().size() + " runs to do; output in "
                + folder.path().resolve(LOG_FILE);
    }

    /** A campaign the queue had (id, unique prefix or folder), else one under the results folder. */
    private CampaignFolder folder(String given, Path root) {
        return queue.find(given).orElseGet(() -> CampaignFolder.open(root, given));
    }

    private String place(CampaignFolder folder) {
        String id = folder.plan().campaignId();
        return queue.running().map(r -> r.equals(id) ? "running now" : "queued behind " + r).orElse("running now");
    }

    /** A new campaign from its file, planned now and put in the queue. */
    private CampaignFolder startFile(Path file, String shownAs) throws IOException {
        CampaignExpansion.Result expansion = commands.expand(file, shownAs);
        CampaignFolder folder = CampaignRunner.create(expansion, RunCommands.workingDirectory(), System.currentTimeMillis());
        enqueue(folder, expansion);
        return folder;
    }

    private void enqueue(CampaignFolder folder, CampaignExpansion.Result expansion) {
        double[] estimates = new double[expansion.experiments().size()];
        for (Experiment e : expansion.experiments()) {
            estimates[e.index()] = DurationEstimate.of(e.loaded().config(),
                    RunCommands.workingDirectory().resolve(e.loaded().config().output().dir())).seconds();
        }
        queue.enqueue(folder, estimates);
    }

    private CampaignExpansion.Result expandAgain(CampaignFolder folder) {
        Path file = Path.of(folder.plan().campaignFile());
        if (!Files.isRegularFile(file)) {
            throw new CampaignException("campaign " + folder.plan().campaignId() + " was planned from " + file
                    + ", which is gone; put it back to continue it (its plan is in " + folder.path() + ")");
        }
        return commands.expand(file, file.toString());
    }

    /** The queue's launcher: expands the campaign again (a resume must match its plan) and logs to its folder. */
    private CampaignRunner prepare(CampaignFolder folder, CampaignRunner.Progress tracker) throws IOException {
        PrintStream log = new PrintStream(new FileOutputStream(folder.path().resolve(LOG_FILE).toFile(), true), true,
                StandardCharsets.UTF_8);
        try {
            log.println("[campaign] " + Instant.now() + " started in the background: " + folder.missing().size() + " of "
                    + folder.plan().runs().size() + " runs to do");
            List<Experiment> experiments = expandAgain(folder).experiments();
            CampaignCommands.PrintedCampaignProgress printed = new CampaignCommands.PrintedCampaignProgress(log);
            CampaignRunner runner = commands.newRunner(folder, experiments, log, new CampaignRunner.Progress() {
                @Override
                public void starting(PlannedRun run, Experiment experiment, int position, int count) {
                    tracker.starting(run, experiment, position, count);
                    printed.starting(run, experiment, position, count);
                }

                @Override
                public void pausing(double seconds) {
                    printed.pausing(seconds);
                }

                @Override
                public void coolingDown(lem.runtime.campaign.CoolDown coolDown) {
                    printed.coolingDown(coolDown);
                }

                @Override
                public void ended(RunRecord record) {
                    tracker.ended(record);
                    printed.ended(record);
                }
            });
            logs.put(folder.plan().campaignId(), log);
            return runner;
        } catch (RuntimeException e) {
            log.println("[campaign] " + Instant.now() + " could not start: " + e.getMessage());
            log.close();
            throw e;
        }
    }

    private ResultTables.Rows status(String given, Path root) {
        String only = given == null ? null : folder(given, root).plan().campaignId();
        List<List<String>> rows = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (CampaignQueue.Status s : queue.status()) {
            if (only != null && !only.equals(s.campaignId())) {
                continue;
            }
            rows.add(List.of(s.campaignId(), s.state().text(), String.valueOf(s.complete()),
                    s.running() == null ? "-" : s.running(), String.valueOf(s.left()), String.valueOf(s.failed()),
                    s.etaSeconds() == null ? "-" : RunCommands.age((long) (s.etaSeconds() * 1e9))));
            if (!s.etaBasis().isEmpty() && s.etaSeconds() != null) {
                notes.add(s.campaignId() + ": ETA from " + s.etaBasis());
            }
            if (!s.note().isEmpty()) {
                notes.add(s.campaignId() + ": " + s.note());
            }
            if (s.state() == CampaignQueue.State.RUNNING || s.state() == CampaignQueue.State.PAUSED) {
                notes.add(s.campaignId() + ": output in " + folder(s.campaignId(), root).path().resolve(LOG_FILE));
            }
        }
        if (only != null && rows.isEmpty()) {
            throw new CampaignException("campaign " + only + " was not started in the background on this host;"
                    + " lem:campaign show " + only + " shows its runs");
        }
        return new ResultTables.Rows("Campaigns in the background on this host", List.of("CAMPAIGN", "STATE", "DONE",
                "RUNNING", "LEFT", "FAILED", "ETA"), rows, notes);
    }

    private Object schedule(String given, String every, String at, PrintStream out) throws IOException {
        CampaignSchedules book = schedules();
        Path file = RunCommands.workingDirectory().resolve(given).toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new CommandFailure("lem campaign schedule: campaign file '" + given + "' not found");
        }
        commands.expand(file, given);
        CampaignSchedules.Schedule s = book.add(file, every, at, ZoneId.systemDefault());
        startTicker();
        return "schedule " + s.number() + ": " + file + " " + s.when() + "; next firing " + local(s, s.nextEpochMillis())
                + "; a firing while its previous campaign is still queued or running is skipped (and recorded)";
    }

    private ResultTables.Rows scheduleTable() {
        CampaignSchedules book = schedules();
        List<List<String>> rows = new ArrayList<>();
        for (CampaignSchedules.Schedule s : book.list()) {
            rows.add(List.of(String.valueOf(s.number()), s.when(), local(s, s.nextEpochMillis()),
                    s.history().isEmpty() ? "-" : s.history().get(s.history().size() - 1), s.campaignFile()));
        }
        return new ResultTables.Rows("Campaign schedules (" + book.file() + ")", List.of("N", "WHEN", "NEXT", "LAST",
                "CAMPAIGN FILE"), rows, List.of("times are local to the zone shown; host zone now "
                        + ZoneId.systemDefault().getId()));
    }

    private String unschedule(String number) throws IOException {
        int n;
        try {
            n = Integer.parseInt(number.strip());
        } catch (NumberFormatException e) {
            throw new CommandFailure("lem campaign unschedule: '" + number + "' is not a schedule number; lem:campaign schedules lists them");
        }
        CampaignSchedules.Schedule removed = schedules().remove(n);
        return "schedule " + n + " removed (" + removed.campaignFile() + " " + removed.when() + ")";
    }

    private static String local(CampaignSchedules.Schedule s, long epochMillis) {
        ZoneId zone = s.zone() == null ? ZoneId.systemDefault() : ZoneId.of(s.zone());
        return LOCAL.format(Instant.ofEpochMilli(epochMillis).atZone(zone)) + " " + zone.getId();
    }

    private CampaignSchedules schedules() {
        if (schedules == null) {
            throw new CampaignException(schedulesProblem);
        }
        return schedules;
    }

    private synchronized void startTicker() {
        if (ticker != null) {
            return;
        }
        ticker = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, TICKER_NAME));
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    private void tick() {
        try {
            for (String event : schedules.fireDue()) {
                System.out.println("lem: " + event);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("lem: campaign schedules: " + e.getMessage());
        }
    }

    private static String single(Options o, String usage) {
        if (o.positional.size() != 1) {
            throw new CommandFailure("usage: " + usage);
        }
        return o.positional.get(0);
    }

    @Override
    public void close() {
        if (bundleContext != null) {
            try {
                bundleContext.removeBundleListener(frameworkStopping);
            } catch (IllegalStateException bundleStopped) {
                // the listener went with the bundle's context
            }
        }
        ScheduledExecutorService t;
        synchronized (this) {
            t = ticker;
            ticker = null;
        }
        if (t != null) {
            t.shutdownNow();
            try {
                t.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        queue.close();
        logs.values().forEach(PrintStream::close);
        logs.clear();
    }
}
