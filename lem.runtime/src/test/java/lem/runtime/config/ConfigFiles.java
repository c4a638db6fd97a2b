package lem.runtime.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Writes config files into a test's temporary folder. */
final class ConfigFiles {

    private final Path root;

    ConfigFiles(Path root) {
        this.root = root;
    }

    Path write(String relativePath, String text) {
        Path file = root.resolve(relativePath);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    static String problemsText(List<ConfigProblem> problems) {
        return problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n"));
    }

    static LoadedConfig load(Path file, String... overrides) {
        return ConfigLoader.load(file, List.of(overrides));
    }

    static final Set<String> BACKENDS = Set.of("djl", "vllm", "tensorrt");
}
