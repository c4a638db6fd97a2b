package lem.backend.openai.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * An executable stand-in for {@code vllm} or {@code trtllm-serve}: a shell script that records its
 * pid, arguments and {@code CUDA_VISIBLE_DEVICES} beside itself and runs {@link FakeOpenAiServer}
 * in a child JVM (not exec'd, so lem has a real process tree to stop).
 */
public final class StandIn {
    private StandIn() {
    }

    /**
     * @param environment set for the fake server ({@code FAKE_FAILURE}, {@code FAKE_EXIT_AT_START},
     *                    {@code FAKE_START_DELAY_MS})
     */
    public static Path script(Path folder, String name, Map<String, String> environment) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String env = environment.entrySet().stream().map(e -> e.getKey() + "='" + e.getValue() + "'")
                .collect(Collectors.joining(" "));
        String text = "#!/bin/sh\n"
                + "# stand-in for " + name + ": the loopback test server\n"
                + "here=$(dirname \"$0\")\n"
                + "echo $$ > \"$here/" + name + ".pid\"\n"
                + "echo \"$@\" > \"$here/" + name + ".args\"\n"
                + "echo \"CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES\" >> \"$here/" + name + ".args\"\n"
                + env + " '" + java + "' -Xshare:auto -XX:TieredStopAtLevel=1 -cp '"
                + System.getProperty("java.class.path") + "' " + FakeOpenAiServer.class.getName() + " \"$@\"\n"
                + "echo \"stand-in exited with $?\"\n";
        Path script = folder.resolve(name);
        Files.createDirectories(folder);
        Files.writeString(script, text);
        script.toFile().setExecutable(true);
        return script;
    }

    /** The pid the script recorded when it started. */
    public static long pid(Path script) throws IOException {
        return Long.parseLong(Files.readString(script.resolveSibling(script.getFileName() + ".pid")).strip());
    }

    /** The arguments and CUDA_VISIBLE_DEVICES it was started with. */
    public static String args(Path script) throws IOException {
        return Files.readString(script.resolveSibling(script.getFileName() + ".args"));
    }
}
