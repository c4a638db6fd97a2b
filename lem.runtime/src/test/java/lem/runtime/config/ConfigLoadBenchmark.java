package lem.runtime.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Time to load and validate a config by its number of keys: a parent file with n backend settings
 * and a child that extends it and overrides every one of them (so every merge replaces values),
 * loaded the way {@code lem config validate} loads it. Prints numbers; asserts nothing.
 *
 * <p>{@code mvn -B -q -pl lem.runtime -am -Pbench package -DskipTests}
 * (key counts: {@code -Dbench.keys="10000 40000 150000"}).
 */
public final class ConfigLoadBenchmark {

    private ConfigLoadBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        List<Integer> counts = new ArrayList<>();
        for (String arg : args.length == 0 ? new String[] {"10000", "40000", "150000"} : args) {
            counts.add(Integer.parseInt(arg.trim()));
        }
        Path folder = Files.createTempDirectory("lem-config-bench");
        try {
            // one small run first so that class loading and JIT are not billed to the first size
            measure(folder, 2_000);
            System.out.println("keys      file KiB   load+validate ms   us per key");
            for (int keys : counts) {
                Result result = measure(folder, keys);
                System.out.printf(Locale.ROOT, "%-9d %-10d %-18.1f %.2f%n", keys, result.fileBytes() / 1024,
                        result.nanos() / 1e6, result.nanos() / 1e3 / keys);
            }
        } finally {
            try (Stream<Path> files = Files.walk(folder)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private record Result(long nanos, long fileBytes) {
    }

    private static Result measure(Path folder, int keys) throws IOException {
        Path parent = folder.resolve("parent-" + keys + ".yaml");
        Path child = folder.resolve("child-" + keys + ".yaml");
        Files.writeString(parent, settings(keys, 1));
        Files.writeString(child, "_extends: " + parent.getFileName() + "\n" + settings(keys, 2));
        long start = System.nanoTime();
        LoadedConfig loaded = ConfigLoader.load(child, List.of());
        List<ConfigProblem> problems = ConfigLoader.validate(loaded, Set.of("djl"));
        long nanos = System.nanoTime() - start;
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the benchmark config is invalid: " + problems.get(0));
        }
        return new Result(nanos, Files.size(parent) + Files.size(child));
    }

    /** {@code backend.djl} holds the backend's own settings, which the schema leaves open. */
    private static String settings(int keys, int value) {
        StringBuilder text = new StringBuilder("backend:\n  djl:\n");
        for (int i = 0; i < keys; i++) {
            text.append("    s").append(i).append(": ").append(value).append('\n');
        }
        return text.toString();
    }
}
