package lem.runtime.run;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import lem.api.backend.GenerationRequest;
import lem.api.backend.Prompt;
import lem.api.model.ModelDescription;
import lem.runtime.config.ExperimentConfig;
import lem.runtime.config.ExperimentConfig.Prompts;
import lem.runtime.config.ExperimentConfig.Traffic;
import lem.runtime.config.PromptFileReader;
import lem.runtime.config.PromptFileReader.InvalidPromptFileException;

/**
 * The requests of one measurement window: their prompts (inline, from a file, or synthetic token
 * ids of controlled length) and their arrival offsets (all at once, constant rate, or Poisson).
 * The same config and seeds always give the same requests.
 */
public final class RequestPlan {
    private RequestPlan() {
    }

    /**
     * @param vocabularySize tokens the model knows, for synthetic prompts (from its config)
     */
    public static List<GenerationRequest> build(ExperimentConfig config, int vocabularySize, String idPrefix)
            throws InvalidPromptFileException {
        List<Prompt> prompts = prompts(config.prompts(), vocabularySize);
        long[] arrivals = arrivalOffsetsNanos(config.traffic(), prompts.size());
        List<GenerationRequest> requests = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            requests.add(new GenerationRequest(idPrefix + i, prompts.get(i), arrivals[i]));
        }
        return requests;
    }

    /** The same requests under new ids ({@code prefix} + the planned id): one plan, sent each cycle. */
    public static List<GenerationRequest> withIdPrefix(List<GenerationRequest> plan, String prefix) {
        return plan.stream().map(r -> new GenerationRequest(prefix + r.id(), r.prompt(), r.arrivalOffsetNanos())).toList();
    }

    static List<Prompt> prompts(Prompts prompts, int vocabularySize) throws InvalidPromptFileException {
        int count = prompts.count();
        List<Prompt> out = new ArrayList<>(count);
        switch (prompts.source()) {
        case INLINE -> repeat(prompts.inline(), count, out);
        case FILE -> repeat(PromptFileReader.read(prompts.file().orElseThrow()), count, out);
        case SYNTHETIC -> {
            var synthetic = prompts.synthetic();
            SplittableRandom random = new SplittableRandom(synthetic.seed());
            for (int i = 0; i < count; i++) {
                int length = synthetic.fixedLength() ? synthetic.inputTokens()
                        : random.nextInt(synthetic.inputTokens(), synthetic.inputTokensMax() + 1);
                List<Integer> ids = new ArrayList<>(length);
                for (int t = 0; t < length; t++) {
                    ids.add(random.nextInt(vocabularySize));
                }
                out.add(Prompt.ofTokens(ids));
            }
        }
        }
        return out;
    }

    private static void repeat(List<String> texts, int count, List<Prompt> out) {
        for (int i = 0; i < count; i++) {
            out.add(Prompt.ofText(texts.get(i % texts.size())));
        }
    }

    /** Offsets from the start of the window: 0 for all, i / qps for constant, exponential gaps for Poisson. */
    static long[] arrivalOffsetsNanos(Traffic traffic, int count) {
        long[] offsets = new long[count];
        switch (traffic.pattern()) {
        case NONE -> {
        }
        case CONSTANT -> {
            double gapNanos = 1e9 / traffic.targetQps().orElseThrow();
            for (int i = 0; i < count; i++) {
                offsets[i] = Math.round(i * gapNanos);
            }
        }
        case POISSON -> {
            SplittableRandom random = new SplittableRandom(traffic.seed());
            double qps = traffic.targetQps().orElseThrow();
            double t = 0;
            for (int i = 0; i < count; i++) {
                offsets[i] = Math.round(t * 1e9);
                // inverse-CDF draw of an exponential gap with mean 1/qps
                t += -Math.log(1.0 - random.nextDouble()) / qps;
            }
        }
        }
        return offsets;
    }

    /** The vocabulary size a model's config states, for synthetic prompts. */
    public static int vocabularySize(ModelDescription model) {
        Object v = model.config().get("vocab_size");
        if (v instanceof Number n && n.intValue() > 0) {
            return n.intValue();
        }
        return 256; // a model that states none (a server) gets ids every tokenizer has
    }
}
