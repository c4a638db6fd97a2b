package lem.runtime.campaign.slurm;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import lem.runtime.config.ConfigDocument;
import lem.runtime.config.ConfigProblem;
import lem.runtime.config.Provenance;
import lem.runtime.config.SpellingSuggestion;

/**
 * A campaign file's {@code slurm:} section: how {@code lem campaign submit --slurm} asks Slurm for
 * its array tasks. Every key is checked and every mistake reported at once, with file and line.
 *
 * <pre>
 * slurm:
 *   partition: gpu                 # default: the cluster's default partition
 *   gpus_per_task: 1               # GPUs per array task (sbatch --gpus-per-task); default none
 *   cpus_per_task: 8               # sbatch --cpus-per-task
 *   mem: 64G                       # sbatch --mem: a number with an optional K, M, G or T
 *   time_limit: "2:00:00"          # sbatch --time: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS
 *   runs_per_task: 2               # runs per array task (a shard), in plan order; default 1
 *   signal_before_s: 90            # SIGTERM this long before the time limit; default 90
 *   sbatch_options: ["--account=lab", "--qos=normal"]
 *   lem_command: /opt/lem/bin/lem  # what each task runs; default: the launcher that submits
 *   shared_dir: /shared/lem        # a folder every node sees; tasks run in it; default: where submit runs
 * </pre>
 *
 * @param partition      {@code --partition}, or null
 * @param gpusPerTask    {@code --gpus-per-task}, 0 for none
 * @param cpusPerTask    {@code --cpus-per-task}, 0 for Slurm's default
 * @param mem            {@code --mem}, or null
 * @param timeLimit      {@code --time} as written, or null
 * @param runsPerTask    runs each array task holds
 * @param signalBeforeSeconds how long before the time limit a task gets SIGTERM
 * @param sbatchOptions  more sbatch options, each as written
 * @param lemCommand     the command each task runs, or null for the submitting launcher
 * @param sharedDir      the folder tasks run in, or null for the submitting working directory
 */
