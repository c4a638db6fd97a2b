package lem.app;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real one-node Slurm for a test: munged, slurmctld and slurmd from Debian's packages, started
 * with a configuration of their own in a temporary folder (own munge socket and key, free ports,
 * own spool, state, PID and log files), so that nothing of the host's Slurm, if any, is touched.
 * {@link #close()} stops every daemon it started, by the PIDs in their PID files, however the test
 * ended.
 */
final class OneNodeSlurm implements AutoCloseable {
    private static final List<String> BINARIES = List.of("munged", "munge", "slurmctld", "slurmd", "sbatch", "squeue",
            "scancel", "sinfo");
    private static final long START_TIMEOUT_SECONDS = 60;

    private final Path dir;
    private final Path conf;
    private final List<Path> pidFiles = new ArrayList<>();

    OneNodeSlurm(Path dir) {
        this.dir = dir;
        this.conf = dir.resolve("slurm.conf");
    }

    /** The {@code SLURM_CONF} that Slurm's commands (and lem's calls of them) must get. */
    Path conf() {
        return conf;
    }

    /** Starts munged, slurmctld and slurmd; fails (never skips) when Slurm is not installed or does not come up. */
    OneNodeSlurm start() throws Exception {
        List<String> missing = BINARIES.stream().filter(b -> binary(b).isEmpty()).toList();
        if (!missing.isEmpty()) {
            fail("Slurm is not installed here: no " + String.join(", ", missing) + " on the PATH or in /usr/sbin. Run"
                    + " .ci/deps (it installs slurm-wlm and munge from Debian's packages), then the tests again.");
        }
        if (!"0".equals(output(List.of("id", "-u")).strip())) {
            fail("slurmd must run as root to start jobs; run this test as root (as CI does)");
        }
        Path munge = Files.createDirectories(dir.resolve("munge"));
        Files.setPosixFilePermissions(munge, PosixFilePermissions.fromString("rwx------"));
        Path key = munge.resolve("munge.key");
        byte[] secret = new byte[1024];
        new SecureRandom().nextBytes(secret);
        Files.write(key, secret);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------"));
        Path socket = munge.resolve("munge.socket");
        Path mungePid = munge.resolve("munged.pid");
        pidFiles.add(mungePid);
        daemon(List.of(binary("munged").get(), "--force", "--socket=" + socket, "--key-file=" + key,
                "--pid-file=" + mungePid, "--log-file=" + munge.resolve("munged.log"),
                "--seed-file=" + munge.resolve("munged.seed")), mungePid);

        String host = output(List.of("hostname", "-s")).strip();
        int ctldPort = freePort();
        int slurmdPort = freePort();
        Files.createDirectories(dir.resolve("state"));
        Files.createDirectories(dir.resolve("spool"));
        int cpus = Runtime.getRuntime().availableProcessors();
        Files.writeString(conf, String.join("\n",
                "ClusterName=lemtest",
                "SlurmctldHost=" + host,
                "SlurmUser=root",
                "SlurmdUser=root",
                "SlurmctldPort=" + ctldPort,
                "SlurmdPort=" + slurmdPort,
                "AuthType=auth/munge",
                "CredType=cred/munge",
                "AuthInfo=socket=" + socket,
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core",
                "StateSaveLocation=" + dir.resolve("state"),
                "SlurmdSpoolDir=" + dir.resolve("spool"),
                "SlurmctldPidFile=" + dir.resolve("slurmctld.pid"),
                "SlurmdPidFile=" + dir.resolve("slurmd.pid"),
                "SlurmctldLogFile=" + dir.resolve("slurmctld.log"),
                "SlurmdLogFile=" + dir.resolve("slurmd.log"),
                "AccountingStorageType=accounting_storage/none",
                "JobCompType=jobcomp/none",
                "JobAcctGatherType=jobacct_gather/none",
                "MpiDefault=none",
                "ReturnToService=2",
                "SchedulerParameters=sched_interval=1",
                "KillWait=5",
                "NodeName=" + host + " CPUs=" + cpus + " RealMemory=2048 State=UNKNOWN",
                "PartitionName=lemtest Nodes=" + host + " Default=YES MaxTime=INFINITE State=UP", ""));
        pidFiles.add(dir.resolve("slurmctld.pid"));
        daemon(List.of(binary("slurmctld").get()), dir.resolve("slurmctld.pid"));
        pidFiles.add(dir.resolve("slurmd.pid"));
        daemon(List.of(binary("slurmd").get()), dir.resolve("slurmd.pid"));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        String state = "";
        while (System.nanoTime() < deadline) {
            state = output(List.of("sinfo", "--noheader", "--format=%t")).strip();
            if (state.equals("idle")) {
                return this;
            }
            Thread.sleep(250);
        }
        fail("the one-node Slurm did not come up in " + START_TIMEOUT_SECONDS + " s (sinfo says '" + state + "')\n"
                + logs());
        return this;
    }

    /** Runs a Slurm command against this cluster; its stdout. */
    String run(String... command) throws IOException, InterruptedException {
        return output(List.of(command));
    }

    /** The daemons' logs, for a failure message. */
    String logs() throws IOException {
        StringBuilder text = new StringBuilder();
        for (String log : List.of("slurmctld.log", "slurmd.log", "munge/munged.log")) {
            Path file = dir.resolve(log);
            if (Files.isRegularFile(file)) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                text.append("--- ").append(log).append(" (last lines)\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()))).append('\n');
            }
        }
        return text.toString();
    }

    /** Stops slurmd, slurmctld and munged (in that order) by their PID files, waiting for each to end. */
    @Override
    public void close() throws Exception {
        List<Path> reversed = new ArrayList<>(pidFiles);
        java.util.Collections.reverse(reversed);
        for (Path pidFile : reversed) {
            if (!Files.isRegularFile(pidFile)) {
                continue;
            }
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            Optional<ProcessHandle> process = ProcessHandle.of(pid);
            if (process.isEmpty()) {
                continue;
            }
            process.get().destroy();
            try {
                process.get().onExit().get(15, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                process.get().destroyForcibly();
            }
        }
    }

    /** A daemon that forks: started, and waited for until its PID file names a live process. */
    private void daemon(List<String> command, Path pidFile) throws Exception {
        Process p = builder(command).redirectErrorStream(true).redirectOutput(dir.resolve(
                Path.of(command.get(0)).getFileName() + ".start.log").toFile()).start();
        if (!p.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", command) + " did not start: " + Files.readString(dir.resolve(
                    Path.of(command.get(0)).getFileName() + ".start.log")) + "\n" + logs());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(pidFile) && !Files.readString(pidFile).isBlank()
                    && ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).isPresent()) {
                return;
            }
            Thread.sleep(50);
        }
        fail(command.get(0) + " wrote no PID file " + pidFile + "\n" + logs());
    }

    private ProcessBuilder builder(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().put("SLURM_CONF", conf.toString());
        return builder;
    }

    private String output(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "cmd", ".out");
        Process p = builder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not end in 60 s");
        }
        String text = Files.readString(out);
        Files.delete(out);
        return text;
    }

    private static Optional<String> binary(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin"));
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, name)).filter(Files::isExecutable)
                .map(Path::toString).findFirst();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
