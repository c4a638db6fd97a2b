package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import lem.api.backend.InferenceBackend;
import lem.runtime.command.ResultTables;
import lem.runtime.command.TableFormat;
import lem.runtime.config.ConfigLoader;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.LoadedConfig;
import lem.runtime.plugin.PluginService;
import lem.runtime.results.ResultsDirectory;
import lem.runtime.results.ResultsJson;
import lem.runtime.results.TidyTable;

/**
 * {@code quality:}: perplexity of the evaluation text and of the model's own outputs, scored after
 * the last measurement window, on the scripted backend whose log-probabilities depend on the token
 * alone, so that the expected figures are sums the test works out itself.
 */
class QualityRunTest {
    @TempDir
    Path dir;

    /** 150 tokens "w0 w37 w74 ...": longer than the scripted model's 64 positions. */
    private static final int[] TEXT_IDS = IntStream.range(0, 150).map(i -> i * 37 % 1000).toArray();

    private Path evalText() throws IOException {
        String text = IntStream.of(TEXT_IDS).mapToObj(id -> "w" + id).collect(Collectors.joining(" ")) + "\n";
        return Files.writeString(dir.resolve("eval.txt"), text, StandardCharsets.UTF_8);
    }

    private Path config(String quality) throws IOException {
        return UnmeteredRunTest.configFile(dir, "[meter]", "baseline: {enabled: false}\nquality: " + quality + "\n");
    }

    private RunOutcome run(LoadedConfig loaded, ScriptedBackend backend) throws IOException {
        assertTrue(loaded.valid(), () -> String.valueOf(loaded.problems()));
        RunServices services = new RunServices(new PluginService<>(ScriptedBackend.NAME, "b", "1", "ACTIVE", 0,
                (InferenceBackend) backend), List.of(ScriptedRuns.plugin("meter", ScriptedRuns.meter(100))), List.of(),
                Map.of());
        return new ExperimentRunner(loaded, services, new BaselineMeter(), RunProgress.SILENT,
                new EnvironmentCapture(ScriptedRuns.fakeRoot(dir.resolve("root"))), dir).run();
    }

    private static ScriptedBackend scoring() {
        ScriptedBackend backend = new ScriptedBackend();
        backend.scores = true;
        backend.ttftNanos = 1_000_000L;
        backend.itlNanos = 1_000_000L;
        return backend;
    }

    /** Mean negative log-likelihood of the tokens at {@code scored} of {@link #TEXT_IDS}. */
    private static double meanNll(IntStream scored) {
        return -scored.mapToDouble(i -> ScriptedBackend.logProbability(TEXT_IDS[i])).average().orElseThrow();
    }

