package lem.energy.codecarbon;

/**
 * CodeCarbon v3's RAM power model (codecarbon/external/ram.py): watts per DIMM, with less per
 * DIMM beyond 4, 8 and 16 DIMMs, and a floor of two DIMMs' worth on x86.
 */
public final class RamPowerModel {
    /** Watts per DIMM on x86 ({@code RAM_SLOT_POWER_X86}). */
    public static final double X86_WATTS_PER_DIMM = 5.0;
    /** Watts per DIMM on ARM (lower-power memory). */
    public static final double ARM_WATTS_PER_DIMM = 1.5;
    /** Floor on ARM, watts. */
    public static final double ARM_MIN_WATTS = 3.0;

    private RamPowerModel() {
    }

    /**
     * CodeCarbon's guess of the DIMM count from the total memory (GB of 2^30 bytes): 1 up to 2 GB,
     * 2 up to 16 GB, 4 up to 64 GB, 8 up to 128 GB, then the largest common DIMM size (128, 64,
     * 32, ... GB) that gives at least 8 DIMMs, at most 32.
     */
    public static int estimateDimmCount(double totalGb) {
        if (totalGb <= 2) {
            return 1;
        }
        if (totalGb <= 16) {
            return 2;
        }
        if (totalGb <= 64) {
            return 4;
        }
        if (totalGb <= 128) {
            return 8;
        }
        int[] dimmSizesGb = {128, 64, 32, 16, 8, 4};
        for (int size : dimmSizesGb) {
            if (size <= totalGb / 8) {
                return (int) Math.min(32, Math.ceil(totalGb / size));
            }
        }
        return 8;
    }

    /** Power of {@code dimmCount} DIMMs, watts. */
    public static double powerWatts(int dimmCount, boolean arm) {
        double perDimm = arm ? ARM_WATTS_PER_DIMM : X86_WATTS_PER_DIMM;
        double minWatts = arm ? ARM_MIN_WATTS : 2 * X86_WATTS_PER_DIMM;
        double watts;
        if (dimmCount <= 4) {
            watts = perDimm * dimmCount;
        } else if (dimmCount <= 8) {
            watts = perDimm * 4 + perDimm * 0.9 * (dimmCount - 4);
        } else if (dimmCount <= 16) {
            watts = perDimm * 4 + perDimm * 0.9 * 4 + perDimm * 0.8 * (dimmCount - 8);
        } else {
            watts = perDimm * 4 + perDimm * 0.9 * 4 + perDimm * 0.8 * 8 + perDimm * 0.7 * (dimmCount - 16);
        }
        return Math.max(minWatts, watts);
    }
}
