package lem.runtime.results;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import lem.runtime.sql.ResultsSql;

/**
 * The SQL engine now registered, if any: the lem.results.sql bundle may come and go while the host
 * runs. Static, because the tidy tables are refreshed from plain objects (the results folder of a
 * run) that DS does not make.
 */
@Component(service = SqlEngine.class, immediate = true)
public final class SqlEngine {
    private static final AtomicReference<ResultsSql> CURRENT = new AtomicReference<>();

    /** What the commands say when no engine is there. */
    public static final String MISSING = "no SQL engine: the lem.results.sql bundle (DuckDB) is not installed or not started;"
            + " put lem.results.sql.jar into the plugins folder (the distribution carries it)";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bind(ResultsSql engine) {
        CURRENT.set(engine);
    }

    void unbind(ResultsSql engine) {
        CURRENT.compareAndSet(engine, null);
    }

    /** The engine, or empty when the bundle is not there. */
    public static Optional<ResultsSql> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** Sets the engine outside a framework (tests, the launcher's plain-Java paths); null clears it. */
    public static void use(ResultsSql engine) {
        CURRENT.set(engine);
    }
}
