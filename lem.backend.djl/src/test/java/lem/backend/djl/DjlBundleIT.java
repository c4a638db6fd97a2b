package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BackendValidation;
import lem.api.backend.BatchingMode;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.InferenceBackend;
import lem.api.backend.LoadedModel;
import lem.api.backend.Prompt;
import lem.api.backend.SequenceScorer;
import lem.api.backend.ValidationReport;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;
import lem.backend.djl.onnx.OnnxFixture;
import lem.backend.djl.transformer.TinyCheckpoint;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The built bundles in a plain Felix with SCR: lem.backend.djl resolves against nothing but
 * lem.api, SCR and the lem.djl library bundle, its component registers the "djl" backend, and
 * that backend generates on the PyTorch engine. Then the backend bundle is updated, and later
 * uninstalled and installed again, as a lab engineer replacing it in plugins/ would: each new
 * revision generates in the same framework, because libtorch belongs to lem.djl's class loader,
 * which stays. Only an update of lem.djl itself needs a restart, and the backend says so.
 */
class DjlBundleIT {

    @Test
    void backendBundleUpdatesAndReinstallsWithoutRestart() throws Exception {
        Path storage = Files.createTempDirectory("lem-felix");
        Map<String, String> properties = Map.of(
                Constants.FRAMEWORK_STORAGE, storage.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT,
                // the test talks to the service through the lem.api classes on its own class path
                Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                "lem.api.backend;version=\"1.3.0\",lem.api.model;version=\"1.0.0\""); // as lem.api exports them (package-info @Version)
        Framework framework = new FrameworkFactory().newFramework(properties);
        framework.start();
        try {
            BundleContext context = framework.getBundleContext();
            List<Bundle> bundles = new ArrayList<>();
            for (String key : List.of("lem.it.function", "lem.it.promise", "lem.it.component", "lem.it.scr",
                    "lem.it.onnxruntime", "lem.it.djl", "lem.it.bundle")) {
                bundles.add(context.installBundle(location(key)));
            }
            for (Bundle bundle : bundles) {
                bundle.start();
            }
            Bundle library = bundles.get(bundles.size() - 2);
            Bundle backendBundle = bundles.get(bundles.size() - 1);
            assertEquals("lem.djl", library.getSymbolicName());
            assertEquals(Bundle.ACTIVE, backendBundle.getState());
            BundleRevision libraryRevision = library.adapt(BundleRevision.class);

            // a local folder with a tokenizer.json: the tokenizers native library must load from lem.djl
            Path folder = storage.resolve("tiny-llama");
            TinyCheckpoint.random(TinyCheckpoint.llamaConfig("llama"), 4).write(folder);
            TinyCheckpoint.writeWordLevelTokenizer(folder, 64);
            // an ONNX export: ONNX Runtime's natives must load from lem.onnxruntime, and stay usable across updates
            Path onnx = OnnxFixture.write(storage.resolve("onnx-fixture"), 4).onnxFolder;

            ServiceTracker<InferenceBackend, InferenceBackend> tracker = new ServiceTracker<>(context,
                    context.createFilter("(&(objectClass=" + InferenceBackend.class.getName() + ")("
                            + InferenceBackend.NAME + "=djl))"), null);
            tracker.open();
            InferenceBackend first = nextBackend(tracker, null);
            assertEquals("djl", first.info().name());
            // the service comes from the bundle's own class loader, not from this test's class path
            assertNotSame(DjlBundleIT.class.getClassLoader(), first.getClass().getClassLoader());
            generatesFromIdsAndText(first, folder);
            generatesFromOnnx(first, onnx);
            // the runtime finds the validation hook on the service object it gets from the registry
            assertTrue(first instanceof BackendValidation, "the djl service also implements BackendValidation");
            ValidationReport unknown = ((BackendValidation) first).validate(
                    new ModelSpec("synthetic", "gpt2small", Precision.FLOAT32, "none", 0, Map.of()),
                    new BackendSettings("cpu", BatchingMode.STATIC, 1, Map.of()));
            assertTrue(unknown.hasErrors() && unknown.findings().get(0).candidates().contains("gpt2-small"),
                    unknown.toString());

            // a new revision of the backend from its jar, as FileInstall does when plugins/ changes
            backendBundle.update();
            refresh(framework, backendBundle);
            InferenceBackend updated = nextBackend(tracker, first);
            assertNotSame(first.getClass().getClassLoader(), updated.getClass().getClassLoader());
            generatesFromIdsAndText(updated, folder);
            generatesFromOnnx(updated, onnx);

            // removed and dropped in again: a new bundle id, the same loaded natives
            long removedId = backendBundle.getBundleId();
            backendBundle.uninstall();
            refresh(framework, backendBundle);
            Bundle reinstalled = context.installBundle(location("lem.it.bundle"));
            reinstalled.start();
            assertNotEquals(removedId, reinstalled.getBundleId());
            InferenceBackend again = nextBackend(tracker, updated);
            assertNotSame(updated.getClass().getClassLoader(), again.getClass().getClassLoader());
            generatesFromIdsAndText(again, folder);
            generatesFromOnnx(again, onnx);
            assertSame(libraryRevision, library.adapt(BundleRevision.class), "lem.djl must not have been replaced");

            // the one case that still needs a restart: a new revision of the library that holds libtorch
            library.update();
            refresh(framework, library);
            InferenceBackend afterLibraryUpdate = nextBackend(tracker, again);
            BackendException refused = assertThrows(BackendException.class,
                    () -> afterLibraryUpdate.open(Fixtures.synthetic("llama-tiny"), Fixtures.batches(1)));
            assertTrue(refused.getMessage().contains("lem.djl") && refused.getMessage().contains("restarts"),
                    refused.getMessage());
            tracker.close();
        } finally {
            framework.stop();
            framework.waitForStop(30_000);
        }
    }

