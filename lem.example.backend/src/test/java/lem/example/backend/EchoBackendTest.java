package lem.example.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import lem.api.backend.BackendException;
import lem.api.backend.BackendSettings;
import lem.api.backend.BatchingMode;
import lem.api.backend.DecodeSettings;
import lem.api.backend.GenerationListener;
import lem.api.backend.GenerationRequest;
import lem.api.backend.GenerationResult;
import lem.api.backend.LoadedModel;
import lem.api.backend.Prompt;
import lem.api.backend.RequestResult;
import lem.api.backend.TokenEvent;
import lem.api.model.ModelSpec;
import lem.api.model.Precision;

class EchoBackendTest {
    static EchoBackend.Config config(long delayMs) {
        return new EchoBackend.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return EchoBackend.Config.class;
            }

            @Override
            public long token_delay_ms() {
                return delayMs;
            }
        };
    }

    @Test
    void reportsEveryTokenInOrderWithMonotonicTimestamps() throws Exception {
        EchoBackend backend = new EchoBackend(config(1));
        List<TokenEvent> events = new ArrayList<>();
        List<RequestResult> finished = new ArrayList<>();
        GenerationListener listener = new GenerationListener() {
            @Override
            public void requestStarted(String requestId, long timestampNanos) {
            }

            @Override
            public void tokens(TokenEvent event) {
                events.add(event);
            }

            @Override
            public void requestFinished(RequestResult result) {
                finished.add(result);
            }
        };
        try (LoadedModel model = backend.open(new ModelSpec("synthetic", "echo", Precision.FLOAT32, null, 1, Map.of()),
                new BackendSettings("cpu", BatchingMode.STATIC, 1, Map.of()))) {
            GenerationResult result = model.generate(
                    List.of(new GenerationRequest("a", Prompt.ofTokens(List.of(1, 2, 3)), 0),
                            new GenerationRequest("b", Prompt.ofTokens(List.of(4, 5)), 0)),
                    new DecodeSettings(0, 0, 1, 1, 0, 4, 4), listener);
            assertEquals(8, events.size());
            assertEquals(2, finished.size());
            for (int i = 1; i < events.size(); i++) {
                assertTrue(events.get(i).timestampNanos() >= events.get(i - 1).timestampNanos());
            }
            RequestResult a = result.requests().get(0);
            assertEquals(3, a.inputTokens());
            assertEquals(4, a.outputTokens());
            assertTrue(a.firstTokenNanos() - a.startNanos() >= 1_000_000, "first token comes after one delay");
        }
    }

    @Test
    void refusesDevicesItCannotUse() {
        EchoBackend backend = new EchoBackend(config(0));
        BackendException e = assertThrows(BackendException.class,
                () -> backend.open(new ModelSpec("synthetic", "echo", Precision.FLOAT32, null, 1, Map.of()),
                        new BackendSettings("cuda:0", BatchingMode.STATIC, 1, Map.of())));
        assertTrue(e.getMessage().contains("cuda:0"));
    }
}
