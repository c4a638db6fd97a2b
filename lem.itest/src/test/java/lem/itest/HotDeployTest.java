package lem.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;
import org.osgi.util.tracker.ServiceTracker;

import lem.api.backend.InferenceBackend;

/**
 * A lab engineer drops a backend bundle into plugins/ and takes it out again while the host
 * runs: it must appear in lem:backends, then disappear, with no restart.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class HotDeployTest {
    static final long WAIT_MILLIS = 30_000;

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 10_000)
    CommandProcessor processor;

    @Test
    void droppedPluginAppearsInBackendsAndRemovedPluginDisappears() throws Exception {
        Path plugins = Path.of(context.getProperty("felix.fileinstall.dir"));
        Path example = Path.of(context.getProperty("lem.itest.example.plugin"));
        assertTrue(Files.isRegularFile(example), "example plugin built at " + example);
        Files.createDirectories(plugins);

        Bundle runtime = FrameworkUtil.getBundle(lem.runtime.command.Table.class);
        long runtimeId = runtime.getBundleId();
        Shell shell = new Shell(processor);
        assertFalse(shell.run("lem:backends").contains("example-echo"), "not there before the drop");

        ServiceTracker<InferenceBackend, InferenceBackend> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + InferenceBackend.class.getName() + ")("
                        + InferenceBackend.NAME + "=example-echo))"),
                null);
        tracker.open();
        try {
            Path dropped = plugins.resolve("lem.example.backend.jar");
            Files.copy(example, dropped, StandardCopyOption.REPLACE_EXISTING);
            assertNotNull(tracker.waitForService(WAIT_MILLIS), "example-echo registered after the drop");

            String listed = shell.run("lem:backends");
            assertTrue(listed.contains("example-echo") && listed.contains("lem.example.backend") && listed.contains("ACTIVE"),
                    listed);

            Files.delete(dropped);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
            while (tracker.getService() != null && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(null, tracker.getService(), "example-echo gone after the file was removed");
            assertFalse(shell.run("lem:backends").contains("example-echo"));
        } finally {
            tracker.close();
        }
        // the host never restarted: same runtime bundle, still active, framework still up
        assertEquals(runtimeId, FrameworkUtil.getBundle(lem.runtime.command.Table.class).getBundleId());
        assertEquals(Bundle.ACTIVE, runtime.getState());
        assertEquals(Bundle.ACTIVE, context.getBundle(0).getState());
    }
}
