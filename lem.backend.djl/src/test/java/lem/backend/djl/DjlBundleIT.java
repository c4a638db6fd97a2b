package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lem.api.backend.BackendException;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.Prompt;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.djl.transformer.TinyCheckpoint;
import lem.api.backend.InferenceBackend;
import lem.api.backend.LoadedModel;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The built bundle in a plain Felix with SCR: it resolves with nothing but lem.api and SCR, its
 * component registers the "djl" backend, and that backend generates on the PyTorch engine (which
 * it finds only with the bundle's class loader as the context class loader).
 */
class DjlBundleIT {

    @Test
    void backendServiceGeneratesInsideFelix() throws Exception {
        Path storage = Files.createTempDirectory("lem-felix");
        Map<String, String> properties = Map.of(
                Constants.FRAMEWORK_STORAGE, storage.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT,
                // the test talks to the service through the lem.api classes on its own class path
                Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                "lem.api.backend;version=\"1.0.0\",lem.api.model;version=\"1.0.0\"");
        Framework framework = new FrameworkFactory().newFramework(properties);
        framework.start();
        try {
            BundleContext context = framework.getBundleContext();
            List<Bundle> bundles = new ArrayList<>();
            for (String key : List.of("lem.it.function", "lem.it.promise", "lem.it.component", "lem.it.scr",
                    "lem.it.bundle")) {
                String path = System.getProperty(key);
                assertNotNull(path, "system property " + key);
                bundles.add(context.installBundle(Path.of(path).toUri().toString()));
            }
            for (Bundle bundle : bundles) {
                bundle.start();
            }
            Bundle backendBundle = bundles.get(bundles.size() - 1);
            assertEquals(Bundle.ACTIVE, backendBundle.getState());

            ServiceTracker<InferenceBackend, InferenceBackend> tracker = new ServiceTracker<>(context,
                    context.createFilter("(&(objectClass=" + InferenceBackend.class.getName() + ")("
                            + InferenceBackend.NAME + "=djl))"), null);
            tracker.open();
            InferenceBackend backend = tracker.waitForService(30_000);
            assertNotNull(backend, "no InferenceBackend with lem.backend.name=djl");
            assertEquals("djl", backend.info().name());
            // the service comes from the bundle's own class loader, not from this test's class path
            assertTrue(backend.getClass().getClassLoader() != DjlBundleIT.class.getClassLoader());

            try (LoadedModel model = backend.open(Fixtures.synthetic("llama-tiny"), Fixtures.batches(2))) {
                Fixtures.Recorder recorder = new Fixtures.Recorder();
                GenerationResult result = model.generate(Fixtures.prompts(2, 8, 2048, 3), Fixtures.greedy(4),
                        recorder);
                assertEquals(2, result.requests().size());
                assertEquals(8, recorder.tokens.size());
                assertTrue(result.operations().orElseThrow().totalFlops() > 0);
            }
            // a local folder with a tokenizer.json: the tokenizers native library must load from the bundle
            Path folder = storage.resolve("tiny-llama");
            TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 4).write(folder);
            TinyCheckpoint.writeWordLevelTokenizer(folder, 64);
            ModelSpec local = new ModelSpec("local", folder.toString(), Precision.FLOAT32, "none", 0, Map.of());
            try (LoadedModel model = backend.open(local, Fixtures.batches(1))) {
                GenerationResult result = model.generate(
                        List.of(new GenerationRequest("text", Prompt.ofText("w1 w2 w3"), 0)), Fixtures.greedy(3),
                        new Fixtures.Recorder());
                assertEquals(3, result.requests().get(0).inputTokens());
                assertEquals(3, result.requests().get(0).outputTokens());
            }
            tracker.close();

            // JNI libraries bind to one class loader per JVM: an updated revision of this bundle cannot
            // load DJL's natives again, and says so instead of failing obscurely
            backendBundle.update();
            framework.adapt(FrameworkWiring.class).refreshBundles(List.of(backendBundle));
            ServiceTracker<InferenceBackend, InferenceBackend> updatedTracker = new ServiceTracker<>(context,
                    context.createFilter("(" + InferenceBackend.NAME + "=djl)"), null);
            updatedTracker.open();
            InferenceBackend updated = null;
            long deadline = System.nanoTime() + 30_000_000_000L;
            while ((updated == null || updated == backend) && System.nanoTime() < deadline) {
                updated = updatedTracker.waitForService(1000);
            }
            assertNotNull(updated);
            InferenceBackend revision = updated;
            BackendException refused = assertThrows(BackendException.class,
                    () -> revision.open(Fixtures.synthetic("llama-tiny"), Fixtures.batches(1)));
            assertTrue(refused.getMessage().contains("restarts"), refused.getMessage());
            updatedTracker.close();
        } finally {
            framework.stop();
            framework.waitForStop(30_000);
        }
    }
}