public record SlurmSettings(String partition, int gpusPerTask, int cpusPerTask, String mem, String timeLimit,
        int runsPerTask, int signalBeforeSeconds, List<String> sbatchOptions, String lemCommand, String sharedDir) {

    public static final String SECTION = "slurm";
    static final Set<String> KEYS = Set.of("partition", "gpus_per_task", "cpus_per_task", "mem", "time_limit",
            "runs_per_task", "signal_before_s", "sbatch_options", "lem_command", "shared_dir");
    /** Options lem writes itself: the campaign's state depends on them. */
    static final Set<String> OWN_OPTIONS = Set.of("--array", "-a", "--output", "-o", "--error", "-e", "--chdir", "-D",
            "--job-name", "-J", "--parsable", "--signal", "--wrap", "--ntasks", "-n");
    static final int DEFAULT_SIGNAL_BEFORE_SECONDS = 90;
    private static final Pattern MEM = Pattern.compile("[1-9][0-9]*[KMGT]?");
    private static final Pattern TIME = Pattern.compile(
            "(?:(\\d+)-(\\d{1,2})(?::(\\d{1,2})(?::(\\d{1,2}))?)?)|(?:(\\d+)(?::(\\d{1,2})(?::(\\d{1,2}))?)?)");
    private static final Pattern PARTITION = Pattern.compile("[A-Za-z0-9_.,-]+");

    public SlurmSettings {
        sbatchOptions = List.copyOf(sbatchOptions);
    }

    /** What a campaign file without a {@code slurm:} section gets. */
    public static SlurmSettings defaults() {
        return new SlurmSettings(null, 0, 0, null, null, 1, DEFAULT_SIGNAL_BEFORE_SECONDS, List.of(), null, null);
    }

    /**
     * The section as read, meaningful only when {@code problems} is empty.
     *
     * @param settings the settings (defaults where a key is absent or wrong)
     * @param present  whether the file has a {@code slurm:} section
     * @param problems every mistake, with file and line
     */
    public record Read(SlurmSettings settings, boolean present, List<ConfigProblem> problems) {
        public Read {
            problems = List.copyOf(problems);
        }
    }

    /** Reads the {@code slurm:} section of a campaign file (its other keys are the campaign's: {@code CampaignFile}). */
    public static Read read(Path campaignFile) {
        ConfigDocument document = ConfigDocument.read(campaignFile);
        if (!document.readable() || !document.tree().containsKey(SECTION)) {
            return new Read(defaults(), false, List.of());
        }
        return new Reader(campaignFile, document).read(document.tree().get(SECTION));
    }

    /** The time limit in seconds, or -1 when there is none. */
    public long timeLimitSeconds() {
        return timeLimit == null ? -1 : seconds(timeLimit);
    }

    /** Slurm's time formats in seconds, -1 when the text is none of them. */
    static long seconds(String time) {
        Matcher m = TIME.matcher(time);
        if (!m.matches()) {
            return -1;
        }
        if (m.group(1) != null) {
            return Long.parseLong(m.group(1)) * 86_400 + Long.parseLong(m.group(2)) * 3600 + part(m.group(3)) * 60
                    + part(m.group(4));
        }
        if (m.group(7) != null) {
            return Long.parseLong(m.group(5)) * 3600 + Long.parseLong(m.group(6)) * 60 + Long.parseLong(m.group(7));
        }
        return Long.parseLong(m.group(5)) * 60 + part(m.group(6));
    }

    private static long part(String group) {
        return group == null ? 0 : Long.parseLong(group);
    }

    private static final class Reader {
        private final Path file;
        private final ConfigDocument document;
        private final List<ConfigProblem> problems = new ArrayList<>();

        Reader(Path file, ConfigDocument document) {
            this.file = file;
            this.document = document;
        }

        Read read(Object value) {
            if (!(value instanceof Map<?, ?> map)) {
                problem(SECTION, "expected a map of Slurm settings, e.g. slurm: {partition: gpu, gpus_per_task: 1,"
                        + " time_limit: \"1:00:00\"}, got " + ConfigDocument.describe(value));
                return new Read(defaults(), true, problems);
            }
            for (Object key : map.keySet()) {
                if (!KEYS.contains(String.valueOf(key))) {
                    problem(SECTION + "." + key, "unknown slurm key" + SpellingSuggestion.didYouMean(String.valueOf(key), KEYS)
                            + "; allowed: " + String.join(", ", KEYS.stream().sorted().toList()));
                }
            }
            String partition = text(map, "partition", PARTITION, "a partition name, e.g. partition: gpu");
            int gpus = (int) whole(map, "gpus_per_task", 0, 0, 1024);
            int cpus = (int) whole(map, "cpus_per_task", 0, 1, 4096);
            String mem = text(map, "mem", MEM, "memory per node as sbatch --mem takes it, e.g. mem: 64G (a number with"
                    + " an optional K, M, G or T)");
            String time = map.get("time_limit") instanceof Number n ? String.valueOf(n) : null;
            if (time == null) {
                time = text(map, "time_limit", TIME, "a time limit as sbatch --time takes it: MM, MM:SS, HH:MM:SS, D-HH,"
                        + " D-HH:MM or D-HH:MM:SS, e.g. time_limit: \"2:00:00\"");
            }
            if (time != null && seconds(time) <= 0) {
                problem(SECTION + ".time_limit", "expected a time limit above zero, got " + time);
                time = null;
            }
            int runsPerTask = (int) whole(map, "runs_per_task", 1, 1, 10_000);
            int signalBefore = (int) whole(map, "signal_before_s", DEFAULT_SIGNAL_BEFORE_SECONDS, 1, 65_535);
            if (time != null && map.containsKey("signal_before_s") && signalBefore >= seconds(time)) {
                problem(SECTION + ".signal_before_s", signalBefore + " s is not before the end of time_limit " + time
                        + " (" + seconds(time) + " s); a task needs time to run before its SIGTERM");
            }
            List<String> options = options(map);
            String lemCommand = map.containsKey("lem_command") ? text(map, "lem_command", null,
                    "the command each task runs, e.g. lem_command: /opt/lem/bin/lem") : null;
            String sharedDir = null;
            if (map.containsKey("shared_dir")) {
                sharedDir = text(map, "shared_dir", null, "a folder every node sees, e.g. shared_dir: /shared/lem");
                if (sharedDir != null) {
                    try {
                        Path.of(sharedDir);
                    } catch (InvalidPathException e) {
                        problem(SECTION + ".shared_dir", "'" + sharedDir + "' is not a valid path: " + e.getReason());
                        sharedDir = null;
                    }
                }
            }
            return new Read(new SlurmSettings(partition, gpus, cpus, mem, time, runsPerTask, signalBefore, options,
                    lemCommand, sharedDir), true, problems);
        }

        private List<String> options(Map<?, ?> map) {
            if (!map.containsKey("sbatch_options")) {
                return List.of();
            }
            String path = SECTION + ".sbatch_options";
            if (!(map.get("sbatch_options") instanceof List<?> list)) {
                problem(path, "expected a list of sbatch options, e.g. sbatch_options: [\"--account=lab\", \"--qos=normal\"], got "
                        + ConfigDocument.describe(map.get("sbatch_options")));
                return List.of();
            }
            List<String> options = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String itemPath = path + "[" + i + "]";
                if (!(list.get(i) instanceof String option) || !option.startsWith("-") || option.contains("\n")) {
                    problem(itemPath, "expected one sbatch option on one line, starting with - (e.g. \"--account=lab\"), got "
                            + ConfigDocument.describe(list.get(i)));
                    continue;
                }
                String name = option.split("[=\\s]", 2)[0];
                if (OWN_OPTIONS.contains(name)) {
                    problem(itemPath, name + " is set by lem itself (array, output files, folder, job name, signal);"
                            + " leave it out");
                    continue;
                }
                options.add(option);
            }
            return options;
        }

        private String text(Map<?, ?> map, String key, Pattern pattern, String expected) {
            if (!map.containsKey(key)) {
                return null;
            }
            Object value = map.get(key);
            if (value instanceof String s && !s.isBlank() && !s.contains("\n") && (pattern == null || pattern.matcher(s).matches())) {
                return s;
            }
            problem(SECTION + "." + key, "expected " + expected + ", got " + ConfigDocument.describe(value));
            return null;
        }

        private long whole(Map<?, ?> map, String key, long fallback, long min, long max) {
            if (!map.containsKey(key)) {
                return fallback;
            }
            Object value = map.get(key);
            if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.longValue() >= min
                    && n.longValue() <= max) {
                return n.longValue();
            }
            problem(SECTION + "." + key, "expected a whole number from " + min + " to " + max + ", got "
                    + ConfigDocument.describe(value));
            return fallback;
        }

        private void problem(String keyPath, String message) {
            Provenance origin = document.originOf(keyPath);
            problems.add(new ConfigProblem(file.toString(), keyPath, origin == null ? 0 : origin.line(), message));
        }
    }
}
