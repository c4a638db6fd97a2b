package lem.flops.strategy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import lem.api.model.ModelDescription;
import lem.flops.analytical.ModelConfigException;
import lem.flops.analytical.TransformerShape;

/**
 * The architecture of a described model, read from its config.json, or why it cannot be.
 *
 * @param shape        the architecture, when the config could be read
 * @param reasonAbsent why not, otherwise
 */
record ShapeLookup(Optional<TransformerShape> shape, String reasonAbsent) {

    static ShapeLookup of(ModelDescription model) {
        if (model.config().isEmpty()) {
            return new ShapeLookup(Optional.empty(), "the backend gave no config.json to read the architecture from");
        }
        Map<String, Object> config = model.config();
        if (config.get("model_type") == null && !model.architecture().equals("unknown")) {
            // some exported configs omit model_type; the backend's architecture name is the same vocabulary
            config = new LinkedHashMap<>(config);
            config.put("model_type", model.architecture());
        }
        try {
            return new ShapeLookup(Optional.of(TransformerShape.fromConfig(config)), "");
        } catch (ModelConfigException e) {
            return new ShapeLookup(Optional.empty(), e.getMessage());
        }
    }
}
