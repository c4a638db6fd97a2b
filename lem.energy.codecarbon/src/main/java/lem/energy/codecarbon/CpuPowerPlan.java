package lem.energy.codecarbon;

/**
 * Where a session's CPU figure comes from.
 *
 * @param fromRapl  true when the RAPL counters are read
 * @param model     the CPU model name from cpuinfo, or {@code unknown}
 * @param tableName the matching row of CodeCarbon's table, empty when none matched
 * @param tdpWatts  the TDP of one socket (the table's, or the 85 W default): CodeCarbon's table lists
 *                  the TDP of one CPU package, and CodeCarbon multiplies it by the sockets
 * @param sockets   CPU sockets (physical packages), at least 1
 */
record CpuPowerPlan(boolean fromRapl, String model, String tableName, double tdpWatts, int sockets) {
    /** CodeCarbon's TDP for a CPU its table does not know (codecarbon/external/hardware.py POWER_CONSTANT). */
    static final double DEFAULT_TDP_WATTS = 85.0;

    CpuPowerPlan {
        sockets = Math.max(1, sockets);
    }

    /** The TDP the model uses: one socket's TDP times the sockets. */
    double totalTdpWatts() {
        return tdpWatts * sockets;
    }

    String describe(CpuPowerModel powerModel) {
        if (fromRapl) {
            return "RAPL";
        }
        String modelPart = powerModel == CpuPowerModel.LOAD ? "TDP x (0.1 + 0.9 x load^3)" : "TDP x 0.5";
        String watts = sockets == 1 ? fmt(tdpWatts) + " W"
                : fmt(tdpWatts) + " W per socket x " + sockets + " sockets = " + fmt(totalTdpWatts()) + " W";
        if (tableName.isEmpty()) {
            return "default " + watts + " (CPU '" + model + "' not in CodeCarbon's table), " + modelPart;
        }
        return "TDP table: " + tableName + ", " + watts + ", " + modelPart;
    }

    String methodKey(CpuPowerModel powerModel) {
        return fromRapl ? "rapl" : "tdp_" + powerModel.key();
    }

    static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
