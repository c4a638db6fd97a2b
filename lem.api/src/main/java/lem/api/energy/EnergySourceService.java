package lem.api.energy;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type for energy sources:
 * {@code @EnergySourceService(source = "nvml")} sets {@value EnergySource#NAME}.
 */
@ComponentPropertyType
public @interface EnergySourceService {
    String PREFIX_ = "lem.energy.";

    /** The source's name: {@code lem.energy.source}. */
    String source();
}
