package lem.runtime.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import lem.api.energy.PowerSample;
import lem.runtime.campaign.DeviceTelemetry.DeviceState;
import lem.runtime.run.ScriptedRuns;

class CoolDownTest {
    private static final Map<String, DeviceState> IDLE = Map.of("gpu0", new DeviceState(100, 40.0));

    /** Readings a GPU cooling after a run would give, one per sample. */
    private static DeviceTelemetry cooling(List<DeviceState> states, List<Double> windows) {
        Deque<DeviceState> left = new ArrayDeque<>(states);
        return seconds -> {
            windows.add(seconds);
            return Map.of("gpu0", left.size() > 1 ? left.poll() : left.peek());
        };
    }

    @Test
    void waitsUntilPowerAndTemperatureAreBothWithinTheirDistanceOfIdle() throws InterruptedException {
        List<Double> windows = new java.util.ArrayList<>();
        DeviceTelemetry telemetry = cooling(List.of(new DeviceState(300, 70.0), new DeviceState(105, 50.0),
                new DeviceState(109, 42.5), new DeviceState(100, 40.0)), windows);
        CoolDown.Wait wait = new CoolDown(10, 3, 60, 0.5).await(IDLE, telemetry, new Cancellation());
        assertTrue(wait.reached());
        assertEquals(List.of(0.5, 0.5, 0.5), windows, "power alone within at the second reading; temperature at the third");
        assertEquals(new DeviceState(109, 42.5), wait.last().get("gpu0"));
        assertEquals(IDLE, wait.idle());
        assertEquals("", wait.note());
    }

    @Test
    void theTimeLimitEndsTheWaitAndSaysWhatWasStillWarm() throws InterruptedException {
        DeviceTelemetry telemetry = cooling(List.of(new DeviceState(250, 65.0)), new java.util.ArrayList<>());
        CoolDown.Wait wait = new CoolDown(10, 3, 0.001, 0.1).await(IDLE, telemetry, new Cancellation());
        assertFalse(wait.reached());
        assertEquals("time limit of 0.0 s reached: gpu0 250.0 W (idle 100.0 W), 65.0 C (idle 40.0 C)", wait.note());
    }

    @Test
    void aDeviceWithoutTemperatureIsJudgedByPowerAndAMissingDeviceIsNotIdle() {
        CoolDown coolDown = new CoolDown(10, 3, 60, 1);
        Map<String, DeviceState> idle = Map.of("gpu0", new DeviceState(100, null), "gpu1", new DeviceState(50, 30.0));
        assertEquals("gpu1 no reading", coolDown.farFromIdle(idle, Map.of("gpu0", new DeviceState(110, 90.0))));
        assertEquals("", coolDown.farFromIdle(idle, Map.of("gpu0", new DeviceState(110, null), "gpu1", new DeviceState(60, 33.0))));
        assertEquals("gpu1 60.1 W (idle 50.0 W)", coolDown.farFromIdle(idle,
                Map.of("gpu0", new DeviceState(110, null), "gpu1", new DeviceState(60.1, 33.0))));
    }

    @Test
    void aCancelEndsTheWait() throws InterruptedException {
        Cancellation cancellation = new Cancellation();
        DeviceTelemetry telemetry = seconds -> {
            cancellation.cancel("interrupted by Ctrl-C");
            return Map.of("gpu0", new DeviceState(300, 70.0));
        };
        CoolDown.Wait wait = new CoolDown(10, 3, 600, 1).await(IDLE, telemetry, cancellation);
        assertFalse(wait.reached());
        assertEquals("cancelled: interrupted by Ctrl-C", wait.note());
    }

    @Test
    void sourceTelemetryAveragesEachDevicesSamplesOverItsWindow() throws InterruptedException {
        Map<String, DeviceState> states = SourceTelemetry.averages(List.of(
                new PowerSample("gpu0", 1, 100, Map.of(PowerSample.TEMPERATURE_CELSIUS, 40.0)),
                new PowerSample("gpu1", 1, 50, Map.of()),
                new PowerSample("gpu0", 2, 110, Map.of(PowerSample.TEMPERATURE_CELSIUS, 44.0)),
                new PowerSample("gpu0", 3, 120, Map.of())));
        assertEquals(new DeviceState(110, 42.0), states.get("gpu0"));
        assertEquals(50, states.get("gpu1").powerWatts());
        assertNull(states.get("gpu1").temperatureCelsius());

        Map<String, DeviceState> measured = new SourceTelemetry(List.of(ScriptedRuns.meter(75))).sample(0.35);
        assertEquals(75, measured.get("GPU-test-0").powerWatts(), 1e-9, "the source's samples over the window");
    }
}
