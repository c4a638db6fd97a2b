package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.LoadedModel;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GenerationTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-tiny", "gpt2-tiny", "qwen2-tiny", "mistral-tiny"})
    void everyTinyPresetGeneratesEveryTokenWithOrderedTimestamps(String preset) throws Exception {
        DjlBackend backend = Fixtures.backend();
        try (LoadedModel model = backend.open(Fixtures.synthetic(preset), Fixtures.batches(4))) {
            List<GenerationRequest> requests = Fixtures.prompts(8, 32, 2048, 1);
            Fixtures.Recorder recorder = new Fixtures.Recorder();
            long before = System.nanoTime();
            GenerationResult result = model.generate(requests, Fixtures.greedy(32), recorder);
            assertEquals(8, result.requests().size());
            for (RequestResult r : result.requests()) {
                assertEquals(32, r.inputTokens());
                assertEquals(32, r.outputTokens());
                assertTrue(r.startNanos() >= before && r.startNanos() < r.firstTokenNanos()
                        && r.firstTokenNanos() <= r.endNanos(), r.toString());
                List<TokenEvent> events = recorder.of(r.requestId());
                assertEquals(32, events.size());
                for (int i = 0; i < events.size(); i++) {
                    assertEquals(i, events.get(i).index());
                    if (i > 0) {
                        assertTrue(events.get(i).timestampNanos() > events.get(i - 1).timestampNanos());
                    }
                }
                assertEquals(r.firstTokenNanos(), events.get(0).timestampNanos());
                assertEquals(r.endNanos(), events.get(31).timestampNanos());
            }
            assertTrue(result.operations().orElseThrow().prefillFlops() > 0);
            assertTrue(result.operations().orElseThrow().decodeFlops() > 0);
        }
    }
}
