package lem.energy.codecarbon;

/**
 * A session's RAM power and how it was worked out.
 *
 * @param dimmCount   the DIMMs counted
 * @param configured  true when the count came from configuration, false when estimated
 * @param totalGb     the total memory the estimate used (GB of 2^30 bytes), 0 when unknown
 * @param arm         ARM host (1.5 W per DIMM) instead of x86 (5 W)
 * @param powerWatts  the resulting power
 */
record RamPowerPlan(int dimmCount, boolean configured, double totalGb, boolean arm, double powerWatts) {

    static RamPowerPlan of(int configuredDimms, double totalGb, boolean arm) {
        int dimms = configuredDimms > 0 ? configuredDimms : RamPowerModel.estimateDimmCount(totalGb);
        return new RamPowerPlan(dimms, configuredDimms > 0, totalGb, arm, RamPowerModel.powerWatts(dimms, arm));
    }

    String describe() {
        String perDimm = CpuPowerPlan.fmt(arm ? RamPowerModel.ARM_WATTS_PER_DIMM : RamPowerModel.X86_WATTS_PER_DIMM);
        String source = configured ? "configured dimm_count"
                : String.format(java.util.Locale.ROOT, "estimated from %.1f GB", totalGb);
        return dimmCount + " DIMMs x " + perDimm + " W (" + source + ") = "
                + String.format(java.util.Locale.ROOT, "%.2f", powerWatts) + " W";
    }
}
