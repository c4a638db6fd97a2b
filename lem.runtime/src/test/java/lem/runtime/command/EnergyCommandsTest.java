package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

import lem.runtime.results.BaselinePower;

/** The STATE column of `lem baseline`: the device's clocks and P-state, or plainly that the source gave none. */
class EnergyCommandsTest {
    private static BaselinePower baseline(String source, Map<String, String> facts) {
        return new BaselinePower(source, "dev-0", 70, 0.3, 50, 5_000_000_000L, 0, facts);
    }

    @Test
    void stateListsTheDeviceFactsWithoutTheMethod() {
        assertEquals("pstate=8, sm_clock_mhz=345", EnergyCommands.deviceState(baseline("nvml",
                Map.of("method", "counter over the baseline window", "sm_clock_mhz", "345", "pstate", "8"))));
    }

    @Test
    void aSourceThatReportsNoStateSaysSoInsteadOfEmptyBraces() {
        assertEquals("not reported by rapl", EnergyCommands.deviceState(baseline("rapl",
                Map.of("method", "counter over the baseline window"))));
    }
}
