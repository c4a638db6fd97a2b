package lem.api.energy;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A place joules come from. Register an implementation as a DS service with
 * {@link EnergySourceService} (service property {@value #NAME}).
 */
@ConsumerType
public interface EnergySource {
    /** Service property: the source's name ({@code nvml}, {@code rapl}, {@code codecarbon}). */
    String NAME = "lem.energy.source";

    SourceInfo info();

    /** Whether it can measure here, why not, and what it sees. Cheap; called by {@code lem:energy}. */
    Probe probe();

    /**
     * Opens a measurement window now: the source reads its counters at this instant and starts
     * sampling power.
     *
     * @throws EnergyException when it cannot measure (the message says why and how to fix it)
     */
    EnergySession start(SessionSettings settings) throws EnergyException;
}
