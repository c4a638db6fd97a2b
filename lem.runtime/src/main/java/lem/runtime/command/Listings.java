package lem.runtime.command;

import java.util.ArrayList;
import java.util.List;

import lem.api.backend.BackendInfo;
import lem.api.backend.Capabilities;
import lem.api.backend.InferenceBackend;
import lem.api.energy.EnergySource;
import lem.api.energy.Probe;
import lem.api.energy.SourceInfo;
import lem.api.flops.FlopsStrategy;
import lem.runtime.plugin.BackendChoice;
import lem.runtime.plugin.PluginCatalog;
import lem.runtime.plugin.PluginService;

/** Typed results of the listing commands. */
public final class Listings {
    private Listings() {
    }

    public record BackendRow(String name, String engine, String capabilities, String bundle, String version,
            String state) {
        static BackendRow of(PluginService<InferenceBackend> s) {
            BackendInfo info = s.service().info();
            Capabilities c = info.capabilities();
            String caps = (c.streaming() ? "streaming" : "no streaming") + "; devices " + String.join("/", sorted(c.devices()))
                    + "; " + c.precisions().stream().map(p -> p.configName()).sorted().reduce((a, b) -> a + "/" + b).orElse("-");
            return new BackendRow(s.name(), info.engine(), caps, s.bundle(), s.bundleVersion(), s.bundleState());
        }
    }

    /**
     * @param clashes one line per backend name that several bundles register: which of them a run uses
     * @param unusablePlugins jars in the plugins folder that are not installed, and why
     *                        (a truncated copy would otherwise be silently missing here)
     */
    public record Backends(List<BackendRow> backends, List<String> clashes, List<String> unusablePlugins)
            implements Table {
        public Backends {
            backends = List.copyOf(backends);
            clashes = List.copyOf(clashes);
            unusablePlugins = List.copyOf(unusablePlugins);
        }

        public Backends(List<BackendRow> backends) {
            this(backends, List.of(), List.of());
        }

        /** The rows, a clash line for each name that more than one bundle registers, and the unusable jars. */
        static Backends of(List<PluginService<InferenceBackend>> services, List<String> unusablePlugins) {
            List<String> clashes = new ArrayList<>();
            PluginCatalog.clashes(services).forEach((name, same) -> clashes.add("clash: backend '" + name
                    + "' is registered by " + same.size() + " bundles (" + BackendChoice.describe(same) + "); a run uses "
                    + same.get(0).bundle() + " " + same.get(0).bundleVersion()
                    + " (highest service ranking, then highest bundle version) unless its config sets backend.version"));
            return new Backends(services.stream().map(BackendRow::of).toList(), clashes, unusablePlugins);
        }

        @Override
        public String title() {
            return "Inference backends";
        }

        @Override
        public List<String> footer() {
            List<String> footer = new ArrayList<>(clashes);
            unusablePlugins.forEach(jar -> footer.add("warning: " + jar));
            return footer;
        }

        @Override
        public List<String> headers() {
            return List.of("NAME", "ENGINE", "CAPABILITIES", "BUNDLE", "VERSION", "STATE");
        }

        @Override
        public List<List<String>> rows() {
            return backends.stream().map(b -> List.of(b.name(), b.engine(), b.capabilities(), b.bundle(), b.version(), b.state())).toList();
        }
    }

    public record EnergyRow(String name, boolean available, boolean estimate, String domains, String reason,
            int devices, String bundle, String version, String state) {
        static EnergyRow of(PluginService<EnergySource> s) {
            SourceInfo info = s.service().info();
            Probe probe = lem.runtime.plugin.PluginCatalog.probe(s.service());
            String domains = info.domains().stream().map(Enum::name).sorted().reduce((a, b) -> a + "," + b).orElse("-");
            return new EnergyRow(s.name(), probe.available(), info.estimate(), domains, probe.reason(),
                    probe.devices().size(), s.bundle(), s.bundleVersion(), s.bundleState());
        }
    }

    public record EnergySources(List<EnergyRow> sources) implements Table {
        @Override
        public String title() {
            return "Energy sources";
        }

        @Override
        public List<String> headers() {
            return List.of("NAME", "AVAILABLE", "KIND", "DOMAINS", "DEVICES", "BUNDLE", "VERSION", "STATE", "REASON");
        }

        @Override
        public List<List<String>> rows() {
            List<List<String>> rows = new ArrayList<>();
            for (EnergyRow s : sources) {
                rows.add(List.of(s.name(), s.available() ? "yes" : "no", s.estimate() ? "estimate" : "measured",
                        s.domains(), String.valueOf(s.devices()), s.bundle(), s.version(), s.state(), s.reason()));
            }
            return rows;
        }
    }

    public record FlopsRow(String name, String confidence, int ranking, String bundle, String version, String state) {
        static FlopsRow of(PluginService<FlopsStrategy> s) {
            return new FlopsRow(s.name(), s.service().confidence().name().toLowerCase(java.util.Locale.ROOT), s.ranking(),
                    s.bundle(), s.bundleVersion(), s.bundleState());
        }
    }

    public record FlopsStrategies(List<FlopsRow> strategies) implements Table {
        @Override
        public String title() {
            return "FLOPs strategies (asked in this order)";
        }

        @Override
        public List<String> headers() {
            return List.of("NAME", "CONFIDENCE", "RANKING", "BUNDLE", "VERSION", "STATE");
        }

        @Override
        public List<List<String>> rows() {
            return strategies.stream().map(s -> List.of(s.name(), s.confidence(), String.valueOf(s.ranking()), s.bundle(), s.version(), s.state())).toList();
        }
    }

    private static List<String> sorted(java.util.Set<String> s) {
        return s.stream().sorted().toList();
    }
}
