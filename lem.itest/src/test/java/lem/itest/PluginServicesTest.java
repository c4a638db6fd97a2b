package lem.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.ServiceReference;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.common.service.ServiceAware;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import lem.api.energy.EnergySource;
import lem.api.flops.FlopsStrategy;

/** The services lem's own bundles register, and the commands that list them. */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class PluginServicesTest {

    @InjectService(cardinality = 3, timeout = 10_000)
    ServiceAware<FlopsStrategy> strategies;

    @InjectService(timeout = 10_000)
    CommandProcessor processor;

    @Test
    void flopsStrategiesRegisterWithNameAndRanking() {
        List<String> named = strategies.getServiceReferences().stream()
                .sorted((a, b) -> Integer.compare(ranking(b), ranking(a)))
                .map(r -> r.getProperty(FlopsStrategy.NAME) + "@" + ranking(r)).toList();
        assertEquals(List.of("counted@300", "analytical@200", "parameters@100"), named);
    }

    @Test
    void lemFlopsListsStrategiesInTheOrderTheyAreAsked() throws Exception {
        String out = new Shell(processor).run("lem:flops");
        int counted = out.indexOf("counted");
        int analytical = out.indexOf("analytical");
        int parameters = out.indexOf("parameters");
        assertTrue(counted > 0 && counted < analytical && analytical < parameters, out);
        assertTrue(out.contains("lem.flops") && out.contains("ACTIVE") && out.contains("high"), out);
    }

    /** lem's three energy bundles each register a source; other tests may add their own. */
    @InjectService(cardinality = 3, timeout = 10_000)
    ServiceAware<EnergySource> energySources;

    @Test
    void lemEnergyListsEverySourceWithAvailability() throws Exception {
        String out = new Shell(processor).run("lem:energy");
        assertTrue(out.contains("AVAILABLE") && out.contains("REASON"), out);
        for (String source : List.of("nvml", "rapl", "codecarbon")) {
            EnergySource service = energySources.getServices().stream()
                    .filter(s -> source.equals(s.info().name())).findFirst()
                    .orElseThrow(() -> new AssertionError("no energy source '" + source + "' registered"));
            // the row: name, what its probe says here, measured or estimate, ..., its bundle
            String row = "(?m)^\\s*" + source + "\\s+" + (service.probe().available() ? "yes" : "no") + "\\s+"
                    + (service.info().estimate() ? "estimate" : "measured") + "\\s.*lem\\.energy\\." + source + "\\s.*$";
            assertTrue(Pattern.compile(row).matcher(out).find(), source + " row missing or wrong in\n" + out);
        }
    }

    private static int ranking(ServiceReference<?> r) {
        Object value = r.getProperty("service.ranking");
        return value instanceof Integer i ? i : 0;
    }
}
