package lem.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A jar in plugins/ that FileInstall could not install is named, with the reason, not skipped silently. */
class PluginFolderTest {

    @TempDir
    Path plugins;

    private Path jar(String name, String symbolicName) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (symbolicName != null) {
            manifest.getMainAttributes().putValue("Bundle-SymbolicName", symbolicName);
        }
        Path file = plugins.resolve(name);
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.putNextEntry(new ZipEntry("lem/example/Backend.class"));
            byte[] body = new byte[4096];
            Arrays.fill(body, (byte) 7);
            jar.write(body);
            jar.closeEntry();
        }
        return file;
    }

    @Test
    void aTruncatedJarAndAJarThatIsNoBundleAreListedWithTheirReason() throws IOException {
        Path installed = jar("good.jar", "lem.example.backend");
        Path whole = jar("cut.jar", "lem.example.copy");
        byte[] bytes = Files.readAllBytes(whole);
        Files.write(whole, Arrays.copyOf(bytes, bytes.length / 2));
        jar("plain.jar", null);
        jar("pending.jar", "lem.example.pending");
        Files.writeString(plugins.resolve("nvml.cfg"), "sample.interval.ms=50\n");

        List<PluginFolder.Unusable> unusable = PluginFolder.unusable(plugins, List.of(installed.toUri().toString()));

        assertEquals(List.of("cut.jar", "pending.jar", "plain.jar"),
                unusable.stream().map(u -> u.file().getFileName().toString()).toList(),
                "the installed jar and the .cfg file are not listed");
        assertTrue(unusable.get(0).toString().startsWith("plugins/cut.jar: not installed: not a readable jar ("),
                unusable.get(0).toString());
        assertTrue(unusable.get(0).reason().endsWith("truncated or corrupt? copy it again"), unusable.get(0).reason());
        assertTrue(unusable.get(1).reason().startsWith("not installed (yet)"), unusable.get(1).reason());
        assertEquals("not installed: its manifest has no Bundle-SymbolicName, so it is no OSGi bundle",
                unusable.get(2).reason());
    }

    @Test
    void theWatchLogsEachBrokenJarOnceUntilItChanges() throws IOException {
        Path cut = jar("cut.jar", "lem.example.copy");
        Files.write(cut, Arrays.copyOf(Files.readAllBytes(cut), 100));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PluginFolderWatch watch = new PluginFolderWatch(() -> PluginFolder.unusable(plugins, List.of()),
                new PrintStream(log, true, StandardCharsets.UTF_8));

        watch.check();
        watch.check();
        Files.write(cut, Arrays.copyOf(Files.readAllBytes(cut), 50));
        watch.check();

        List<String> lines = log.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), "once, and again after the file changed: " + lines);
        assertTrue(lines.get(0).startsWith("lem: warning: plugins/cut.jar: not installed: not a readable jar"),
                lines.get(0));
    }
}
