package lem.api.flops;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type for FLOPs strategies: {@code @FlopsStrategyService(strategy = "analytical")}
 * sets {@value FlopsStrategy#NAME}.
 */
@ComponentPropertyType
public @interface FlopsStrategyService {
    String PREFIX_ = "lem.flops.";

    /** The strategy's name: {@code lem.flops.strategy}. */
    String strategy();
}
