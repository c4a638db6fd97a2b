package lem.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import lem.api.backend.DecodeSettings;
import org.junit.jupiter.api.Test;

class TokenSamplerTest {

    private static final float[] LOGITS = {1.0f, 3.0f, 2.9f, -1.0f, 0.5f};

    private static DecodeSettings sampling(double temperature, int topK, double topP, double penalty) {
        return new DecodeSettings(temperature, topK, topP, penalty, 99, 1, 1);
    }

    @Test
    void greedyTakesTheLargestLogit() {
        assertEquals(1, new TokenSampler(sampling(0, 0, 1, 1), 1, 5).next(LOGITS, 0));
    }

    @Test
    void repetitionPenaltyMovesGreedyAwayFromASeenToken() {
        TokenSampler sampler = new TokenSampler(sampling(0, 0, 1, 1.5), 1, 5);
        sampler.observe(1);
        assertEquals(2, sampler.next(LOGITS, 0), "3.0 / 1.5 = 2.0 < 2.9");
    }

    @Test
    void topKAndTopPRestrictTheDrawToTheLeadingTokens() {
        Set<Integer> topTwo = new HashSet<>();
        Set<Integer> nucleus = new HashSet<>();
        Set<Integer> all = new HashSet<>();
        for (long seed = 0; seed < 400; seed++) {
            topTwo.add(new TokenSampler(sampling(2.0, 2, 1, 1), seed, 5).next(LOGITS, 0));
            nucleus.add(new TokenSampler(sampling(1.0, 0, 0.01, 1), seed, 5).next(LOGITS, 0));
            all.add(new TokenSampler(sampling(5.0, 0, 1, 1), seed, 5).next(LOGITS, 0));
        }
        assertEquals(Set.of(1, 2), topTwo);
        assertEquals(Set.of(1), nucleus, "top_p 0.01 keeps only the most likely token");
        assertEquals(5, all.size(), "a high temperature reaches every token");
    }

    @Test
    void theSameSeedDrawsTheSameTokensAndTheOffsetSelectsTheRow() {
        float[] twoRows = new float[10];
        System.arraycopy(LOGITS, 0, twoRows, 5, 5);
        for (long seed = 0; seed < 50; seed++) {
            int a = new TokenSampler(sampling(1.0, 0, 0.95, 1), seed, 5).next(LOGITS, 0);
            int b = new TokenSampler(sampling(1.0, 0, 0.95, 1), seed, 5).next(twoRows, 5);
            assertEquals(a, b);
            assertTrue(a >= 0 && a < 5);
        }
    }
}