    private static String location(String key) {
        String path = System.getProperty(key);
        assertNotNull(path, "system property " + key);
        return Path.of(path).toUri().toString();
    }

    private static void generatesFromIdsAndText(InferenceBackend backend, Path folder) throws Exception {
        try (LoadedModel model = backend.open(Fixtures.synthetic("llama-tiny"), Fixtures.batches(2))) {
            Fixtures.Recorder recorder = new Fixtures.Recorder();
            GenerationResult result = model.generate(Fixtures.prompts(2, 8, 2048, 3), Fixtures.greedy(4), recorder);
            assertEquals(2, result.requests().size());
            assertEquals(8, recorder.tokens.size());
            assertTrue(result.operations().orElseThrow().totalFlops() > 0);
        }
        ModelSpec local = new ModelSpec("local", folder.toString(), Precision.FLOAT32, "none", 0, Map.of());
        try (LoadedModel model = backend.open(local, Fixtures.batches(1))) {
            GenerationResult result = model.generate(
                    List.of(new GenerationRequest("text", Prompt.ofText("w1 w2 w3"), 0)), Fixtures.greedy(3),
                    new Fixtures.Recorder());
            assertEquals(3, result.requests().get(0).inputTokens());
            assertEquals(3, result.requests().get(0).outputTokens());
            // the scoring contract crosses the bundle boundary too: perplexity of a text, by the tokenizer
            SequenceScorer scorer = assertInstanceOf(SequenceScorer.class, model);
            assertEquals(1, scorer.logProbabilities(List.of(scorer.encode("w1 w2"))).get(0).length);
        }
    }

    private static void generatesFromOnnx(InferenceBackend backend, Path folder) throws Exception {
        ModelSpec spec = new ModelSpec("local", folder.toString(), Precision.FLOAT32, "none", 0, Map.of());
        try (LoadedModel model = backend.open(spec, Fixtures.batches(2))) {
            GenerationResult result = model.generate(
                    List.of(new GenerationRequest("text", Prompt.ofText("w1 w2 w3"), 0)), Fixtures.greedy(3),
                    new Fixtures.Recorder());
            assertEquals(3, result.requests().get(0).outputTokens());
            assertTrue(result.operations().orElseThrow().counts().contains("walking the ONNX graph"),
                    result.operations().orElseThrow().counts());
        }
    }

    /** Waits for a "djl" backend service other than {@code previous} (a new component instance). */
    private static InferenceBackend nextBackend(ServiceTracker<InferenceBackend, InferenceBackend> tracker,
            InferenceBackend previous) throws InterruptedException {
        long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        InferenceBackend found = null;
        while ((found == null || found == previous) && System.nanoTime() < deadlineNanos) {
            found = tracker.waitForService(1000);
            if (found == previous) {
                Thread.sleep(50);
            }
        }
        assertNotNull(found, "no InferenceBackend with lem.backend.name=djl");
        assertNotSame(previous, found, "the djl backend service was not replaced");
        return found;
    }

    /** Refreshes as FileInstall does after an update or uninstall, and waits until it is done. */
    private static void refresh(Framework framework, Bundle bundle) throws InterruptedException {
        CountDownLatch refreshed = new CountDownLatch(1);
        framework.adapt(FrameworkWiring.class).refreshBundles(List.of(bundle), event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                refreshed.countDown();
            }
        });
        assertTrue(refreshed.await(60, TimeUnit.SECONDS), "refresh of " + bundle.getSymbolicName());
    }
}
