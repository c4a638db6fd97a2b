package lem.runtime.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

import lem.runtime.results.ResultsJson;

/**
 * {@code results/<id>/live.json}: where a running experiment stands (phase, cycle, requests done of
 * planned, elapsed time, the latest total power), replaced whole with every progress report
 * (about once a second while measuring), so that a reader of the results folder (the live view of
 * {@code lem serve}) follows a run from disk without touching it. The last write says
 * {@code "running": false}. Passes every report on to the progress it wraps; a failed write never
 * stops the run.
 */
public final class LiveStatusFile implements RunProgress {
    public static final String FILE = "live.json";

    private final RunProgress next;
    private volatile Path file;
    private final Map<String, Object> state = new LinkedHashMap<>();

    LiveStatusFile(RunProgress next) {
        this.next = next;
    }

    /** From here reports go to {@code <directory>/live.json} too. */
    synchronized void start(Path directory, String experimentId, String name, int cycles) {
        state.put("experiment_id", experimentId);
        state.put("name", name);
        state.put("running", true);
        state.put("cycles", cycles);
        state.put("pid", ProcessHandle.current().pid());
        file = directory.resolve(FILE);
        write();
    }

    /** The last write: the run ended. */
    synchronized void finish(String phase) {
        state.put("running", false);
        state.put("phase", phase);
        write();
    }

    @Override
    public void phase(String description) {
        synchronized (this) {
            state.put("phase", description);
            write();
        }
        next.phase(description);
    }

    @Override
    public void measuring(int cycle, int cycles, int requestsDone, int requestsTotal, long elapsedNanos,
            double powerWatts, boolean estimated) {
        synchronized (this) {
            state.put("cycle", cycle);
            state.put("cycles", cycles);
            state.put("requests_done", requestsDone);
            state.put("requests_total", requestsTotal);
            state.put("elapsed_s", elapsedNanos / 1e9);
            state.put("power_watts", Double.isNaN(powerWatts) ? null : powerWatts);
            state.put("power_estimated", estimated);
            write();
        }
        next.measuring(cycle, cycles, requestsDone, requestsTotal, elapsedNanos, powerWatts, estimated);
    }

    private void write() {
        Path target = file;
        if (target == null) {
            return;
        }
        state.put("updated_epoch_ms", System.currentTimeMillis());
        // replaced by a rename, so a reader never sees half a file; not forced to disk, since it is
        // rewritten every second and worthless after a crash, and a sync would cost the run
        Path temp = target.resolveSibling(".tmp-" + FILE + ".part");
        try {
            Files.write(temp, ResultsJson.toBytes(state));
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            // the live view is a convenience: it must never cost the run
        }
    }
}
