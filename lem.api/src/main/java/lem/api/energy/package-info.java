/**
 * Energy sources: where joules come from (a GPU's energy counter, RAPL, an estimate), how they
 * were measured, and the power samples taken while a measurement window was open.
 * <p>
 * Every timestamp is {@link System#nanoTime()}: one monotonic clock for a whole run.
 */
@Export
@Version("1.1.0")
package lem.api.energy;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
