package lem.energy.nvml;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The fake libnvidia-ml built from src/test/c/fake_nvml.c: the same shared library that the
 * source under test loads through its real JNA binding, plus the fake's own control functions.
 * Public, with the library in this module's test-jar, for other modules' tests.
 */
public final class FakeNvml {
    /** Built by the pom (exec-maven-plugin, gcc) before the tests run; found on the class path otherwise. */
    public static final String LIBRARY = System.getProperty("fake.nvml.library", fromClassPath());

    private static final String FILE_NAME = "libfake_nvml.so";

    interface Control extends Library {
        int fake_nvml_load_script(String path);

        int fake_nvml_init_depth();

        long fake_nvml_call_count(String what);

        long fake_nvml_epoch_ns();

        double fake_nvml_profile_joules(String uuid, long fromNanos, long toNanos);
    }

    private static final Control CONTROL = Native.load(LIBRARY, Control.class);

    private FakeNvml() {
    }

    /** The library as a file: where the test classes are a folder, in place; in the test-jar, copied out. */
    private static String fromClassPath() {
        URL resource = FakeNvml.class.getResource("/" + FILE_NAME);
        if (resource == null) {
            return Paths.get("target", "test-classes", FILE_NAME).toAbsolutePath().toString();
        }
        try {
            if ("file".equals(resource.getProtocol())) {
                return Paths.get(resource.toURI()).toString();
            }
            Path copy = Files.createTempFile("fake_nvml", ".so");
            copy.toFile().deleteOnExit();
            try (InputStream in = resource.openStream()) {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            return copy.toString();
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot load the fake NVML from " + resource, e);
        }
    }

    /** Replaces the fake's state with this script (see fake_nvml.c for the directives). */
    public static void script(Path folder, String text) {
        try {
            Path file = Files.createTempFile(folder, "fake", ".nvml");
            Files.writeString(file, text);
            if (CONTROL.fake_nvml_load_script(file.toString()) != 0) {
                throw new IllegalStateException("fake NVML could not read " + file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** nvmlInit_v2 calls not yet matched by nvmlShutdown. */
    public static int initDepth() {
        return CONTROL.fake_nvml_init_depth();
    }

    /** Calls since the script was loaded: "energy", "power", "fields" or "event_reasons". */
    public static long calls(String what) {
        return CONTROL.fake_nvml_call_count(what);
    }

    /** {@link System#nanoTime()} when the script was loaded: where a power_profile's time starts. */
    static long epochNanos() {
        return CONTROL.fake_nvml_epoch_ns();
    }

    /** The exact energy of a device's power_profile between two instants, J (computed by the fake). */
    static double profileJoules(String uuid, long fromNanos, long toNanos) {
        return CONTROL.fake_nvml_profile_joules(uuid, fromNanos, toNanos);
    }

    public static NvmlEnergySource source() {
        return new NvmlEnergySource(LIBRARY, 100);
    }
}
