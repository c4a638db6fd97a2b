package lem.runtime.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One experiment, fully resolved (defaults, presets, inherited files and overrides applied) and
 * validated. Built by {@link ConfigLoader}; every value here also appears in
 * {@link LoadedConfig#tree()} with its {@link Provenance}.
 *
 * @param name         experiment name; the config file's name without extension unless set
 * @param preset       run preset ({@code quick-test}, {@code benchmark}) when one was chosen
 * @param precision    weights/activations number format asked of the backend
 * @param quantisation weight quantisation method asked of the backend
 * @param cycles       how many times the measurement window is repeated (>= 1)
 */
public record ExperimentConfig(
        String name,
        Optional<RunPreset> preset,
        Model model,
        Precision precision,
        Quantisation quantisation,
        Backend backend,
        Batching batching,
        Traffic traffic,
        Decoder decoder,
        Prompts prompts,
        Warmup warmup,
        Baseline baseline,
        Timeseries timeseries,
        int cycles,
        Energy energy,
        Carbon carbon,
        Output output) {

    /** The backend's own settings ({@code backend.<name>}); empty when the file has none. */
    public Map<String, Object> backendSettings() {
        return backend.settingsFor(backend.name());
    }

    public enum ModelSource implements ConfigEnum {
        /** Random weights of a known architecture: no download, reproducible from the seed. */
        SYNTHETIC,
        /** Weights on this machine at {@code model.path}. */
        LOCAL,
        /** A model a server already serves (vLLM, TensorRT-LLM). */
        SERVED
    }

    public enum Precision implements ConfigEnum { FLOAT32, FLOAT16, BFLOAT16, FP8, INT8, INT4 }

    /** Weight quantisation method; {@code none} keeps the weights in {@link Precision}. */
    public enum Quantisation implements ConfigEnum { NONE, INT8, INT4, FP8, AWQ, GPTQ }

    /** Batching strategies, as in MLPerf's offline/server scenarios and the seed tool. */
    public enum BatchingStrategy implements ConfigEnum {
        /** Fixed-size batches in prompt order. */
        STATIC,
        /** Batches formed as requests arrive, closed when full or after {@code max_wait_ms}. */
        DYNAMIC,
        /** Fixed-size batches of prompts sorted by length, to cut padding. */
        SORTED_STATIC,
        /** Dynamic batching over length-sorted queues. */
        SORTED_DYNAMIC;

        public boolean dynamic() {
            return this == DYNAMIC || this == SORTED_DYNAMIC;
        }
    }

    public enum TrafficPattern implements ConfigEnum {
        /** Every request is sent as soon as the backend can take it (closed loop). */
        NONE,
        /** Requests at a fixed rate of {@code target_qps}. */
        CONSTANT,
        /** Exponential inter-arrival times with mean 1 / {@code target_qps}, seeded. */
        POISSON
    }

    public enum PromptSource implements ConfigEnum { INLINE, FILE, SYNTHETIC }

    /**
     * @param path weights folder or file for {@code local}, resolved against the config file
     *             that set it
     */
    public record Model(ModelSource source, String name, long seed, Optional<Path> path) {
    }

    /**
     * @param name     the backend service to use (its {@code lem.backend.name})
     * @param device   device string handed to the backend ({@code cpu}, {@code cuda:0}, ...)
     * @param sections every {@code backend.<backend-name>} map, passed on unvalidated
     * @param version  the bundle version ({@code 1.2.3}) or OSGi version range ({@code [1.2,2)}) the
     *                 backend must come from, when several bundles register its name; empty for any
     */
    public record Backend(String name, String device, Map<String, Map<String, Object>> sections,
            Optional<String> version) {

        /** The section for one backend, or an empty map. */
        public Map<String, Object> settingsFor(String backendName) {
            return sections.getOrDefault(backendName, Map.of());
        }
    }

    /**
     * @param maxTokensPerBatch token budget per batch (prompt + new tokens); 0 = no budget
     * @param maxWaitMillis     how long a dynamic batch waits to fill up
     */
    public record Batching(BatchingStrategy strategy, int batchSize, int maxTokensPerBatch,
            int maxWaitMillis) {
    }

    /** @param targetQps requests per second; present for {@code constant} and {@code poisson} */
    public record Traffic(TrafficPattern pattern, OptionalDouble targetQps, long seed) {
    }

    /**
     * Sampling settings. A temperature of 0 means greedy decoding; {@code topK} 0 and
     * {@code topP} 1 mean those filters are off; {@code repetitionPenalty} 1 means no penalty.
     */
    public record Decoder(Optional<DecoderPreset> preset, double temperature, int topK, double topP,
            double repetitionPenalty, long seed, int minNewTokens, int maxNewTokens) {

        public boolean greedy() {
            return temperature == 0.0;
        }
    }

    /**
     * @param inline the prompts for {@code inline}; empty otherwise
     * @param file   the prompt file for {@code file}, resolved against the config file that set it
     * @param count  number of requests per cycle; prompts repeat cyclically when fewer
     */
    public record Prompts(PromptSource source, List<String> inline, Optional<Path> file, int count,
            SyntheticPrompts synthetic) {
    }

    /**
     * Built-in prompts of controlled length, drawn uniformly in
     * [{@code inputTokens}, {@code inputTokensMax}] from the seed.
     */
    public record SyntheticPrompts(int inputTokens, int inputTokensMax, long seed) {

        public boolean fixedLength() {
            return inputTokens == inputTokensMax;
        }
    }

    /**
     * Warmup sends the cycles' requests in the cycles' batches and ends when the coefficient of
     * variation of the mean per-token decode time of the batches that hold the last {@code window}
     * requests (2 batches at least) drops under {@code cvThreshold}, after at least
     * {@code minRequests} and at most {@code maxRequests} requests (rounded up to whole batches).
     */
    public record Warmup(boolean enabled, int minRequests, int maxRequests, double cvThreshold,
            int window) {
    }

    /** Idle power sampled every {@code intervalMillis} for {@code durationSeconds}, cached. */
    public record Baseline(boolean enabled, double durationSeconds, int intervalMillis,
            long cacheTtlSeconds) {
    }

    public record Timeseries(boolean enabled, int intervalMillis) {
    }

    /**
     * @param allAvailable true for {@code sources: auto}: every energy source available here
     * @param sources      the named sources otherwise; empty for {@code sources: none}
     */
    public record Energy(boolean allAvailable, List<String> sources, int intervalMillis) {

        /** {@code sources: none}: an unmetered run, no energy source started, no baseline taken. */
        public boolean none() {
            return !allAvailable && sources.isEmpty();
        }
    }

    /**
     * @param countryIso3 ISO 3166-1 alpha-3 code of the grid's country, upper case
     * @param pue         power usage effectiveness of the data centre (>= 1)
     */
    public record Carbon(Optional<String> countryIso3, double pue) {
    }

    /** @param dir results folder; relative paths are taken from the host's working folder */
    public record Output(Path dir) {
    }
}
