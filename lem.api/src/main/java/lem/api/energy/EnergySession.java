package lem.api.energy;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * One open measurement window. Started by {@link EnergySource#start}; sampling runs in the
 * background until {@link #stop()}.
 */
@ConsumerType
public interface EnergySession extends AutoCloseable {

    /**
     * The power samples taken since the previous call (or since the start), oldest first. The
     * runtime calls this now and then while the window is open and keeps what it gets; a sample is
     * returned once.
     */
    List<PowerSample> drainSamples();

    /**
     * Closes the window (reading counters at its end) and returns the energy per device. Samples
     * not yet drained stay available to {@link #drainSamples()}.
     */
    EnergyReading stop() throws EnergyException;

    /** Stops sampling without a reading (on interruption); safe to call after {@link #stop()}. */
    @Override
    void close();
}
