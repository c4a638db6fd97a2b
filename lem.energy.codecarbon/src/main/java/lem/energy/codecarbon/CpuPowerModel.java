package lem.energy.codecarbon;

import java.util.Locale;

/**
 * How CodeCarbon turns a CPU's TDP into power when no counter can be read
 * (codecarbon/external/hardware.py: {@code CONSUMPTION_PERCENTAGE_CONSTANT = 0.5} and the
 * {@code cpu_load} mode's {@code 0.1 + 0.9 * load^3}).
 */
public enum CpuPowerModel {
    /** Half the TDP, whatever the load. */
    CONSTANT("constant"),
    /** TDP x (0.1 + 0.9 x load^3), load measured from /proc/stat; CodeCarbon's default in v3. */
    LOAD("load");

    private final String key;

    CpuPowerModel(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    /**
     * @param tdpWatts the CPU's TDP (all sockets)
     * @param load     busy fraction of all CPUs, 0 to 1 (ignored by {@link #CONSTANT})
     */
    public double powerWatts(double tdpWatts, double load) {
        return switch (this) {
            case CONSTANT -> tdpWatts * 0.5;
            case LOAD -> tdpWatts * (0.1 + 0.9 * Math.pow(Math.max(0, Math.min(1, load)), 3));
        };
    }

    public static CpuPowerModel parse(String value, String key) {
        for (CpuPowerModel m : values()) {
            if (m.key.equals(value.trim().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException(key + " = '" + value + "' is not allowed; use 'load' or 'constant'");
    }
}
