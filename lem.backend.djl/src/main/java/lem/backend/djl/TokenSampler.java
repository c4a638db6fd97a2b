package lem.backend.djl;

import java.util.Arrays;
import java.util.SplittableRandom;
import lem.api.backend.DecodeSettings;
import lem.backend.djl.transformer.BatchForward;

/**
 * Chooses the next token of one request from its logits, on the host: repetition penalty, then
 * greedy argmax, or temperature, top-k, top-p and a draw from the request's own seeded stream (so
 * a request samples the same tokens whatever batch it runs in).
 */
final class TokenSampler {

    private final DecodeSettings settings;
    private final SplittableRandom random;
    private final boolean[] seen;

    TokenSampler(DecodeSettings settings, long requestSeed, int vocabSize) {
        this.settings = settings;
        this.random = new SplittableRandom(requestSeed);
        this.seen = new boolean[vocabSize];
    }

    /** Records a prompt or generated token for the repetition penalty. */
    void observe(int tokenId) {
        seen[tokenId] = true;
    }

    /**
     * The next token from {@code logits[offset .. offset + vocab)}; {@code logits} is not modified.
     */
    int next(float[] logits, int offset) {
        int vocab = seen.length;
        // read the row in place; a copy only when the penalty has to change it (once per token and
        // row, a vocabulary-sized allocation would otherwise be the sampler's main cost)
        float[] row = logits;
        int base = offset;
        double penalty = settings.repetitionPenalty();
        if (penalty != 1.0) {
            row = Arrays.copyOfRange(logits, offset, offset + vocab);
            base = 0;
            // the CTRL paper's penalty as Hugging Face applies it: shrink positive logits, grow negative ones
            for (int i = 0; i < vocab; i++) {
                if (seen[i]) {
                    row[i] = (float) (row[i] > 0 ? row[i] / penalty : row[i] * penalty);
                }
            }
        }
        if (settings.greedy()) {
            return BatchForward.largest(row, base, vocab);
        }
        double temperature = settings.temperature();
        int[] order = candidates(row, base, vocab);
        int limit = order.length;
        if (settings.topK() > 0) {
            limit = Math.min(limit, settings.topK());
        }
        double top = row[base + order[0]];
        double[] weights = new double[limit];
        double total = 0;
        for (int i = 0; i < limit; i++) {
            weights[i] = Math.exp((row[base + order[i]] - top) / temperature);
            total += weights[i];
        }
        if (settings.topP() < 1.0) {
            double cumulative = 0;
            int kept = 0;
            while (kept < limit) {
                cumulative += weights[kept] / total;
                kept++;
                if (cumulative >= settings.topP()) {
                    break;
                }
            }
            limit = kept;
            total = 0;
            for (int i = 0; i < limit; i++) {
                total += weights[i];
            }
        }
        double draw = random.nextDouble() * total;
        for (int i = 0; i < limit; i++) {
            draw -= weights[i];
            if (draw < 0) {
                return order[i];
            }
        }
        return order[limit - 1];
    }

    /**
     * Token ids of {@code row[base .. base + vocab)} by logit, highest first (when no top-k/top-p
     * needs an order: the argmax, then the others by id).
     */
    private int[] candidates(float[] row, int base, int vocab) {
        int[] order = new int[vocab];
        if (settings.topK() == 0 && settings.topP() >= 1.0) {
            int best = BatchForward.largest(row, base, vocab);
            order[0] = best;
            for (int i = 0, j = 1; i < vocab; i++) {
                if (i != best) {
                    order[j++] = i;
                }
            }
            return order;
        }
        // sort (sortable float bits, index) pairs as primitives: no boxing for a 50k vocabulary
        long[] keys = new long[vocab];
        for (int i = 0; i < vocab; i++) {
            int bits = Float.floatToIntBits(row[base + i]);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff);
            keys[i] = ((long) sortable << 32) | (i & 0xffffffffL);
        }
        Arrays.sort(keys);
        for (int i = 0; i < vocab; i++) {
            order[i] = (int) keys[vocab - 1 - i];
        }
        return order;
    }

}
