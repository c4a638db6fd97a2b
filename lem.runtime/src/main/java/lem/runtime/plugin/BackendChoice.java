package lem.runtime.plugin;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import org.osgi.framework.Constants;
import org.osgi.framework.Version;

import lem.api.backend.InferenceBackend;

/**
 * The backend a run uses when one or more bundles register its name: the highest
 * {@code service.ranking}, then the highest bundle version, then the service registered first,
 * among those a {@link VersionPin} accepts.
 *
 * @param chosen     the service the run binds
 * @param candidates every service registered under the name, preferred first (the pin aside)
 * @param pin        the config's {@code backend.version}, when it set one
 */
public record BackendChoice(PluginService<InferenceBackend> chosen, List<PluginService<InferenceBackend>> candidates,
        Optional<VersionPin> pin) {

    /** Preferred first: highest ranking, then highest bundle version, then lowest service id. */
    public static final Comparator<PluginService<?>> PREFERENCE = Comparator
            .comparingInt((PluginService<?> s) -> s.ranking()).reversed()
            .thenComparing(s -> version(s.bundleVersion()), Comparator.reverseOrder())
            .thenComparingLong(BackendChoice::serviceId);

    public BackendChoice {
        Objects.requireNonNull(chosen, "chosen");
        candidates = List.copyOf(candidates);
        pin = pin == null ? Optional.empty() : pin;
    }

    /** Why a backend could not be chosen: nothing registers the name, or the pin excludes every bundle. */
    public static final class NoMatch extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean pinned;

        NoMatch(String message, boolean pinned) {
            super(message);
            this.pinned = pinned;
        }

        /** True when bundles register the name but the pin accepts none of them. */
        public boolean pinned() {
            return pinned;
        }
    }

    /**
     * Chooses among {@code registered} (every backend service) the one named {@code name}.
     *
     * @throws NoMatch naming what is registered
     */
    public static BackendChoice among(List<PluginService<InferenceBackend>> registered, String name,
            Optional<VersionPin> pin) throws NoMatch {
        List<PluginService<InferenceBackend>> named = new ArrayList<>(
                registered.stream().filter(s -> s.name().equals(name)).toList());
        named.sort(PREFERENCE);
        if (named.isEmpty()) {
            throw new NoMatch("no backend named '" + name + "' is registered; registered: "
                    + registered.stream().map(PluginService::name).distinct().sorted().toList(), false);
        }
        Optional<PluginService<InferenceBackend>> chosen = named.stream()
                .filter(s -> pin.isEmpty() || pin.get().matches(s.bundleVersion())).findFirst();
        if (chosen.isEmpty()) {
            throw new NoMatch("no bundle registering backend '" + name + "' has a version in " + pin.get()
                    + "; registered: " + describe(named), true);
        }
        return new BackendChoice(chosen.get(), named, pin);
    }

    /** Whether more than one bundle registers the name. */
    public boolean clash() {
        return candidates.size() > 1;
    }

    /**
     * One line saying which of several registrations the run uses and why; empty when only one
     * bundle registers the name.
     */
    public Optional<String> explanation() {
        if (!clash()) {
            return Optional.empty();
        }
        String why = pin.map(p -> "backend.version " + p + ", then the highest service ranking and bundle version")
                .orElse("highest service ranking, then highest bundle version; pin another with backend.version");
        return Optional.of("backend '" + chosen.name() + "' is registered by " + candidates.size() + " bundles ("
                + describe(candidates) + "); using " + chosen.bundle() + " " + chosen.bundleVersion() + " (" + why + ")");
    }

    /** {@code lem.backend.djl 0.2.0 ranking 0, lem.backend.djl 0.1.0 ranking 0}. */
    public static String describe(List<? extends PluginService<?>> services) {
        return services.stream().map(s -> s.bundle() + " " + s.bundleVersion() + " ranking " + s.ranking())
                .collect(Collectors.joining(", "));
    }

    private static Version version(String text) {
        try {
            return Version.parseVersion(text);
        } catch (IllegalArgumentException e) {
            return Version.emptyVersion; // "?" for a service without a bundle: least preferred
        }
    }

    private static long serviceId(PluginService<?> s) {
        Object id = s.reference() == null ? null : s.reference().getProperty(Constants.SERVICE_ID);
        return id instanceof Long l ? l : Long.MAX_VALUE;
    }
}
