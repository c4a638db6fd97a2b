package lem.energy.codecarbon;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import lem.api.energy.EnergyException;

/**
 * The settings of one CodeCarbon-method session: the source's configuration, overridden by the
 * options the runtime passes in {@link lem.api.energy.SessionSettings#options()}. Keys are
 * accepted with underscores ({@code country_iso_code}) or dots ({@code country.iso.code}).
 *
 * @param cpuPowerModel       TDP model used when RAPL cannot be read
 * @param dimmCount           DIMMs to count for RAM power; 0 means estimate from total memory
 * @param countryIsoCode      ISO 3166-1 alpha-3 code, empty for the world average
 * @param pue                 power usage effectiveness, at least 1
 * @param projectName         CodeCarbon's project_name column
 * @param experimentId        CodeCarbon's experiment_id column
 * @param outputDir           where emissions.csv goes; empty for no file
 * @param procRoot            procfs root (cpuinfo, meminfo, stat)
 * @param sampleIntervalNanos how often CPU load and power are sampled when {@code sample_interval_ms} is
 *                            set; 0 when it is not, and the session's interval is used
 *                            ({@link #sampleIntervalNanos(long)})
 */
public record TrackerSettings(CpuPowerModel cpuPowerModel, int dimmCount, String countryIsoCode, double pue,
        String projectName, String experimentId, Optional<Path> outputDir, Path procRoot, long sampleIntervalNanos) {

    public static final String CPU_POWER_MODEL = "cpu_power_model";
    public static final String DIMM_COUNT = "dimm_count";
    public static final String COUNTRY_ISO_CODE = "country_iso_code";
    public static final String PUE = "pue";
    public static final String PROJECT_NAME = "project_name";
    public static final String EXPERIMENT_ID = "experiment_id";
    public static final String OUTPUT_DIR = "output_dir";
    public static final String PROC_ROOT = "proc_root";
    public static final String SAMPLE_INTERVAL_MS = "sample_interval_ms";

    /**
     * @param config  the component's configuration
     * @param options the session's options, which win
     * @throws EnergyException naming the key, the value and what is allowed
     */
    public static TrackerSettings resolve(Map<String, ?> config, Map<String, ?> options) throws EnergyException {
        Lookup in = new Lookup(config, options);
        try {
            CpuPowerModel model = CpuPowerModel.parse(in.string(CPU_POWER_MODEL, "load"), CPU_POWER_MODEL);
            int dimms = (int) in.number(DIMM_COUNT, 0);
            if (dimms < 0 || dimms > 1024) {
                throw new IllegalArgumentException(DIMM_COUNT + " = " + dimms + " is not allowed; use 0 (estimate "
                        + "from total memory) or the number of DIMMs, 1 to 1024");
            }
            String iso = in.string(COUNTRY_ISO_CODE, "").trim().toUpperCase(Locale.ROOT);
            if (!iso.isEmpty() && !iso.matches("[A-Z]{3}")) {
                throw new IllegalArgumentException(COUNTRY_ISO_CODE + " = '" + iso + "' is not allowed; use an "
                        + "ISO 3166-1 alpha-3 code as CodeCarbon does (FRA, USA, DEU), or leave it empty for the "
                        + "world average");
            }
            double pue = in.number(PUE, 1.0);
            if (!(pue >= 1.0) || pue > 10) {
                throw new IllegalArgumentException(PUE + " = " + pue + " is not allowed; use a number from 1.0 "
                        + "(no overhead) to 10");
            }
            String out = in.string(OUTPUT_DIR, "");
            Optional<Path> outputDir = out.isBlank() ? Optional.empty() : Optional.of(path(OUTPUT_DIR, out));
            long intervalMs = (long) in.number(SAMPLE_INTERVAL_MS, 0);
            if (in.raw(SAMPLE_INTERVAL_MS).isPresent() && (intervalMs < 100 || intervalMs > 600_000)) {
                throw new IllegalArgumentException(SAMPLE_INTERVAL_MS + " = " + intervalMs + " is not allowed; "
                        + "use 100 to 600000");
            }
            return new TrackerSettings(model, dimms, iso, pue, in.string(PROJECT_NAME, "lem"),
                    in.string(EXPERIMENT_ID, ""), outputDir, path(PROC_ROOT, in.string(PROC_ROOT, "/proc")),
                    Duration.ofMillis(intervalMs).toNanos());
        } catch (IllegalArgumentException e) {
            throw new EnergyException("codecarbon: " + e.getMessage());
        }
    }

    /** The shortest interval at which CPU load is read from /proc/stat: its times count 100 ticks a second per CPU. */
    public static final long MIN_SAMPLE_INTERVAL_NANOS = Duration.ofMillis(100).toNanos();

    /**
     * The interval the session samples at: {@code sample_interval_ms} when set, else the session's
     * own ({@code energy.interval_ms}), but not under {@link #MIN_SAMPLE_INTERVAL_NANOS}.
     */
    public long sampleIntervalNanos(long sessionIntervalNanos) {
        return sampleIntervalNanos > 0 ? sampleIntervalNanos : Math.max(MIN_SAMPLE_INTERVAL_NANOS, sessionIntervalNanos);
    }

    private static Path path(String key, String value) {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(key + " = '" + value + "' is not a path: " + e.getReason());
        }
    }

    private record Lookup(Map<String, ?> config, Map<String, ?> options) {
        Optional<Object> raw(String key) {
            String dotted = key.replace('_', '.');
            for (Map<String, ?> m : java.util.List.of(options, config)) {
                Object v = m.containsKey(key) ? m.get(key) : m.get(dotted);
                if (v != null) {
                    return Optional.of(v);
                }
            }
            return Optional.empty();
        }

        String string(String key, String fallback) {
            return raw(key).map(Object::toString).orElse(fallback);
        }

        double number(String key, double fallback) {
            Optional<Object> v = raw(key);
            if (v.isEmpty()) {
                return fallback;
            }
            if (v.get() instanceof Number n) {
                return n.doubleValue();
            }
            try {
                return Double.parseDouble(v.get().toString().trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " = '" + v.get() + "' is not a number");
            }
        }
    }
}
