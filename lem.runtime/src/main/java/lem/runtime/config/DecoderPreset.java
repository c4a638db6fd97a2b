package lem.runtime.config;

import java.util.Map;

/**
 * Sampling presets ({@code decoder.preset}). A preset only fills in sampling keys that no config
 * file and no {@code --set} wrote: {@code decoder: {preset: creative, temperature: 0.7}} samples
 * at 0.7 with the creative top-k and top-p.
 *
 * <p>Values: {@code standard} is Hugging Face transformers' {@code GenerationConfig} sampling
 * default (temperature 1.0, top_k 50, top_p 1.0, repetition_penalty 1.0). {@code creative} adds
 * the nucleus filter of Hugging Face's "How to generate text" guide (top_k 50, top_p 0.95) at a
 * higher temperature. {@code factual} keeps sampling close to greedy (temperature 0.3, top_k 40,
 * top_p 0.9) with the mild repetition penalty that Keskar et al.'s CTRL paper (2019) found to
 * curb loops; 1.1 rather than CTRL's 1.2, as common in chat-model configs.
 */
public enum DecoderPreset implements ConfigEnum {

    /** Greedy decoding: the same prompt always gives the same tokens. */
    DETERMINISTIC(RunPreset.values(
            "temperature", 0.0, "top_k", 0L, "top_p", 1.0, "repetition_penalty", 1.0)),
    STANDARD(RunPreset.values(
            "temperature", 1.0, "top_k", 50L, "top_p", 1.0, "repetition_penalty", 1.0)),
    CREATIVE(RunPreset.values(
            "temperature", 1.2, "top_k", 50L, "top_p", 0.95, "repetition_penalty", 1.0)),
    FACTUAL(RunPreset.values(
            "temperature", 0.3, "top_k", 40L, "top_p", 0.9, "repetition_penalty", 1.1));

    private final Map<String, Object> settings;

    DecoderPreset(Map<String, Object> settings) {
        this.settings = settings;
    }

    /** Key under {@code decoder} to value. */
    public Map<String, Object> settings() {
        return settings;
    }
}
