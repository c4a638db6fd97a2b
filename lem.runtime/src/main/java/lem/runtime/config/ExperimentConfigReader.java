package lem.runtime.config;

import lem.runtime.config.ExperimentConfig.Backend;
import lem.runtime.config.ExperimentConfig.Baseline;
import lem.runtime.config.ExperimentConfig.Batching;
import lem.runtime.config.ExperimentConfig.BatchingStrategy;
import lem.runtime.config.ExperimentConfig.Carbon;
import lem.runtime.config.ExperimentConfig.Decoder;
import lem.runtime.config.ExperimentConfig.Energy;
import lem.runtime.config.ExperimentConfig.Model;
import lem.runtime.config.ExperimentConfig.ModelSource;
import lem.runtime.config.ExperimentConfig.Output;
import lem.runtime.config.ExperimentConfig.Precision;
import lem.runtime.config.ExperimentConfig.PromptSource;
import lem.runtime.config.ExperimentConfig.Prompts;
import lem.runtime.config.ExperimentConfig.Quantisation;
import lem.runtime.config.ExperimentConfig.SyntheticPrompts;
import lem.runtime.config.ExperimentConfig.Timeseries;
import lem.runtime.config.ExperimentConfig.Traffic;
import lem.runtime.config.ExperimentConfig.TrafficPattern;
import lem.runtime.config.ExperimentConfig.Warmup;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/** Turns a resolved and validated tree into an {@link ExperimentConfig}. */
final class ExperimentConfigReader {

    private final ConfigLayer config;

    private ExperimentConfigReader(ConfigLayer config) {
        this.config = config;
    }

    /** Only for a tree that {@link ConfigValidator} found no problem in. */
    static ExperimentConfig read(ConfigLayer config) {
        return new ExperimentConfigReader(config).read();
    }

    private ExperimentConfig read() {
        return new ExperimentConfig(
                text("name"),
                Optional.ofNullable(choice(RunPreset.class, "preset")),
                new Model(choice(ModelSource.class, "model.source"), text("model.name"),
                        whole("model.seed"), optionalPath("model.path")),
                choice(Precision.class, "precision"),
                choice(Quantisation.class, "quantisation"),
                backend(),
                new Batching(choice(BatchingStrategy.class, "batching.strategy"),
                        count("batching.batch_size"), count("batching.max_tokens_per_batch"),
                        count("batching.max_wait_ms")),
                new Traffic(choice(TrafficPattern.class, "traffic.pattern"),
                        config.valueAt("traffic.target_qps") == null ? OptionalDouble.empty()
                                : OptionalDouble.of(real("traffic.target_qps")),
                        whole("traffic.seed")),
                new Decoder(Optional.ofNullable(choice(DecoderPreset.class, "decoder.preset")),
                        real("decoder.temperature"), count("decoder.top_k"), real("decoder.top_p"),
                        real("decoder.repetition_penalty"), whole("decoder.seed"),
                        count("decoder.min_new_tokens"), count("decoder.max_new_tokens")),
                prompts(),
                new Warmup(flag("warmup.enabled"), count("warmup.min_requests"),
                        count("warmup.max_requests"), real("warmup.cv_threshold"), count("warmup.window")),
                new Baseline(flag("baseline.enabled"), real("baseline.duration_s"),
                        count("baseline.interval_ms"), whole("baseline.cache_ttl_s")),
                new Timeseries(flag("timeseries.enabled"), count("timeseries.interval_ms")),
                count("cycles"),
                energy(),
                new Carbon(Optional.ofNullable(text("carbon.country")), real("carbon.pue")),
                new Output(Path.of(text("output.dir"))));
    }

    private Backend backend() {
        Map<String, Map<String, Object>> sections = new LinkedHashMap<>();
        ConfigLayer.asStringMap(config.valueAt("backend")).forEach((key, value) -> {
            if (value instanceof Map<?, ?> section) {
                sections.put(key, ImmutableTree.map(ConfigLayer.asStringMap(section)));
            }
        });
        return new Backend(text("backend.name"), text("backend.device"),
                java.util.Collections.unmodifiableMap(sections), Optional.ofNullable(text("backend.version")));
    }

    private Prompts prompts() {
        Object inline = config.valueAt("prompts.inline");
        List<String> prompts = inline == null ? List.of()
                : ((List<?>) inline).stream().map(String.class::cast).toList();
        int inputTokens = count("prompts.synthetic.input_tokens");
        Object inputTokensMax = config.valueAt("prompts.synthetic.input_tokens_max");
        return new Prompts(choice(PromptSource.class, "prompts.source"), prompts,
                optionalPath("prompts.file"), count("prompts.count"),
                new SyntheticPrompts(inputTokens,
                        inputTokensMax == null ? inputTokens : Math.toIntExact((Long) inputTokensMax),
                        whole("prompts.synthetic.seed")));
    }

    private Energy energy() {
        Object sources = config.valueAt("energy.sources");
        int intervalMillis = count("energy.interval_ms");
        if ("auto".equals(sources)) {
            return new Energy(true, List.of(), intervalMillis);
        }
        if ("none".equals(sources)) {
            return new Energy(false, List.of(), intervalMillis);
        }
        return new Energy(false, ((List<?>) sources).stream().map(String.class::cast).toList(),
                intervalMillis);
    }

    private <E extends Enum<E> & ConfigEnum> E choice(Class<E> type, String path) {
        Object value = config.valueAt(path);
        return value == null ? null : ConfigEnum.fromConfigName(type, (String) value);
    }

    private String text(String path) {
        return (String) config.valueAt(path);
    }

    private Optional<Path> optionalPath(String path) {
        return Optional.ofNullable(text(path)).map(Path::of);
    }

    private long whole(String path) {
        return (Long) config.valueAt(path);
    }

    /** Sizes, counts and milliseconds, which the schema keeps within int range. */
    private int count(String path) {
        return Math.toIntExact(whole(path));
    }

    private double real(String path) {
        return ((Number) config.valueAt(path)).doubleValue();
    }

    private boolean flag(String path) {
        return (Boolean) config.valueAt(path);
    }
}
