package lem.backend.openai.client;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import lem.api.backend.BackendException;

/**
 * A server lem launched ({@code vllm serve}, {@code trtllm-serve}): its output goes to a log
 * file, and {@link #close} stops the whole process tree (children first asked politely, then
 * killed), as does a shutdown hook if lem exits first.
 */
public final class ServerProcess implements AutoCloseable {
    private static final long GRACE_MILLIS = 10_000;
    private static final int LOG_TAIL_LINES = 15;

    private final Process process;
    private final Path log;
    private final List<String> command;
    private final Thread hook;

    private ServerProcess(Process process, Path log, List<String> command) {
        this.process = process;
        this.log = log;
        this.command = List.copyOf(command);
        this.hook = new Thread(this::stopTree, "lem-stop-server-" + process.pid());
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Starts {@code command} with {@code environment} added to lem's, writing its output (stdout and
     * stderr) to {@code log}.
     */
    public static ServerProcess start(List<String> command, Map<String, String> environment, Path log)
            throws BackendException {
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new BackendException("cannot create the folder of the server log " + log + ": " + e.getMessage());
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        builder.environment().putAll(environment);
        try {
            return new ServerProcess(builder.start(), log, command);
        } catch (IOException e) {
            throw new BackendException("cannot start " + command.get(0) + " (" + e.getMessage()
                    + "): is it installed and on the PATH, or set its path with the executable key?");
        }
    }

    /** A TCP port free on the loopback interface now. */
    public static int freePort() throws BackendException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new BackendException("no free port for the server: " + e.getMessage());
        }
    }

    public Path log() {
        return log;
    }

    public List<String> command() {
        return command;
    }

    public long pid() {
        return process.pid();
    }

    /** Null while it runs; else its exit code and the end of its log. */
    public String deathReason() {
        if (process.isAlive()) {
            return null;
        }
        return command.get(0) + " exited with code " + process.exitValue() + "; the end of its log (" + log + "):\n"
                + logTail();
    }

    /** The last lines of the log. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Stops the server and everything it started. */
    @Override
    public void close() {
        stopTree();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down and runs the hook itself
        }
    }

    private void stopTree() {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.currentTimeMillis() + GRACE_MILLIS;
        for (ProcessHandle p : tree) {
            long left = deadline - System.currentTimeMillis();
            try {
                if (left > 0) {
                    p.onExit().get(left, TimeUnit.MILLISECONDS);
                }
            } catch (Exception e) {
                // still running after the grace period: killed below
            }
        }
        for (ProcessHandle p : tree) {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
