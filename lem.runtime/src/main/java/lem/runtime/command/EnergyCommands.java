package lem.runtime.command;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import lem.api.energy.EnergyException;
import lem.api.energy.EnergyReading;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.PowerSample;
import lem.api.energy.SessionSettings;
import lem.runtime.plugin.PluginCatalog;
import lem.runtime.plugin.PluginService;
import lem.runtime.results.BaselinePower;
import lem.runtime.run.BaselineMeter;
import lem.runtime.run.InterruptKey;

/** {@code lem:baseline} and {@code lem:monitor}: a quick look at a host's power. */
@Component(service = EnergyCommands.class, property = { "osgi.command.scope=lem", "osgi.command.function=baseline",
        "osgi.command.function=monitor" })
public class EnergyCommands {
    private final PluginCatalog catalog;
    private final BaselineMeter baselines;

    @Activate
    public EnergyCommands(BundleContext context, @Reference BaselineMeter baselines) {
        this.catalog = new PluginCatalog(context);
        this.baselines = baselines;
    }

    @Descriptor("measure idle power per device now (nothing else should run); later runs reuse it for their cache time")
    public Table baseline(@Descriptor("options: --duration S (default 30), --interval-ms MS (default 100), "
            + "--source NAME (repeatable; default every measuring source available)") String... options)
            throws InterruptedException {
        Options o = Options.parse("lem baseline", options, Set.of("--duration", "--interval-ms", "--source"), Set.of());
        double seconds = o.decimal("lem baseline", "--duration", 30, 0.1);
        int intervalMs = o.integer("lem baseline", "--interval-ms", 100, 10);
        List<String> notBaselined = notBaselined(o.all("--source"));
        List<PluginService<EnergySource>> sources = new ArrayList<>();
        for (PluginService<EnergySource> s : baselineCandidates(o.all("--source"))) {
            catalog.hold(s).ifPresent(sources::add);
        }
        if (sources.isEmpty()) {
            throw new CommandFailure("nothing to baseline: " + (o.all("--source").isEmpty()
                    ? "no energy source on this host measures power (" : "no source named measures power here (")
                    + String.join("; ", notBaselined) + "). Runs here record raw energy only; their baseline-adjusted "
                    + "energy equals the raw energy. `lem energy` says what each source needs.");
        }
        try {
            ResultTables.Rows table = measureBaselines(sources, seconds, intervalMs);
            List<String> footer = new ArrayList<>(table.footer());
            notBaselined.forEach(n -> footer.add("not baselined: " + n));
            return new ResultTables.Rows(table.title(), table.headers(), table.rows(), footer);
        } finally {
            releaseAll(sources);
        }
    }

    /** The sources a baseline measures: named ones (each must measure here) or every measuring one available. */
    private List<PluginService<EnergySource>> baselineCandidates(List<String> names) {
        PluginCatalog.EnergySelection selection = catalog.selectEnergySources(names, false);
        if (!names.isEmpty() && !selection.refused().isEmpty()) {
            throw new CommandFailure(String.join("; ", selection.refused()));
        }
        return selection.available().stream().filter(s -> !s.service().info().estimate()).toList();
    }

    /** Each source a baseline leaves out, and why: an estimate has no idle power to measure; others cannot measure here. */
    private List<String> notBaselined(List<String> names) {
        List<String> out = new ArrayList<>();
        for (PluginService<EnergySource> s : catalog.energySources()) {
            if (!names.isEmpty() && !names.contains(s.name())) {
                continue;
            }
            if (s.service().info().estimate()) {
                out.add(s.name() + " only estimates power (a model, not a meter): there is no idle power to measure");
            } else {
                var probe = PluginCatalog.probe(s.service());
                if (!probe.available()) {
                    out.add(s.name() + " cannot measure here: " + probe.reason());
                }
            }
        }
        return out;
    }

    private ResultTables.Rows measureBaselines(List<PluginService<EnergySource>> sources, double seconds, int intervalMs)
            throws InterruptedException {
        System.out.printf(Locale.ROOT, "measuring idle power for %.1f s at %d ms from %s...%n", seconds, intervalMs,
                sources.stream().map(PluginService::name).toList());
        List<List<String>> rows = new ArrayList<>();
        List<String> footer = new ArrayList<>();
        DateTimeFormatter time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
        for (PluginService<EnergySource> s : sources) {
            try {
                // a TTL of 0 measures afresh; the figure is then cached for the runs that follow
                for (BaselinePower b : baselines.baseline(s.name(), s.service(), (long) (seconds * 1e9),
                        TimeUnit.MILLISECONDS.toNanos(intervalMs), 0, Map.of())) {
                    rows.add(List.of(b.source(), b.deviceId(), ResultTables.num(b.meanWatts()), ResultTables.num(b.stdWatts()),
                            String.valueOf(b.sampleCount()), ResultTables.num(b.durationNanos() / 1e9),
                            time.format(Instant.ofEpochMilli(b.takenAtEpochMillis())), deviceState(b)));
                }
            } catch (EnergyException e) {
                footer.add(s.name() + " failed: " + e.getMessage());
            }
        }
        footer.add("Mean = energy over the window / its duration (the counter where the source has one); SD from the power samples.");
        footer.add(baselines.cacheFile() == null ? "Kept in memory: runs in this host reuse it within their baseline.cache_ttl_s."
                : "Kept in " + baselines.cacheFile() + ": runs on this host (this process or a later one) with the same "
                        + "devices reuse it within their baseline.cache_ttl_s when they ask for no longer a baseline.");
        footer.add("A baseline taken at idle clocks understates static power under load: compare the clocks/P-state here with the run's.");
        return new ResultTables.Rows("Idle power (baseline)", List.of("SOURCE", "DEVICE", "MEAN W", "SD W", "SAMPLES",
                "SECONDS", "TAKEN (UTC)", "STATE"), rows, footer);
    }