    @Test
    void perplexityOfTheTextAndOfTheOutputsIsScoredAfterTheLastWindowAndShownEverywhere() throws Exception {
        Path text = evalText();
        ScriptedBackend backend = scoring();
        RunOutcome outcome = run(ConfigLoader.load(config("{eval_text: eval.txt, generated: true}"), List.of()),
                backend);
        assertTrue(outcome.complete(), outcome.reason());
        JsonNode result = ResultsJson.read(outcome.directory().resolve(ResultsDirectory.RESULT_FILE), JsonNode.class);
        JsonNode eval = result.at("/quality/eval_text");

        // non-overlapping windows of the model's 64 positions: tokens 0, 64 and 128 open a window, unscored
        double expected = meanNll(IntStream.range(0, 150).filter(i -> i % 64 != 0));
        assertEquals(147, eval.path("tokens_scored").asLong());
        assertEquals(expected, eval.path("mean_nll_nats").asDouble(), 1e-12);
        assertEquals(Math.exp(expected), eval.path("perplexity").asDouble(), 1e-9);
        assertTrue(eval.path("method").asText().startsWith("non-overlapping windows of 64 tokens"), eval.toString());
        assertEquals(text.toString(), eval.path("file").asText());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(text))),
                eval.path("sha256").asText());

        // the outputs of the last cycle: 2 requests of 4 tokens, prompts not counted
        JsonNode generated = result.at("/quality/generated");
        double outputsNll = -IntStream.range(0, 4).mapToDouble(i -> ScriptedBackend.logProbability(
                ScriptedBackend.outputToken(i))).average().orElseThrow();
        assertEquals(8, generated.path("tokens_scored").asLong());
        assertEquals(outputsNll, generated.path("mean_nll_nats").asDouble(), 1e-12);
        assertTrue(generated.path("method").asText().contains("only the output tokens"), generated.toString());
        List<int[]> outputSequences = backend.scored.stream().filter(s -> s.length == 8 + 4).toList();
        assertEquals(2, outputSequences.size(), "each request scored as its 8 prompt tokens + 4 outputs");

        // scoring began after every cycle's window closed, so no measured energy paid for it
        long lastWindowEnd = 0;
        for (int cycle = 1; cycle <= 2; cycle++) {
            JsonNode raw = ResultsJson.read(outcome.directory().resolve(ResultsDirectory.rawPath(cycle, 0)),
                    JsonNode.class);
            lastWindowEnd = Math.max(lastWindowEnd, raw.at("/window/end_nanos").asLong());
        }
        assertTrue(result.at("/quality/started_nanos").asLong() >= lastWindowEnd);
        for (long call : backend.scoreCallNanos) {
            assertTrue(call > lastWindowEnd, "a scoring call at " + call + " before the window's end " + lastWindowEnd);
        }
        assertEquals(2, result.path("cycles_measured").asInt());

        String summary = TableFormat.render(ResultTables.summary(outcome.result(), "complete", "here"));
        assertTrue(summary.lines().anyMatch(l -> l.startsWith("perplexity, eval text")
                && l.contains("147 tokens")), summary);
        assertTrue(summary.contains("perplexity, own outputs"), summary);

        TidyTable.refresh(outcome.directory().getParent(), outcome.experimentId());
        List<String> lines = Files.readAllLines(outcome.directory().getParent().resolve(TidyTable.EXPERIMENTS_FILE));
        List<String> header = List.of(lines.get(0).split(",", -1));
        List<String> row = List.of(lines.get(1).split(",", -1));
        assertEquals(Math.exp(expected), Double.parseDouble(row.get(header.indexOf("perplexity_eval"))), 1e-6);
        assertEquals(Math.exp(outputsNll), Double.parseDouble(row.get(header.indexOf("perplexity_generated"))), 1e-6);
    }

    @Test
    void aStrideScoresEveryTokenAfterTheFirstOnceAndMaxTokensCutsTheText() throws Exception {
        evalText();
        RunOutcome outcome = run(ConfigLoader.load(config("{eval_text: eval.txt, stride: 32}"), List.of()), scoring());
        JsonNode eval = ResultsJson.read(outcome.directory().resolve(ResultsDirectory.RESULT_FILE), JsonNode.class)
                .at("/quality/eval_text");
        assertEquals(149, eval.path("tokens_scored").asLong());
        assertEquals(meanNll(IntStream.range(1, 150)), eval.path("mean_nll_nats").asDouble(), 1e-12);
        assertTrue(eval.path("method").asText().startsWith("sliding windows of 64 tokens every 32"), eval.toString());

        RunOutcome capped = run(ConfigLoader.load(config("{eval_text: eval.txt, max_tokens: 100, window: 50}"),
                List.of()), scoring());
        JsonNode cut = ResultsJson.read(capped.directory().resolve(ResultsDirectory.RESULT_FILE), JsonNode.class)
                .at("/quality/eval_text");
        assertEquals(98, cut.path("tokens_scored").asLong(), "two windows of 50, each without its first token");
        assertEquals(meanNll(IntStream.range(0, 100).filter(i -> i % 50 != 0)), cut.path("mean_nll_nats").asDouble(),
                1e-12);
        assertTrue(cut.path("method").asText().contains("100 of the text's 150 tokens"), cut.toString());
    }

    @Test
    void maxTokensCapsTheOutputsScored() throws Exception {
        RunOutcome outcome = run(ConfigLoader.load(config("{generated: true, max_tokens: 6}"), List.of()), scoring());
        JsonNode generated = ResultsJson.read(outcome.directory().resolve(ResultsDirectory.RESULT_FILE),
                JsonNode.class).at("/quality/generated");
        assertEquals(6, generated.path("tokens_scored").asLong(), "4 of the first request, 2 of the second");
        double expected = -(IntStream.range(0, 4).mapToDouble(i -> ScriptedBackend.logProbability(
                ScriptedBackend.outputToken(i))).sum() + ScriptedBackend.logProbability(ScriptedBackend.outputToken(0))
                + ScriptedBackend.logProbability(ScriptedBackend.outputToken(1))) / 6;
        assertEquals(expected, generated.path("mean_nll_nats").asDouble(), 1e-12);
        assertTrue(generated.path("method").asText().contains("capped at quality.max_tokens = 6"), generated.toString());
    }

    @Test
    void aMissingEvalTextIsRefusedBeforeTheRunNamingTheKeyAndTheFile() throws IOException {
        LoadedConfig loaded = ConfigLoader.load(config("{eval_text: missing.txt}"), List.of());
        assertEquals(1, loaded.problems().size(), String.valueOf(loaded.problems()));
        ConfigProblem problem = loaded.problems().get(0);
        assertEquals("quality.eval_text", problem.keyPath());
        assertTrue(problem.message().contains(dir.resolve("missing.txt").toString())
                && problem.message().contains("not found"), problem.message());

        LoadedConfig stride = ConfigLoader.load(config("{window: 16, stride: 17}"), List.of());
        assertEquals("quality.stride", stride.problems().get(0).keyPath());
        assertTrue(stride.problems().get(0).message().contains("<= quality.window = 16"),
                stride.problems().get(0).message());
    }

    @Test
    void anEvalTextGoneByScoringTimeLosesNothingMeasured() throws Exception {
        Path text = evalText();
        LoadedConfig loaded = ConfigLoader.load(config("{eval_text: eval.txt, generated: true}"), List.of());
        Files.delete(text); // after the config was checked, before the run scores it
        RunOutcome outcome = run(loaded, scoring());
        assertTrue(outcome.complete(), outcome.reason());
        JsonNode result = ResultsJson.read(outcome.directory().resolve(ResultsDirectory.RESULT_FILE), JsonNode.class);
        assertEquals(2, result.path("cycles_measured").asInt(), "both cycles kept");
        assertTrue(result.at("/overall/output_tokens_per_second").asDouble() > 0);
        JsonNode eval = result.at("/quality/eval_text");
        assertTrue(eval.path("perplexity").isNull());
        String error = eval.path("error").asText();
        assertTrue(error.startsWith("quality.eval_text: '" + text + "'") && error.contains("not found"), error);
        assertFalse(result.at("/quality/generated/perplexity").isNull(), "the outputs are still scored");
        String summary = TableFormat.render(ResultTables.summary(outcome.result(), "complete", "here"));
        assertTrue(summary.lines().anyMatch(l -> l.startsWith("perplexity, eval text") && l.contains("quality.eval_text:"))
                && summary.contains("evaluation text not found"), summary);
    }

    @Test
    void aBackendThatCannotScoreGetsANoteNotAFailure() throws Exception {
        evalText();
        RunOutcome outcome = run(ConfigLoader.load(config("{eval_text: eval.txt}"), List.of()), new ScriptedBackend());
        assertTrue(outcome.complete(), outcome.reason());
        JsonNode quality = ResultsJson.read(outcome.directory().resolve(ResultsDirectory.RESULT_FILE), JsonNode.class)
                .path("quality");
        assertEquals("quality: not supported by scripted (its models cannot score token sequences)",
                quality.path("notes").get(0).asText());
        assertTrue(quality.path("eval_text").isNull());
    }

    @Test
    void withoutAQualitySectionNothingIsScored() throws Exception {
        ScriptedBackend backend = scoring();
        RunOutcome outcome = run(ConfigLoader.load(UnmeteredRunTest.configFile(dir, "[meter]",
                "baseline: {enabled: false}\n"), List.of()),
                backend);
        assertTrue(backend.scored.isEmpty());
        assertNull(outcome.result().quality());
        assertFalse(Files.exists(outcome.directory().resolve("quality.json")));
    }
}
