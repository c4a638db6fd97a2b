package lem.itest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import lem.api.energy.DeviceInfo;
import lem.api.energy.EnergyDomain;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.Probe;
import lem.api.energy.SessionSettings;
import lem.api.energy.SourceInfo;

/**
 * Sources built on other sources (CodeCarbon takes the CPU from RAPL when RAPL can measure) must
 * see them whenever a user asks, not only during a run: `lem:energy` looks a component up and lets
 * it go, which must not leave it with its references unbound.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class SourceCompositionTest {

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 10_000)
    CommandProcessor processor;

    /** Stands in for RAPL on a host whose powercap counters are readable (this one has none). */
    static final class ReadableRapl implements EnergySource {
        @Override
        public SourceInfo info() {
            return new SourceInfo("rapl", "stand-in with readable counters", Set.of(EnergyDomain.CPU_PACKAGE), false);
        }

        @Override
        public Probe probe() {
            return new Probe(true, "", List.of(new DeviceInfo("package-0", "package-0", EnergyDomain.CPU_PACKAGE, Map.of())),
                    Map.of());
        }

        @Override
        public EnergySession start(SessionSettings settings) {
            throw new UnsupportedOperationException("lem:energy only probes");
        }
    }

    @Test
    void codeCarbonSeesAReadableRaplEachTimeEnergyIsListed() throws Exception {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(EnergySource.NAME, "rapl");
        props.put(Constants.SERVICE_RANKING, 1000); // preferred over the real, unreadable one
        ServiceRegistration<EnergySource> registration = context.registerService(EnergySource.class, new ReadableRapl(), props);
        try {
            Shell shell = new Shell(processor);
            for (int i = 0; i < 2; i++) {
                String out = shell.run("lem:energy");
                // the row, then its reason on the indented lines under it when the table has no room for it
                String codecarbon = out.substring(out.indexOf("\ncodecarbon") + 1).split("\n(?! )")[0].replaceAll("\\s+", " ");
                assertTrue(codecarbon.contains("CPU from RAPL"), "listing " + (i + 1) + ": " + codecarbon);
            }
        } finally {
            registration.unregister();
        }
    }
}