    /** The device's clocks, P-state and temperature while sampled, as {@code key=value}; what the source did not report is said. */
    static String deviceState(BaselinePower b) {
        Map<String, String> state = new TreeMap<>(b.facts());
        state.remove("method");
        if (state.isEmpty()) {
            return "not reported by " + b.source();
        }
        StringBuilder text = new StringBuilder();
        state.forEach((k, v) -> text.append(text.length() == 0 ? "" : ", ").append(k).append('=').append(v));
        return text.toString();
    }

    @Descriptor("print live power per device once a second until Ctrl-C")
    public Table monitor(@Descriptor("options: --interval-ms MS (default 1000), --count N (stop after N lines; default until Ctrl-C), "
            + "--source NAME (repeatable; default every source available, estimates included)") String... options)
            throws EnergyException {
        Options o = Options.parse("lem monitor", options, Set.of("--interval-ms", "--count", "--source"), Set.of());
        int intervalMs = o.integer("lem monitor", "--interval-ms", 1000, 10);
        int count = o.integer("lem monitor", "--count", Integer.MAX_VALUE, 1);
        List<PluginService<EnergySource>> sources = sources(o.all("--source"), true);
        try {
            return watch(sources, intervalMs, count);
        } finally {
            releaseAll(sources);
        }
    }

    private Table watch(List<PluginService<EnergySource>> sources, int intervalMs, int count) throws EnergyException {
        PrintStream out = System.out;
        Map<String, EnergySession> sessions = new LinkedHashMap<>();
        List<EnergyReading> readings = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        long start = System.nanoTime();
        try (InterruptKey key = InterruptKey.install(() -> stop.set(true))) {
            for (PluginService<EnergySource> s : sources) {
                // samples at a tenth of the print interval, so each line averages several
                sessions.put(s.name(), s.service().start(new SessionSettings(
                        TimeUnit.MILLISECONDS.toNanos(Math.max(10, intervalMs / 10)), null, Map.of())));
            }
            out.println("Ctrl-C stops; watts are the mean of the samples in each interval");
            for (int line = 0; line < count && !stop.get(); line++) {
                long deadline = start + TimeUnit.MILLISECONDS.toNanos((long) intervalMs * (line + 1));
                while (System.nanoTime() < deadline && !stop.get()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(Math.min(50_000_000L, deadline - System.nanoTime()));
                }
                StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%8.1f s", (System.nanoTime() - start) / 1e9));
                for (Map.Entry<String, EnergySession> s : sessions.entrySet()) {
                    Map<String, double[]> sums = new TreeMap<>();
                    for (PowerSample sample : s.getValue().drainSamples()) {
                        double[] sum = sums.computeIfAbsent(sample.deviceId(), k -> new double[2]);
                        sum[0] += sample.powerWatts();
                        sum[1]++;
                    }
                    sums.forEach((device, sum) -> text.append(String.format(Locale.ROOT, "  %s/%s %.1f W", s.getKey(), device, sum[0] / sum[1])));
                    if (sums.isEmpty()) {
                        text.append("  ").append(s.getKey()).append(": no sample this interval");
                    }
                }
                out.println(text);
            }
        } finally {
            for (Map.Entry<String, EnergySession> s : sessions.entrySet()) {
                try {
                    readings.add(s.getValue().stop());
                } catch (EnergyException e) {
                    System.err.println(s.getKey() + ": " + e.getMessage());
                } finally {
                    s.getValue().close();
                }
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (EnergyReading r : readings) {
            for (var d : r.devices()) {
                rows.add(List.of(r.source(), d.deviceId(), ResultTables.num(d.energyJoules()),
                        ResultTables.num(d.energyJoules() / (r.durationNanos() / 1e9)), d.method().name().toLowerCase(Locale.ROOT)));
            }
        }
        return new ResultTables.Rows(String.format(Locale.ROOT, "Energy over the %.1f s watched", (System.nanoTime() - start) / 1e9),
                List.of("SOURCE", "DEVICE", "ENERGY J", "MEAN W", "METHOD"), rows, List.of());
    }

    /**
     * The named sources (each must be available), or every available one, each held until
     * {@link #releaseAll} so that its component stays active while the command uses it.
     */
    private List<PluginService<EnergySource>> sources(List<String> names, boolean estimates) {
        List<PluginService<EnergySource>> held = new ArrayList<>();
        for (PluginService<EnergySource> s : candidates(names, estimates)) {
            catalog.hold(s).ifPresent(held::add);
        }
        return held;
    }

    private void releaseAll(List<PluginService<EnergySource>> held) {
        held.forEach(catalog::release);
    }

    private List<PluginService<EnergySource>> candidates(List<String> names, boolean estimates) {
        PluginCatalog.EnergySelection selection = catalog.selectEnergySources(names, estimates);
        if (!selection.refused().isEmpty()) {
            throw new CommandFailure(String.join("; ", selection.refused()));
        }
        if (selection.available().isEmpty()) {
            throw new CommandFailure("no energy source can measure on this host; `lem energy` says why");
        }
        return selection.available();
    }
}
