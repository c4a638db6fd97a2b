package lem.backend.openai.client;

import java.util.EnumSet;
import java.util.Set;

import lem.api.backend.BatchingMode;
import lem.api.backend.Capabilities;
import lem.api.backend.Parallelism;
import lem.api.model.Precision;

/** What every server backend can do, as far as lem can tell from outside the server. */
public final class ServerBackends {
    private ServerBackends() {
    }

    /**
     * Streaming; every batching mode is accepted but the server schedules requests itself
     * (continuous batching), so {@code batching.strategy} changes nothing; any device and precision
     * (the server decides).
     *
     * @param modelSources {@code served} for attaching; launchers add {@code local}
     */
    public static Capabilities capabilities(Set<Parallelism> parallelism, Set<String> modelSources) {
        return new Capabilities(true, EnumSet.allOf(BatchingMode.class), Set.of("cpu", "cuda"),
                EnumSet.allOf(Precision.class), parallelism, false, modelSources);
    }
}
