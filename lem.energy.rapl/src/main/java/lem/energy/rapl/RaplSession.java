package lem.energy.rapl;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
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
    /** One zone's counter and its last reading. */
    private static final class ZoneState {
        final RaplZone zone;
        final WrappingCounter counter;
        long lastReadNanos;
        /** Over the last interval; 0 before the first poll. */
        double lastPowerWatts;

        ZoneState(RaplZone zone, WrappingCounter counter, long readNanos) {
            this.zone = zone;
            this.counter = counter;
            this.lastReadNanos = readNanos;
        }
    }

    private final List<ZoneState> zones = new ArrayList<>();
    private final long intervalNanos;
    private final long startNanos;
    private final Queue<PowerSample> samples = new ConcurrentLinkedQueue<>();
    private final List<String> warnings = new ArrayList<>();
    private final ScheduledExecutorService poller;
    private final Object lock = new Object();
    private EnergyReading reading;
    private boolean closed;

    RaplSession(List<RaplZone> zones, long intervalNanos) throws EnergyException {
        this.intervalNanos = intervalNanos;
        long now = System.nanoTime();
        for (RaplZone zone : zones) {
            try {
                this.zones.add(new ZoneState(zone, new WrappingCounter(read(zone), zone.maxEnergyRangeMicrojoules()),
                        now));
            } catch (IOException e) {
                throw new EnergyException("rapl: cannot read " + zone.energyFile() + " at the window start: "
                        + e.getMessage());
            }
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
            poll();
            delay = intervalNanos;
            for (ZoneState z : zones) {
                delay = Math.min(delay, PollSchedule.nextDelayNanos(intervalNanos, z.counter.previousRawMicrojoules(),
                        z.zone.maxEnergyRangeMicrojoules(), z.lastPowerWatts));
            }
        }
        try {
            poller.schedule(this::pollAndReschedule, delay, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closed between the poll and the reschedule: nothing left to do.
        }
    }

    /** Reads every zone once; called with the lock held. */
    private void poll() {
        for (ZoneState z : zones) {
            long raw;
            try {
                raw = read(z.zone);
            } catch (IOException e) {
                String warning = "rapl: could not read " + z.zone.energyFile() + ": " + e.getMessage();
                if (!warnings.contains(warning)) {
                    warnings.add(warning);
                }
                continue;
            }
            long now = System.nanoTime();
            long deltaMicrojoules = z.counter.advance(raw);
            long elapsedNanos = now - z.lastReadNanos;
            z.lastReadNanos = now;
            if (elapsedNanos > 0) {
                z.lastPowerWatts = deltaMicrojoules * 1e3 / elapsedNanos; // uJ/ns * 1e3 = W
                samples.add(new PowerSample(z.zone.id(), now, z.lastPowerWatts, Map.of()));
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
            poll();
            long endNanos = System.nanoTime();
            closed = true;
            poller.shutdownNow();
            List<DeviceEnergy> devices = new ArrayList<>();
            for (ZoneState z : zones) {
                RaplZone zone = z.zone;
                WrappingCounter c = z.counter;
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
