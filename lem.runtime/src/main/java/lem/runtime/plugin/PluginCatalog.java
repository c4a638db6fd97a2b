package lem.runtime.plugin;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

import lem.api.backend.InferenceBackend;
import lem.api.energy.EnergySource;
import lem.api.energy.Probe;
import lem.api.flops.FlopsStrategy;

/**
 * The plugin services registered now: backends, energy sources and FLOPs strategies, looked up
 * in the service registry at each call so that a bundle dropped into {@code plugins/} is seen
 * at once and one that left is gone.
 */
public final class PluginCatalog {
    private final BundleContext context;

    public PluginCatalog(BundleContext context) {
        this.context = context;
    }

    public List<PluginService<InferenceBackend>> backends() {
        return find(InferenceBackend.class, InferenceBackend.NAME);
    }

    public List<PluginService<EnergySource>> energySources() {
        return find(EnergySource.class, EnergySource.NAME);
    }

    /** FLOPs strategies, highest ranking first: the order the runtime asks them in. */
    public List<PluginService<FlopsStrategy>> flopsStrategies() {
        List<PluginService<FlopsStrategy>> strategies = find(FlopsStrategy.class, FlopsStrategy.NAME);
        strategies.sort(Comparator.comparingInt((PluginService<FlopsStrategy> s) -> s.ranking()).reversed()
                .thenComparing(PluginService::name));
        return strategies;
    }

    /** A probe that never throws: a plugin's failure to probe is its unavailability, not the host's failure. */
    public static Probe probe(EnergySource source) {
        try {
            return source.probe();
        } catch (RuntimeException e) {
            return Probe.unavailable("probe failed: " + e);
        }
    }

    /**
     * Energy sources chosen for a command or run.
     *
     * @param available the sources chosen that can measure here
     * @param refused   for each named source that cannot (or does not exist), why
     */
    public record EnergySelection(List<PluginService<EnergySource>> available, List<String> refused) {
        public EnergySelection {
            available = List.copyOf(available);
            refused = List.copyOf(refused);
        }
    }

    /**
     * The named sources, each of which must exist and be able to measure here; or, with no
     * names, every source that can (estimates only when {@code includeEstimates}).
     */
    public EnergySelection selectEnergySources(List<String> names, boolean includeEstimates) {
        List<PluginService<EnergySource>> all = energySources();
        List<PluginService<EnergySource>> available = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (PluginService<EnergySource> s : all) {
            boolean named = names.contains(s.name());
            if (!names.isEmpty() && !named || names.isEmpty() && !includeEstimates && s.service().info().estimate()) {
                continue;
            }
            Probe probe = probe(s.service());
            if (probe.available()) {
                available.add(s);
            } else if (named) {
                refused.add(s.name() + ": " + probe.reason());
            }
        }
        for (String name : names) {
            if (all.stream().noneMatch(s -> s.name().equals(name))) {
                refused.add(name + ": no such energy source; registered: " + all.stream().map(PluginService::name).toList());
            }
        }
        return new EnergySelection(available, refused);
    }

    /** The preferred backend of that name (see {@link BackendChoice}), whatever its version. */
    public Optional<PluginService<InferenceBackend>> backend(String name) {
        try {
            return Optional.of(chooseBackend(name, Optional.empty()).chosen());
        } catch (BackendChoice.NoMatch e) {
            return Optional.empty();
        }
    }

    /** The backend a run with this name and version pin uses: see {@link BackendChoice#among}. */
    public BackendChoice chooseBackend(String name, Optional<VersionPin> pin) throws BackendChoice.NoMatch {
        return BackendChoice.among(backends(), name, pin);
    }

    /**
     * For each backend name that more than one bundle registers, the services, preferred first;
     * empty when every name is registered once.
     */
    public static java.util.Map<String, List<PluginService<InferenceBackend>>> clashes(
            List<PluginService<InferenceBackend>> backends) {
        java.util.Map<String, List<PluginService<InferenceBackend>>> byName = new java.util.TreeMap<>();
        for (PluginService<InferenceBackend> b : backends) {
            byName.computeIfAbsent(b.name(), n -> new ArrayList<>()).add(b);
        }
        byName.values().removeIf(list -> list.size() < 2);
        byName.values().forEach(list -> list.sort(BackendChoice.PREFERENCE));
        return byName;
    }

    private <S> List<PluginService<S>> find(Class<S> type, String nameProperty) {
        List<PluginService<S>> found = new ArrayList<>();
        java.util.Collection<ServiceReference<S>> references;
        try {
            references = context.getServiceReferences(type, null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e); // a null filter cannot be invalid
        }
        for (ServiceReference<S> reference : references) {
            S service = context.getService(reference);
            if (service == null) {
                continue; // unregistered between lookup and get
            }
            try {
                Bundle bundle = reference.getBundle();
                Object name = reference.getProperty(nameProperty);
                Object ranking = reference.getProperty(Constants.SERVICE_RANKING);
                found.add(new PluginService<>(name == null ? "(unnamed)" : String.valueOf(name),
                        bundle == null ? "?" : bundle.getSymbolicName(),
                        bundle == null ? "?" : bundle.getVersion().toString(),
                        bundle == null ? "?" : stateName(bundle.getState()),
                        ranking instanceof Integer r ? r : 0, service, reference));
            } finally {
                // enough for a listing; a run holds what it uses (see hold), since DS may deactivate it now
                context.ungetService(reference);
            }
        }
        // by name; services sharing a name (several bundles) in the order a run prefers them
        found.sort(Comparator.comparing((PluginService<S> s) -> s.name()).thenComparing(BackendChoice.PREFERENCE));
        return found;
    }

    /**
     * The same service got again and kept until {@link #release}: Declarative Services deactivates
     * a delayed component when its last user lets it go, so a run holds what it uses for as long
     * as it runs, and uses the object it holds.
     *
     * @return the held service, or empty when it was unregistered meanwhile
     */
    public <S> Optional<PluginService<S>> hold(PluginService<S> s) {
        S service = context.getService(s.reference());
        return Optional.ofNullable(service).map(held -> new PluginService<>(s.name(), s.bundle(), s.bundleVersion(),
                s.bundleState(), s.ranking(), held, s.reference()));
    }

    /** Lets go of a service got by {@link #hold}. */
    public void release(PluginService<?> s) {
        try {
            context.ungetService(s.reference());
        } catch (IllegalStateException e) {
            // the runtime's own bundle is stopping: the framework releases everything anyway
        }
    }

    static String stateName(int state) {
        return switch (state) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> String.valueOf(state);
        };
    }
}
