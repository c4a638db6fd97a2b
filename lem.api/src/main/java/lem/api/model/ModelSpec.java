package lem.api.model;

import java.util.Map;
import java.util.Objects;

/**
 * The model a user asked for, as written in the experiment config.
 *
 * @param source       where the weights come from: {@code synthetic} (seeded random weights for an
 *                     architecture), {@code local} (a Hugging Face folder on disk) or a source a
 *                     backend defines (a server's served model name, say)
 * @param name         a preset name ({@code gpt2-small}), a path to a folder or a config.json, or a
 *                     served model id; its meaning depends on {@code source}
 * @param precision    the precision weights are held and computed in
 * @param quantisation a quantisation scheme name, or {@code none}
 * @param seed         seed for synthetic weights
 * @param options      further model options from the config, unchanged
 */
public record ModelSpec(String source, String name, Precision precision, String quantisation, long seed,
        Map<String, Object> options) {
    public ModelSpec {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(precision, "precision");
        quantisation = quantisation == null ? "none" : quantisation;
        options = options == null ? Map.of() : Map.copyOf(options);
    }
}
