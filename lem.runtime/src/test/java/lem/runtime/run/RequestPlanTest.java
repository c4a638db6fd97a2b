package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import lem.api.backend.GenerationRequest;
import lem.api.backend.Prompt;
import lem.api.model.ModelDescription;
import lem.api.model.Precision;
import lem.runtime.config.ConfigLoader;
import lem.runtime.config.ExperimentConfig;
import lem.runtime.config.LoadedConfig;
import lem.runtime.config.PromptFileReader.InvalidPromptFileException;

class RequestPlanTest {
    @TempDir
    Path dir;

    private ExperimentConfig config(String yaml) throws IOException {
        Path file = dir.resolve("plan.yaml");
        Files.writeString(file, yaml);
        LoadedConfig loaded = ConfigLoader.load(file, List.of());
        assertTrue(loaded.valid(), () -> String.valueOf(loaded.problems()));
        return loaded.config();
    }

    @Test
    void fixedLengthSyntheticPromptsHaveExactlyThatManyIdsInsideTheVocabulary() throws Exception {
        List<GenerationRequest> requests = RequestPlan.build(
                config("prompts: {source: synthetic, count: 20, synthetic: {input_tokens: 17, seed: 3}}"), 50, "r");
        assertEquals(20, requests.size());
        for (GenerationRequest r : requests) {
            assertEquals(17, r.prompt().tokenIds().size());
            assertTrue(r.prompt().tokenIds().stream().allMatch(id -> id >= 0 && id < 50), r.prompt().tokenIds().toString());
            assertEquals(0, r.arrivalOffsetNanos(), "traffic none: all at once");
        }
        assertEquals("r0", requests.get(0).id());
        assertEquals("r19", requests.get(19).id());
    }

    @Test
    void rangedSyntheticPromptsStayInTheRangeAndUseIt() throws Exception {
        List<Prompt> prompts = RequestPlan.prompts(config(
                "prompts: {source: synthetic, count: 200, synthetic: {input_tokens: 4, input_tokens_max: 9, seed: 5}}")
                .prompts(), 1000);
        int[] lengths = prompts.stream().mapToInt(p -> p.tokenIds().size()).toArray();
        assertTrue(Arrays.stream(lengths).allMatch(n -> n >= 4 && n <= 9), Arrays.toString(lengths));
        // 200 draws from 6 lengths: both ends of the range occur
        assertEquals(4, Arrays.stream(lengths).min().getAsInt());
        assertEquals(9, Arrays.stream(lengths).max().getAsInt());
    }

    @Test
    void theSameSeedGivesTheSamePromptsAndAnotherSeedOthers() throws Exception {
        String yaml = "prompts: {source: synthetic, count: 5, synthetic: {input_tokens: 8, input_tokens_max: 16, seed: %d}}";
        List<Prompt> a = RequestPlan.prompts(config(yaml.formatted(11)).prompts(), 32000);
        List<Prompt> b = RequestPlan.prompts(config(yaml.formatted(11)).prompts(), 32000);
        List<Prompt> c = RequestPlan.prompts(config(yaml.formatted(12)).prompts(), 32000);
        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    @Test
    void inlinePromptsRepeatInOrderUpToTheCount() throws Exception {
        List<Prompt> prompts = RequestPlan.prompts(config("prompts: {source: inline, inline: [alpha, beta, gamma], count: 7}")
                .prompts(), 100);
        assertEquals(List.of("alpha", "beta", "gamma", "alpha", "beta", "gamma", "alpha"),
                prompts.stream().map(Prompt::text).toList());
    }

    @Test
    void filePromptsRepeatToo() throws Exception {
        Files.writeString(dir.resolve("prompts.txt"), "first prompt\nsecond prompt\n");
        List<Prompt> prompts = RequestPlan.prompts(config("prompts: {source: file, file: prompts.txt, count: 3}").prompts(), 100);
        assertEquals(List.of("first prompt", "second prompt", "first prompt"), prompts.stream().map(Prompt::text).toList());
    }

    @Test
    void aPromptFileThatWentAwayAfterValidationIsAProblemNotACrash() throws Exception {
        Files.writeString(dir.resolve("prompts.txt"), "only prompt\n");
        ExperimentConfig config = config("prompts: {source: file, file: prompts.txt, count: 3}");
        Files.delete(dir.resolve("prompts.txt"));
        InvalidPromptFileException e = assertThrows(InvalidPromptFileException.class,
                () -> RequestPlan.prompts(config.prompts(), 100));
        assertTrue(e.getMessage().contains("prompts.txt"), e.getMessage());
    }

    @Test
    void constantTrafficSendsRequestIEveryOneOverQpsSeconds() throws Exception {
        long[] offsets = RequestPlan.arrivalOffsetsNanos(config("traffic: {pattern: constant, target_qps: 4}").traffic(), 5);
        assertEquals(List.of(0L, 250_000_000L, 500_000_000L, 750_000_000L, 1_000_000_000L),
                Arrays.stream(offsets).boxed().toList());
    }

    @Test
    void poissonTrafficIsNonDecreasingReproducibleAndHasTheTargetMeanGap() throws Exception {
        ExperimentConfig config = config("traffic: {pattern: poisson, target_qps: 50, seed: 2024}");
        int n = 2000;
        long[] offsets = RequestPlan.arrivalOffsetsNanos(config.traffic(), n);
        assertEquals(0, offsets[0]);
        for (int i = 1; i < n; i++) {
            assertTrue(offsets[i] >= offsets[i - 1], "offset " + i + " goes back in time");
        }
        assertTrue(Arrays.equals(offsets, RequestPlan.arrivalOffsetsNanos(config.traffic(), n)));
        long[] otherSeed = RequestPlan.arrivalOffsetsNanos(
                config("traffic: {pattern: poisson, target_qps: 50, seed: 2025}").traffic(), n);
        assertTrue(!Arrays.equals(offsets, otherSeed));

        // fixed seed, so this is one exact number: 1999 exponential gaps of mean 20 ms
        double meanGapSeconds = offsets[n - 1] / 1e9 / (n - 1);
        assertEquals(1.0 / 50, meanGapSeconds, 0.1 / 50);
        // and the gaps are not all alike, as they would be for constant traffic
        long distinct = java.util.stream.IntStream.range(1, n).mapToLong(i -> offsets[i] - offsets[i - 1]).distinct().count();
        assertTrue(distinct > n / 2);
    }

    @Test
    void vocabularySizeComesFromTheModelConfigOrFallsBackToByteIds() {
        ModelDescription withVocabulary = new ModelDescription("m", "gpt2", 1, Precision.FLOAT32, Precision.FLOAT32,
                "none", java.util.Map.of("vocab_size", 50257));
        ModelDescription server = new ModelDescription("m", null, 0, Precision.FLOAT32, Precision.FLOAT32, null, null);
        assertEquals(50257, RequestPlan.vocabularySize(withVocabulary));
        assertEquals(256, RequestPlan.vocabularySize(server));
    }
}
