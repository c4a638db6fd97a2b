package lem.runtime.campaign;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import lem.api.energy.EnergyException;
import lem.api.energy.EnergySession;
import lem.api.energy.EnergySource;
import lem.api.energy.PowerSample;
import lem.api.energy.SessionSettings;

/**
 * Device telemetry from energy sources that measure (estimates say nothing about heat): a
 * session open for the window, its power samples averaged per device, with the temperature where
 * the source reports one ({@link PowerSample#TEMPERATURE_CELSIUS}).
 */
public final class SourceTelemetry implements DeviceTelemetry {
    static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final List<EnergySource> sources;

    public SourceTelemetry(List<EnergySource> sources) {
        this.sources = List.copyOf(sources);
    }

    @Override
    public Map<String, DeviceState> sample(double seconds) throws InterruptedException {
        List<EnergySession> sessions = new ArrayList<>();
        List<PowerSample> samples = new ArrayList<>();
        try {
            for (EnergySource source : sources) {
                try {
                    sessions.add(source.start(new SessionSettings(INTERVAL_NANOS, null, null)));
                } catch (EnergyException unavailable) {
                    // a source that cannot measure now says nothing about the devices; the others still do
                }
            }
            Thread.sleep(Math.max(1, (long) (seconds * 1000)));
            for (EnergySession session : sessions) {
                samples.addAll(session.drainSamples());
            }
        } finally {
            sessions.forEach(EnergySession::close);
        }
        return averages(samples);
    }

    static Map<String, DeviceState> averages(List<PowerSample> samples) {
        Map<String, double[]> sums = new LinkedHashMap<>(); // power sum, count, temperature sum, temperature count
        for (PowerSample s : samples) {
            double[] sum = sums.computeIfAbsent(s.deviceId(), d -> new double[4]);
            sum[0] += s.powerWatts();
            sum[1]++;
            Double temperature = s.telemetry().get(PowerSample.TEMPERATURE_CELSIUS);
            if (temperature != null) {
                sum[2] += temperature;
                sum[3]++;
            }
        }
        Map<String, DeviceState> states = new LinkedHashMap<>();
        sums.forEach((device, sum) -> states.put(device,
                new DeviceState(sum[0] / sum[1], sum[3] == 0 ? null : sum[2] / sum[3])));
        return states;
    }
}
