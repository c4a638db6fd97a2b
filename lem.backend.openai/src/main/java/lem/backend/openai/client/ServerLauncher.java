package lem.backend.openai.client;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import lem.api.backend.BackendException;
import lem.api.model.ModelSpec;

/** How one kind of server is started: its launch keys and the command they make. */
public interface ServerLauncher {
    /** The program's name for messages ({@code vllm serve}). */
    String program();

    /** The config keys that only launching uses (besides {@code executable} and the shared ones). */
    Set<String> launchKeys();

    /**
     * The command that serves {@code model} on {@code host:port}.
     *
     * @param executable the program to run (the config's {@code executable}, else the default)
     * @param spec       the model the config asks for (its precision and quantisation are defaults)
     * @param logFolder  where the server's log goes, for files the command needs (an options YAML)
     */
    List<String> command(String executable, ServerOptions options, ModelSpec spec, String model, String host, int port,
            Path logFolder) throws BackendException;

    /** The program run when {@code executable} is not set. */
    String defaultExecutable();

    /** Where its Prometheus page is. */
    String metricsPath();
}
