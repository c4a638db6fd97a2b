package lem.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import lem.report.live.LiveStatus;
import lem.runtime.command.CommandFailure;
import lem.runtime.results.ResultsJson;

/** {@code lem serve} over real HTTP on the loopback address, against a results folder written by the runtime. */
class ServeTest {
    static final Path WORK = Path.of("target", "serve-test").toAbsolutePath();
    static final Path RESULTS = WORK.resolve("results");
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    ReportCommands commands;
    String previousDir;

    @BeforeEach
    void results() throws IOException {
        ReportTest.deleteTree(WORK);
        ResultFolders.experiment(RESULTS, "exp-a", 2, 3, 40, 10, 8, 250, 180);
        ResultFolders.experiment(RESULTS, "exp-b", 2, 3, 40, 12, 8, 250, 190);
        ResultFolders.campaign(RESULTS, "camp-1", "sweep", List.of("exp-a", "exp-b"));
        previousDir = System.getProperty("user.dir");
        System.setProperty("user.dir", WORK.toString());
        commands = new ReportCommands(false);
    }

    @AfterEach
    void stop() {
        commands.deactivate();
        System.setProperty("user.dir", previousDir);
    }

    HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheIndexReportsAndTheLiveStateOnLoopbackUntilStopped() throws Exception {
        assertEquals("not serving (lem serve starts it)", commands.serve("status"));
        String started = commands.serve("--port", "0");
        String url = commands.server().url();
        assertTrue(url.startsWith("http://127.0.0.1:"), url);
        assertTrue(started.contains("on " + url) && started.contains(url + "live") && !started.contains("warning"), started);
        assertTrue(commands.serve("status").startsWith("serving " + RESULTS + " on " + url), commands.serve("status"));
        CommandFailure twice = assertThrows(CommandFailure.class, () -> commands.serve("--port", "0"));
        assertTrue(twice.getMessage().contains("already serving on " + url));

        HttpResponse<String> index = get(url);
        assertEquals(200, index.statusCode());
        assertTrue(index.body().contains("<td>exp-a</td>") && index.body().contains("<td>camp-1</td>"), index.body());
        assertTrue(index.body().contains("href=\"/report/camp-1\""), index.body());

        // a report made on request lands under results/reports/<id>/ and is served from there
        HttpResponse<String> report = get(url + "report/camp-1");
        assertEquals(200, report.statusCode());
        assertEquals(URI.create(url + "reports/camp-1/report.html"), report.uri());
        assertTrue(report.body().contains("<h1>lem report: campaign camp-1</h1>"), report.body());
        assertTrue(Files.isRegularFile(RESULTS.resolve("reports/camp-1/pareto.svg")));
        HttpResponse<String> svg = get(url + "reports/camp-1/pareto.svg");
        assertEquals("image/svg+xml", svg.headers().firstValue("Content-Type").orElse(""));
        assertTrue(get(url).body().contains("href=\"/reports/camp-1/report.html\""), "the index links the report now");

        // nothing outside the reports folder, nothing unknown, nothing but GET
        assertEquals(404, get(url + "reports/../exp-a/result.json").statusCode());
        assertEquals(404, get(url + "reports/%2e%2e/result.json").statusCode());
        assertEquals(404, get(url + "reports/camp-1/nothing.svg").statusCode());
        HttpResponse<String> missing = get(url + "report/no-such-id");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("no experiment or campaign &#39;no-such-id&#39;"), missing.body());
        assertEquals(405, http.send(HttpRequest.newBuilder(URI.create(url + "live.json")).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode());

        HttpResponse<String> live = get(url + "live");
        assertTrue(live.body().contains("fetch(\"/live.json\""), "the page polls live.json");
        JsonNode state = new ObjectMapper().readTree(get(url + "live.json").body());
        assertEquals(0, state.path("running").size(), "nothing runs");

        assertEquals("stopped serving " + url, commands.serve("stop"));
        assertThrows(ConnectException.class, () -> get(url));
        assertEquals("lem serve: not serving", commands.serve("stop"));
    }

    @Test
    void aNonLoopbackBindOnlyWhenAskedAndSaidSo() throws Exception {
        String started = commands.serve("--port", "0", "--bind", "0.0.0.0");
        assertTrue(started.contains("warning: bound to 0.0.0.0 as --bind asked, not to the loopback address"), started);
        commands.serve("stop");
        CommandFailure port = assertThrows(CommandFailure.class, () -> commands.serve("--port", "0.0.0.0:80"));
        assertTrue(port.getMessage().contains("--port '0.0.0.0:80' is not a port number") && port.getMessage().contains("--bind"),
                port.getMessage());
        CommandFailure host = assertThrows(CommandFailure.class, () -> commands.serve("--bind", "no-such-host.invalid"));
        assertTrue(host.getMessage().contains("--bind 'no-such-host.invalid' is not an address"), host.getMessage());
        assertEquals(null, commands.server());
    }

    @Test
    void liveStateHasTheRunningExperimentItsCampaignRunAndItsLatestPower() throws Exception {
        long now = System.currentTimeMillis();
        // what the runtime's LiveStatusFile writes during exp-a's cycle 2 (lem.itest checks the real one)
        ResultsJson.writeAtomically(RESULTS.resolve("exp-a/live.json"), Map.of("experiment_id", "exp-a", "running", true,
                "cycle", 2, "cycles", 2, "requests_done", 1, "requests_total", 3, "updated_epoch_ms", now - 500));
        ResultsJson.writeAtomically(RESULTS.resolve("exp-b/live.json"), Map.of("experiment_id", "exp-b", "running", true,
                "cycle", 1, "updated_epoch_ms", now - LiveStatus.STALE_MILLIS - 1)); // a run killed with -9
        Path record = RESULTS.resolve("campaigns/camp-1/runs/run_0.json");
        Files.writeString(record, Files.readString(record).replace("\"COMPLETE\"", "\"RUNNING\""));

        JsonNode state = new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(LiveStatus.of(RESULTS, now)));
        assertEquals(1, state.path("running").size(), state.toString());
        JsonNode a = state.path("running").get(0);
        assertEquals("exp-a", a.path("experiment_id").asText());
        assertEquals(0.5, a.path("age_s").asDouble(), 1e-9);
        assertEquals("camp-1", a.path("campaign").path("id").asText());
        assertEquals(1, a.path("campaign").path("run").asInt());
        assertEquals(2, a.path("campaign").path("runs").asInt());
        JsonNode gpu = a.path("devices").get(0);
        assertEquals("GPU-0", gpu.path("device_id").asText());
        assertEquals("nvml", gpu.path("source").asText());
        List<String> lines = Files.readAllLines(RESULTS.resolve("exp-a/timeseries/cycle_2_process_0.csv"));
        String last = lines.get(lines.size() - 1);
        assertEquals(Double.parseDouble(last.split(",")[3]), gpu.path("watts").get(gpu.path("watts").size() - 1).asDouble());
        assertEquals(0.0, gpu.path("t_s").get(gpu.path("t_s").size() - 1).asDouble(), "times count back from the newest");
        assertEquals(Math.min(LiveStatus.SAMPLES_PER_DEVICE, lines.size() - 1), gpu.path("watts").size());
        assertFalse(gpu.path("t_s").get(0).asDouble() > 0);
    }
}
