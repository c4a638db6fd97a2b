package lem.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;
import org.osgi.util.tracker.ServiceTracker;

import lem.api.backend.InferenceBackend;

/**
 * Two versions of one backend bundle in the host (a lab engineer dropped in a newer copy without
 * removing the old one): {@code lem:backends} shows the clash, a run takes the newer one and says
 * so, and a config pins the older one with {@code backend.version}.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class BackendClashTest {
    static final String NEWER = "0.9.0";

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 10_000)
    CommandProcessor processor;

    /** The jar with its Bundle-Version replaced, as a second build of the plugin would be. */
    private static byte[] withVersion(Path jar, String version) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().put(new Attributes.Name(Constants.BUNDLE_VERSION), version);
            try (JarOutputStream copy = new JarOutputStream(out, manifest)) {
                for (JarEntry entry = in.getNextJarEntry(); entry != null; entry = in.getNextJarEntry()) {
                    copy.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(copy);
                    copy.closeEntry();
                }
            }
        }
        return out.toByteArray();
    }

    private Bundle install(String location, InputStream jar) throws Exception {
        Bundle bundle = context.installBundle(location, jar);
        bundle.start();
        return bundle;
    }

    @Test
    void bothVersionsAreListedAsAClashAndARunUsesTheNewerOneUnlessPinned(TestInfo test) throws Exception {
        Path example = Path.of(context.getProperty("lem.itest.example.plugin"));
        List<Bundle> installed = new ArrayList<>();
        ServiceTracker<InferenceBackend, InferenceBackend> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + InferenceBackend.class.getName() + ")(" + InferenceBackend.NAME
                        + "=example-echo))"), null);
        tracker.open();
        try (ExperimentRuns runs = new ExperimentRuns(context, "clash", ExperimentRuns.pacedBackend())) {
            installed.add(install("itest:example-old", Files.newInputStream(example)));
            installed.add(install("itest:example-new", new ByteArrayInputStream(withVersion(example, NEWER))));
            String older = installed.get(0).getVersion().toString();
            assertNotEquals(NEWER, older);
            long deadline = System.currentTimeMillis() + 30_000;
            while (tracker.size() < 2 && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(2, tracker.size(), "both copies register example-echo");

            Shell shell = new Shell(processor);
            // the footer wraps at 120 columns: read it as one text
            String listed = shell.run("lem:backends").replaceAll("\\s+", " ");
            assertTrue(listed.contains("clash: backend 'example-echo' is registered by 2 bundles (lem.example.backend "
                    + NEWER + " ranking 0, lem.example.backend " + older + " ranking 0); a run uses lem.example.backend "
                    + NEWER), listed);

            Path config = runs.write("echo.yaml", runs.config(1).replace("name: " + ExperimentRuns.BACKEND, "name: example-echo"));
            Shell.Outcome newest = shell.execute("lem:run " + config);
            assertNull(newest.failure(), newest.transcript());
            assertTrue(newest.out().contains("using lem.example.backend " + NEWER + " (highest service ranking, then highest"
                    + " bundle version"), newest.transcript());
            assertEquals(List.of(NEWER), recordedBundleVersions(runs.onlyExperiment()));

            Shell.Outcome validated = shell.execute("lem:config validate " + config + " --set backend.version=" + older);
            assertNull(validated.failure(), validated.transcript());
            assertTrue(validated.out().contains("for backend example-echo from lem.example.backend " + older), validated.transcript());

            Path pinned = runs.write("pinned.yaml", Files.readString(config).replace("name: example-echo",
                    "name: example-echo\n  version: '[0.1,0.9)'").replace("dir: " + runs.resultsRoot, "dir: " + runs.work.resolve("pinned")));
            Shell.Outcome old = shell.execute("lem:run " + pinned);
            assertNull(old.failure(), old.transcript());
            assertTrue(old.out().contains("using lem.example.backend " + older + " (backend.version [0.1,0.9)"), old.transcript());
            try (var dirs = Files.list(runs.work.resolve("pinned"))) {
                Path experiment = dirs.filter(Files::isDirectory).findFirst().orElseThrow();
                assertEquals(List.of(older), recordedBundleVersions(experiment));
            }

            Shell.Outcome none = shell.execute("lem:config validate " + config + " --set backend.version=2.0.0");
            assertTrue(none.failed(), none.transcript());
            assertTrue(none.err().contains("--set: backend.version: no bundle registering backend 'example-echo' has a version"
                    + " in 2.0.0"), none.transcript());
        } finally {
            for (Bundle b : installed) {
                b.uninstall();
            }
            tracker.close();
        }
        assertFalse(new Shell(processor).run("lem:backends").contains("example-echo"), "both copies gone again");
    }

    /** The bundle versions the raw files of an experiment say the backend came from. */
    private static List<String> recordedBundleVersions(Path experiment) throws IOException {
        List<String> versions = new ArrayList<>();
        try (var files = Files.walk(experiment.resolve("raw"))) {
            for (Path raw : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                ExperimentRuns.json(raw).findValuesAsText("bundle_version").forEach(v -> {
                    if (!versions.contains(v)) {
                        versions.add(v);
                    }
                });
            }
        }
        return versions;
    }
}
