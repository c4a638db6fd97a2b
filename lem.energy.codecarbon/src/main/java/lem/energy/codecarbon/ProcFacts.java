package lem.energy.codecarbon;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the CodeCarbon method reads from procfs: the CPU model, count and sockets ({@code cpuinfo}),
 * total memory ({@code meminfo}) and CPU times ({@code stat}); where cpuinfo names no sockets, the
 * sockets from sysfs, read at the proc root's sibling {@code sys} ({@code /sys} for {@code /proc}).
 * The root is a parameter so that tests can use a fake tree.
 */
final class ProcFacts {
    /** Aggregate CPU times from the first line of /proc/stat, in clock ticks. */
    record CpuTimes(long busyTicks, long idleTicks) {
        long totalTicks() {
            return busyTicks + idleTicks;
        }
    }

    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private final Path procRoot;

    ProcFacts(Path procRoot) {
        this.procRoot = procRoot;
    }

    Path root() {
        return procRoot;
    }

    /** The first {@code model name} in cpuinfo (x86), else {@code Hardware} or {@code CPU part} (ARM). */
    Optional<String> cpuModel() {
        List<String> lines = lines("cpuinfo");
        for (String key : List.of("model name", "Hardware")) {
            for (String line : lines) {
                if (line.startsWith(key)) {
                    int colon = line.indexOf(':');
                    if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                        return Optional.of(line.substring(colon + 1).trim());
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Logical CPUs listed in cpuinfo. */
    int cpuCount() {
        int n = (int) lines("cpuinfo").stream().filter(l -> l.matches("processor\\s*:.*")).count();
        return n > 0 ? n : Runtime.getRuntime().availableProcessors();
    }

    /**
     * CPU sockets (physical packages): the distinct {@code physical id}s of cpuinfo; where cpuinfo
     * has none (ARM, some virtual machines), the distinct
     * {@code devices/system/cpu/cpu<n>/topology/physical_package_id} of sysfs; 1 when neither says.
     */
    int socketCount() {
        Set<String> ids = new HashSet<>();
        for (String line : lines("cpuinfo")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("physical id")) {
                ids.add(line.substring(colon + 1).trim());
            }
        }
        if (ids.isEmpty()) {
            Path cpus = sysRoot().resolve("devices/system/cpu");
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(cpus, "cpu[0-9]*")) {
                for (Path cpu : dirs) {
                    Path id = cpu.resolve("topology/physical_package_id");
                    if (Files.isRegularFile(id)) {
                        ids.add(Files.readString(id).trim());
                    }
                }
            } catch (IOException e) {
                return 1;
            }
        }
        return Math.max(1, ids.size());
    }

    /** The sysfs root beside the proc root: {@code /sys} for {@code /proc}, {@code <tree>/sys} for a test's tree. */
    Path sysRoot() {
        Path parent = procRoot.toAbsolutePath().getParent();
        return parent == null ? Path.of("/sys") : parent.resolve("sys");
    }

    /** MemTotal in GB of 2^30 bytes, as psutil's total / 1024^3 that CodeCarbon uses. */
    Optional<Double> totalMemoryGb() {
        for (String line : lines("meminfo")) {
            if (line.startsWith("MemTotal:")) {
                String[] parts = line.substring("MemTotal:".length()).trim().split("\\s+");
                return Optional.of(Long.parseLong(parts[0]) * 1024.0 / (1024.0 * 1024 * 1024)); // kB
            }
        }
        return Optional.empty();
    }

    /**
     * Aggregate CPU times; idle counts idle and iowait, as psutil's cpu_percent does. Called every
     * sample: reads only up to the aggregate line (the first), not the rest of stat, whose
     * per-CPU and interrupt lines run to many kilobytes on a large host.
     */
    Optional<CpuTimes> cpuTimes() {
        try (BufferedReader reader = Files.newBufferedReader(procRoot.resolve("stat"))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("cpu ")) {
                    return Optional.of(parseCpuLine(line));
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static CpuTimes parseCpuLine(String line) {
        String[] f = WHITESPACE.split(line.trim());
        long busy = 0;
        long idle = 0;
        // user nice system idle iowait irq softirq steal (guest is already inside user)
        for (int i = 1; i < Math.min(f.length, 9); i++) {
            long v = Long.parseLong(f[i]);
            if (i == 4 || i == 5) {
                idle += v;
            } else {
                busy += v;
            }
        }
        return new CpuTimes(busy, idle);
    }

    /** Busy fraction between two readings, 0 to 1; empty when no tick passed. */
    static Optional<Double> load(CpuTimes from, CpuTimes to) {
        long total = to.totalTicks() - from.totalTicks();
        if (total <= 0) {
            return Optional.empty();
        }
        return Optional.of(Math.max(0, Math.min(1, (double) (to.busyTicks() - from.busyTicks()) / total)));
    }

    private List<String> lines(String name) {
        try {
            return Files.readAllLines(procRoot.resolve(name));
        } catch (IOException e) {
            return List.of();
        }
    }
}
