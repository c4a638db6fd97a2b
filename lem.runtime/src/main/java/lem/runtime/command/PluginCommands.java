package lem.runtime.command;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import lem.runtime.plugin.PluginCatalog;

/** {@code lem:backends}, {@code lem:energy}, {@code lem:flops}: what is plugged in now. */
@Component(service = PluginCommands.class, property = { "osgi.command.scope=lem",
        "osgi.command.function=backends", "osgi.command.function=energy", "osgi.command.function=flops" })
public class PluginCommands {
    private final PluginCatalog catalog;

    @Activate
    public PluginCommands(BundleContext context) {
        this.catalog = new PluginCatalog(context);
    }

    PluginCommands(PluginCatalog catalog) {
        this.catalog = catalog;
    }

    @Descriptor("list the registered inference backends with their bundle, version and state")
    public Listings.Backends backends() {
        return new Listings.Backends(catalog.backends().stream().map(Listings.BackendRow::of).toList());
    }

    @Descriptor("list the registered energy sources, whether each can measure on this host, and why not")
    public Listings.EnergySources energy() {
        return new Listings.EnergySources(catalog.energySources().stream().map(Listings.EnergyRow::of).toList());
    }

    @Descriptor("list the registered FLOPs strategies in the order the runtime asks them")
    public Listings.FlopsStrategies flops() {
        return new Listings.FlopsStrategies(catalog.flopsStrategies().stream().map(Listings.FlopsRow::of).toList());
    }
}
