package lem.itest;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * What the in-framework tests that drive lem through the Gogo shell share: the framework, the
 * shell's command processor, and the current test's {@link ExperimentRuns} (its results folder and
 * registered backend), closed after the test, after the subclass's own clean-up.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
abstract class ShellRunTest {

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 10_000)
    CommandProcessor processor;

    /** The current test's runs; null until {@link #runs} makes them. */
    ExperimentRuns runs;

    /** Runs named after the current test, with {@code backend} registered. */
    ExperimentRuns runs(TestInfo test, PacedBackend backend) throws Exception {
        runs = new ExperimentRuns(context, test.getTestMethod().orElseThrow().getName(), backend);
        return runs;
    }

    @AfterEach
    void closeRuns() {
        if (runs != null) {
            runs.close();
            runs = null;
        }
    }
}
