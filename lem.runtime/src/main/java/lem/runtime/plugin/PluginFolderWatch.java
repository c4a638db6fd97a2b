package lem.runtime.plugin;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Logs, once per version of the file, each jar in the plugins folder that was not installed (a
 * truncated copy, a jar that is no bundle), so that it does not fail silently while the host runs.
 */
@Component(service = PluginFolderWatch.class, immediate = true)
public final class PluginFolderWatch {
    /** How often the folder is looked at: FileInstall's own poll is one second. */
    static final long PERIOD_MILLIS = 2_000;

    private final Supplier<List<PluginFolder.Unusable>> folder;
    private final PrintStream log;
    private final Set<String> reported = new HashSet<>();
    private ScheduledExecutorService timer;

    @Activate
    public PluginFolderWatch(BundleContext context) {
        this(() -> PluginFolder.unusable(context), System.err);
        start();
    }

    PluginFolderWatch(Supplier<List<PluginFolder.Unusable>> folder, PrintStream log) {
        this.folder = folder;
        this.log = log;
    }

    private void start() {
        timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "lem plugins folder check");
            thread.setDaemon(true);
            return thread;
        });
        // the first look waits for FileInstall's first scan, so pending jars are not reported
        timer.scheduleWithFixedDelay(this::check, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void stop() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** Logs the unusable jars not logged before; returns them. */
    synchronized List<PluginFolder.Unusable> check() {
        List<PluginFolder.Unusable> unusable;
        try {
            unusable = folder.get();
        } catch (RuntimeException stopping) {
            // the framework is stopping: nothing to report
            return List.of();
        }
        for (PluginFolder.Unusable jar : unusable) {
            if (reported.add(jar.file() + "@" + version(jar))) {
                log.println("lem: warning: " + jar);
            }
        }
        return unusable;
    }

    private static String version(PluginFolder.Unusable jar) {
        try {
            return Files.getLastModifiedTime(jar.file()) + "/" + Files.size(jar.file());
        } catch (IOException gone) {
            return "gone";
        }
    }
}
