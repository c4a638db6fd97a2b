package lem.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import lem.report.browser.HeadlessBrowser;

/**
 * {@code lem:serve} in the host during a run of the paced test backend: {@code /live.json} over
 * real HTTP has the run's progress and its meter's power, the real headless browser draws
 * {@code /live} with no console error, and once the run ends {@code lem:report} writes its report,
 * which the server then serves.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class LiveViewTest {
    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 10_000)
    CommandProcessor processor;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theLiveViewFollowsARunAndTheReportIsServedAfterIt(TestInfo test) throws Exception {
        Optional<HeadlessBrowser> browser = HeadlessBrowser.find();
        assertTrue(browser.isPresent(), HeadlessBrowser.EXECUTABLE + " is not on the PATH: run the repository's .ci/deps first");
        Shell shell = new Shell(processor);
        try (ExperimentRuns runs = new ExperimentRuns(context, test.getTestMethod().orElseThrow().getName(),
                ExperimentRuns.pacedBackend().blockingInBatch(1))) {
            String started = shell.run("lem:serve --port 0 --dir " + runs.resultsRoot);
            Matcher m = Pattern.compile("on (http://127\\.0\\.0\\.1:\\d+/) ").matcher(started);
            assertTrue(m.find(), started);
            String url = m.group(1);
            try {
                Path config = runs.write("exp.yaml", runs.config(1));
                CompletableFuture<Shell.Outcome> running = CompletableFuture.supplyAsync(() -> shell.execute("lem:run " + config));
                assertTrue(runs.backend.blocked.await(30, TimeUnit.SECONDS), "cycle 1 started generating");
                String id = runs.onlyExperiment().getFileName().toString();

                JsonNode run = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (System.nanoTime() < deadline) {
                    JsonNode state = json.readTree(get(url + "live.json").body());
                    if (state.path("running").size() == 1 && state.path("running").get(0).path("cycle").asInt() == 1
                            && state.path("running").get(0).path("devices").size() > 0) {
                        run = state.path("running").get(0);
                        break;
                    }
                    Thread.sleep(200);
                }
                assertTrue(run != null, "live.json shows the run measuring within 20 s");
                assertEquals(id, run.path("experiment_id").asText());
                assertEquals(ExperimentRuns.REQUESTS_PER_CYCLE, run.path("requests_total").asInt());
                assertEquals("cycle 1/1", run.path("phase").asText());
                JsonNode device = run.path("devices").get(0);
                assertEquals(SimulatedPowerMeter.DEVICE_ID, device.path("device_id").asText());
                double watts = device.path("watts").get(device.path("watts").size() - 1).asDouble();
                // generation is held mid-batch: the meter reads idle plus load
                assertEquals(SimulatedPowerMeter.IDLE_WATTS + SimulatedPowerMeter.LOAD_WATTS, watts, 1e-9);

                HeadlessBrowser.Output page = browser.get().dumpDom(url + "live", 4000);
                assertEquals(0, page.exitCode(), page.stderr());
                assertEquals(java.util.List.of(), page.consoleLines(), page.stderr());
                String dom = page.stdout();
                assertTrue(dom.contains(id), dom);
                assertTrue(Pattern.compile("cycle 1 of 1; requests \\d+ of " + ExperimentRuns.REQUESTS_PER_CYCLE).matcher(dom).find(), dom);
                assertTrue(dom.contains(SimulatedPowerMeter.DEVICE_ID + " (" + ExperimentRuns.METER + "):"), dom);
                assertEquals(1L, count(dom, "<path[^>]*class=\"mark\""), "the power line: " + dom);
                assertEquals(1L, count(dom, "<rect[^>]*class=\"mark\""), "the progress bar: " + dom);
                Path screenshot = runs.work.resolve("live.png");
                assertEquals(0, browser.get().screenshot(url + "live", screenshot, 1000, 700).exitCode());
                assertTrue(Files.size(screenshot) > 5_000, "screenshot kept at " + screenshot);

                runs.backend.release.countDown();
                Shell.Outcome done = running.get(60, TimeUnit.SECONDS);
                assertFalse(done.failed(), done.transcript());
                assertEquals(0, json.readTree(get(url + "live.json").body()).path("running").size(), "nothing runs any more");
                assertFalse(ExperimentRuns.json(runs.onlyExperiment().resolve("live.json")).path("running").asBoolean());

                String report = shell.run("lem:report " + id + " --dir " + runs.resultsRoot);
                Path html = runs.resultsRoot.resolve("reports").resolve(id).resolve("report.html");
                assertTrue(report.contains("report: " + html), report);
                assertTrue(Files.isRegularFile(html));
                HttpResponse<String> served = get(url + "reports/" + id + "/report.html");
                assertEquals(200, served.statusCode());
                assertTrue(served.body().contains("<h1>lem report: " + id + "</h1>"), served.body());
                assertTrue(get(url).body().contains("href=\"/reports/" + id + "/report.html\""));
            } finally {
                runs.backend.release.countDown();
                String stopped = shell.run("lem:serve stop");
                assertTrue(stopped.contains("stopped serving " + url), stopped);
            }
            assertTrue(shell.run("lem:serve status").contains("not serving"));
        }
    }

    private static long count(String text, String regex) {
        return Pattern.compile(regex).matcher(text).results().count();
    }
}
