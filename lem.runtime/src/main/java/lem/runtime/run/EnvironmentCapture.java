package lem.runtime.run;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a reader of a result needs to know about the machine: OS, CPU, memory, JVM, CPU frequency
 * governor, container or VM. Read from {@code /proc} and {@code /sys} under a root that tests
 * can replace with a fake tree. Anything unreadable is recorded as {@code unknown}, never guessed.
 */
public final class EnvironmentCapture {
    /** What a redacted value is replaced by. */
    static final String REDACTED = "<redacted>";
    /** Names that look like they hold a secret. */
    private static final Pattern SECRET_NAME = Pattern.compile(
            "(?i).*(key|token|secret|passw|pwd|credential|auth).*");
    /** {@code name=value} inside an argument (agent options, {@code -Dlem.arg.N=k=v}). */
    private static final Pattern SECRET_PAIR = Pattern.compile(
            "(?i)([A-Za-z0-9_.-]*(?:key|token|secret|passw|pwd|credential|auth)[A-Za-z0-9_.-]*)=([^,;&\\s]*)");

    private final Path root;
    private final List<String> jvmArguments;

    public EnvironmentCapture(Path root) {
        this(root, ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    EnvironmentCapture(Path root, List<String> jvmArguments) {
        this.root = root;
        this.jvmArguments = List.copyOf(jvmArguments);
    }

    public EnvironmentCapture() {
        this(Path.of("/"));
    }

    public Map<String, Object> capture() {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("os_name", System.getProperty("os.name"));
        env.put("os_version", System.getProperty("os.version"));
        env.put("os_arch", System.getProperty("os.arch"));
        env.put("kernel", firstLine("proc/version"));
        env.put("hostname", hostname());
        env.put("cpu_model", cpuInfo("model name"));
        env.put("cpu_logical_cores", Runtime.getRuntime().availableProcessors());
        env.put("memory_total_bytes", memTotalBytes());
        env.put("cpu_governor", firstLine("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"));
        env.put("container", container());
        env.put("virtualisation", virtualisation());
        env.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                + System.getProperty("java.vendor") + ")");
        env.put("jvm_arguments", jvmArguments.stream().map(EnvironmentCapture::redacted).toList());
        return env;
    }

    /**
     * A JVM argument with the value of every setting whose name looks secret (key, token, secret,
     * password, credential, auth) replaced: {@code -Dmy.api.key=abc} becomes
     * {@code -Dmy.api.key=<redacted>}, and so does {@code api_key=abc} inside agent options or a
     * {@code -Dlem.arg.N=--set ...} argument. Environment variables are never read.
     */
    static String redacted(String argument) {
        if (argument.startsWith("-D")) {
            int equals = argument.indexOf('=');
            if (equals > 0 && SECRET_NAME.matcher(argument.substring(2, equals)).matches()) {
                return argument.substring(0, equals + 1) + REDACTED;
            }
        }
        return SECRET_PAIR.matcher(argument).replaceAll(pair -> Matcher.quoteReplacement(pair.group(1) + "=" + REDACTED));
    }

    String firstLine(String relative) {
        try {
            List<String> lines = Files.readAllLines(root.resolve(relative));
            return lines.isEmpty() ? "unknown" : lines.get(0).trim();
        } catch (IOException | SecurityException e) {
            return "unknown";
        }
    }

    String cpuInfo(String key) {
        try {
            for (String line : Files.readAllLines(root.resolve("proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                    return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException | SecurityException e) {
            return "unknown";
        }
        return "unknown";
    }

    Object memTotalBytes() {
        try {
            for (String line : Files.readAllLines(root.resolve("proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    String[] parts = line.substring(9).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024; // meminfo is in kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
        return "unknown";
    }

    /** From the kernel, else from the JVM; never from an environment variable. */
    private String hostname() {
        String h = firstLine("proc/sys/kernel/hostname");
        if (!"unknown".equals(h)) {
            return h;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | SecurityException e) {
            return "unknown";
        }
    }

    /** docker, podman, kubernetes, lxc, or none; the evidence decides, not the name of the host. */
    String container() {
        List<String> found = new ArrayList<>();
        if (Files.exists(root.resolve(".dockerenv"))) {
            found.add("docker");
        }
        if (Files.exists(root.resolve("run/.containerenv"))) {
            found.add("podman");
        }
        try {
            String cgroup = Files.readString(root.resolve("proc/1/cgroup")).toLowerCase(Locale.ROOT);
            if (cgroup.contains("kubepods")) {
                found.add("kubernetes");
            } else if (cgroup.contains("docker") && !found.contains("docker")) {
                found.add("docker");
            } else if (cgroup.contains("lxc")) {
                found.add("lxc");
            }
        } catch (IOException | SecurityException e) {
            // no cgroup file: nothing to add
        }
        return found.isEmpty() ? "none" : String.join(",", found);
    }

    /** The hypervisor when the CPU says it runs under one, from DMI where readable. */
    String virtualisation() {
        String flags = cpuInfo("flags");
        boolean hypervisor = (" " + flags + " ").contains(" hypervisor ");
        String vendor = firstLine("sys/class/dmi/id/sys_vendor");
        String product = firstLine("sys/class/dmi/id/product_name");
        if (!hypervisor) {
            return "unknown".equals(flags) ? "unknown" : "none (bare metal)";
        }
        String dmi = (vendor + " " + product).toLowerCase(Locale.ROOT);
        for (String name : List.of("kvm", "qemu", "vmware", "virtualbox", "xen", "microsoft", "amazon", "google")) {
            if (dmi.contains(name)) {
                return "vm (" + vendor + " " + product + ")";
            }
        }
        return "vm (hypervisor flag; vendor " + vendor + ")";
    }
}
