package lem.api.backend;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type for backends: {@code @InferenceBackendService(name = "djl")} sets
 * {@value InferenceBackend#NAME}.
 */
@ComponentPropertyType
public @interface InferenceBackendService {
    String PREFIX_ = "lem.backend.";

    /** The backend's name: {@code lem.backend.name}. */
    String name();
}
