package lem.energy.rapl;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import lem.api.energy.DeviceEnergy;
import lem.api.energy.EnergyException;
import lem.api.energy.EnergyMethod;
import lem.api.energy.EnergyReading;
import lem.api.energy.EnergySession;
import lem.api.energy.PowerSample;

/**
 * One measurement window over a set of RAPL zones. A daemon thread reads every counter at least
 * once per interval (sooner at high power or near the top of a counter's range), so wraps are
 * caught, and turns successive readings into power samples.
 */
final class RaplSession implements EnergySession {
    private final List<RaplZone> zones;
    private final long intervalNanos;
    private final long startNanos;
    private final Map<String, WrappingCounter> counters = new LinkedHashMap<>();
    private final Map<String, Long> lastReadNanos = new LinkedHashMap<>();
    private final Map<String, Double> lastPowerWatts = new LinkedHashMap<>();
    private final Queue<PowerSample> samples = new ConcurrentLinkedQueue<>();
    private final List<String> warnings = new ArrayList<>();
    private final ScheduledExecutorService poller;
    private final Object lock = new Object();
    private EnergyReading reading;
    private boolean closed;

    RaplSession(List<RaplZone> zones, long intervalNanos) throws EnergyException {
        this.zones = List.copyOf(zones);
        this.intervalNanos = intervalNanos;
        long now = System.nanoTime();
        for (RaplZone zone : this.zones) {
            try {
                counters.put(zone.id(), new WrappingCounter(read(zone), zone.maxEnergyRangeMicrojoules()));
            } catch (IOException e) {
                throw new EnergyException("rapl: cannot read " + zone.energyFile() + " at the window start: "
                        + e.getMessage());
            }
            lastReadNanos.put(zone.id(), now);
        }
        this.startNanos = now;
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lem-rapl-poller");
            t.setDaemon(true);
            return t;
        });
        poller.schedule(this::pollAndReschedule, intervalNanos, TimeUnit.NANOSECONDS);
    }

    private void pollAndReschedule() {
        long delay;
        synchronized (lock) {
            if (closed) {
                return;
            }
            poll(true);
            delay = intervalNanos;
            for (RaplZone zone : zones) {
                WrappingCounter c = counters.get(zone.id());
                delay = Math.min(delay, PollSchedule.nextDelayNanos(intervalNanos, c.previousRawMicrojoules(),
                        zone.maxEnergyRangeMicrojoules(), lastPowerWatts.getOrDefault(zone.id(), 0.0)));
            }
        }
        try {
            poller.schedule(this::pollAndReschedule, delay, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closed between the poll and the reschedule: nothing left to do.
        }
    }

    /** Reads every zone once; called with the lock held. */
    private void poll(boolean emitSamples) {
        for (RaplZone zone : zones) {
            long raw;
            try {
                raw = read(zone);
            } catch (IOException e) {
                String warning = "rapl: could not read " + zone.energyFile() + ": " + e.getMessage();
                if (!warnings.contains(warning)) {
                    warnings.add(warning);
                }
                continue;
            }
            long now = System.nanoTime();
            long deltaMicrojoules = counters.get(zone.id()).advance(raw);
            long elapsedNanos = now - lastReadNanos.get(zone.id());
            lastReadNanos.put(zone.id(), now);
            if (elapsedNanos > 0) {
                double powerWatts = deltaMicrojoules * 1e3 / elapsedNanos; // uJ/ns * 1e3 = W
                lastPowerWatts.put(zone.id(), powerWatts);
                if (emitSamples) {
                    samples.add(new PowerSample(zone.id(), now, powerWatts, Map.of()));
                }
            }
        }
    }

    private static long read(RaplZone zone) throws IOException {
        String text = Files.readString(zone.energyFile()).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException("not a number of microjoules: '" + text + "'");
        }
    }

    @Override
    public List<PowerSample> drainSamples() {
        List<PowerSample> drained = new ArrayList<>();
        PowerSample s;
        while ((s = samples.poll()) != null) {
            drained.add(s);
        }
        return drained;
    }

    @Override
    public EnergyReading stop() throws EnergyException {
        synchronized (lock) {
            if (reading != null) {
                return reading;
            }
            if (closed) {
                throw new EnergyException("rapl: the session was closed before stop()");
            }
            poll(true);
            long endNanos = System.nanoTime();
            closed = true;
            poller.shutdownNow();
            List<DeviceEnergy> devices = new ArrayList<>();
            for (RaplZone zone : zones) {
                WrappingCounter c = counters.get(zone.id());
                String note = "RAPL counter " + zone.directoryName() + " (" + zone.zoneName() + ")"
                        + (c.wraps() > 0 ? ", wrapped " + c.wraps() + "x, corrected by max_energy_range_uj + 1" : "");
                devices.add(new DeviceEnergy(zone.id(), zone.domain(), c.totalMicrojoules() / 1e6,
                        EnergyMethod.COUNTER, false, note));
            }
            reading = new EnergyReading(RaplEnergySource.NAME, startNanos, endNanos, devices, List.of(), warnings,
                    Map.of());
            return reading;
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        poller.shutdownNow();
    }
}
