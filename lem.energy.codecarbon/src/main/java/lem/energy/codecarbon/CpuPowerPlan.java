package lem.energy.codecarbon;

/**
 * Where a session's CPU figure comes from.
 *
 * @param fromRapl  true when the RAPL counters are read
 * @param model     the CPU model name from cpuinfo, or {@code unknown}
 * @param tableName the matching row of CodeCarbon's table, empty when none matched
 * @param tdpWatts  the TDP used by the estimate (the table's, or the 85 W default)
 */
record CpuPowerPlan(boolean fromRapl, String model, String tableName, double tdpWatts) {
    /** CodeCarbon's TDP for a CPU its table does not know (codecarbon/external/hardware.py POWER_CONSTANT). */
    static final double DEFAULT_TDP_WATTS = 85.0;

    String describe(CpuPowerModel powerModel) {
        if (fromRapl) {
            return "RAPL";
        }
        String modelPart = powerModel == CpuPowerModel.LOAD ? "TDP x (0.1 + 0.9 x load^3)" : "TDP x 0.5";
        if (tableName.isEmpty()) {
            return "default " + fmt(tdpWatts) + " W (CPU '" + model + "' not in CodeCarbon's table), " + modelPart;
        }
        return "TDP table: " + tableName + ", " + fmt(tdpWatts) + " W, " + modelPart;
    }

    String methodKey(CpuPowerModel powerModel) {
        return fromRapl ? "rapl" : "tdp_" + powerModel.key();
    }

    static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
