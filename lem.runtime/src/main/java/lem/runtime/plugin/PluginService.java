package lem.runtime.plugin;

import java.util.Objects;

import org.osgi.framework.ServiceReference;

/**
 * One registered plugin service, with where it comes from.
 *
 * @param name          the service's name property ({@code lem.backend.name}, ...)
 * @param bundle        symbolic name of the bundle that registered it
 * @param bundleVersion that bundle's version
 * @param bundleState   that bundle's state ({@code ACTIVE}, {@code STARTING}, ...)
 * @param ranking       {@code service.ranking}
 * @param service       the service object
 * @param reference     the registration it came from: it identifies the service when it leaves
 *                      (the object cannot: Declarative Services may hand out a new one); null for
 *                      a service handed over without a framework (tests, embedding)
 */
public record PluginService<S>(String name, String bundle, String bundleVersion, String bundleState, int ranking,
        S service, ServiceReference<S> reference) {
    public PluginService {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(service, "service");
    }

    /** A service without a registration, for use outside a framework. */
    public PluginService(String name, String bundle, String bundleVersion, String bundleState, int ranking, S service) {
        this(name, bundle, bundleVersion, bundleState, ranking, service, null);
    }
}
