package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvironmentCaptureTest {
    @TempDir
    Path root;

    private void file(String relative, String text) throws IOException {
        Path f = root.resolve(relative);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
    }

    private Map<String, Object> capture() {
        return new EnvironmentCapture(root).capture();
    }

    @Test
    void readsEachFieldFromTheTree() throws IOException {
        file("proc/cpuinfo", """
                processor\t: 0
                vendor_id\t: GenuineIntel
                model name\t: Intel(R) Xeon(R) Platinum 8480+
                flags\t\t: fpu vme sse2 avx512f
                """);
        file("proc/meminfo", "MemTotal:       16384 kB\nMemFree:         1024 kB\n");
        file("proc/version", "Linux version 6.8.0-test (gcc 13)\n");
        file("proc/sys/kernel/hostname", "bench-07\n");
        file("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance\n");

        Map<String, Object> env = capture();

        assertEquals("Intel(R) Xeon(R) Platinum 8480+", env.get("cpu_model"));
        assertEquals(16384L * 1024, env.get("memory_total_bytes"));
        assertEquals("Linux version 6.8.0-test (gcc 13)", env.get("kernel"));
        assertEquals("bench-07", env.get("hostname"));
        assertEquals("performance", env.get("cpu_governor"));
        assertEquals("none", env.get("container"));
        assertEquals("none (bare metal)", env.get("virtualisation"));
        assertEquals(Runtime.getRuntime().availableProcessors(), env.get("cpu_logical_cores"));
    }

    @Test
    void theHypervisorFlagWithDmiNamesTheVm() throws IOException {
        file("proc/cpuinfo", "model name\t: QEMU Virtual CPU\nflags\t\t: fpu sse2 hypervisor avx\n");
        file("sys/class/dmi/id/sys_vendor", "QEMU\n");
        file("sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
        assertEquals("vm (QEMU Standard PC (Q35 + ICH9, 2009))", capture().get("virtualisation"));
    }

    @Test
    void theHypervisorFlagWithoutDmiStillSaysVm() throws IOException {
        file("proc/cpuinfo", "flags\t\t: fpu hypervisor\n");
        assertEquals("vm (hypervisor flag; vendor unknown)", capture().get("virtualisation"));
    }

    @Test
    void containersFromTheirEvidence() throws IOException {
        file(".dockerenv", "");
        assertEquals("docker", capture().get("container"));
        Files.delete(root.resolve(".dockerenv"));
        file("proc/1/cgroup", "0::/kubepods/besteffort/pod1234/abcd\n");
        assertEquals("kubernetes", capture().get("container"));
        file("proc/1/cgroup", "12:cpu:/lxc/web01\n");
        assertEquals("lxc", capture().get("container"));
        file("run/.containerenv", "");
        assertEquals("podman,lxc", capture().get("container"));
    }

    @Test
    void missingFilesGiveUnknownNotAGuess() {
        Map<String, Object> env = capture();
        assertEquals("unknown", env.get("cpu_model"));
        assertEquals("unknown", env.get("memory_total_bytes"));
        assertEquals("unknown", env.get("kernel"));
        assertEquals("unknown", env.get("cpu_governor"));
        assertEquals("unknown", env.get("virtualisation"));
        assertEquals("none", env.get("container"));
    }

    @Test
    void aGarbledMeminfoIsUnknown() throws IOException {
        file("proc/meminfo", "MemTotal:       lots kB\n");
        assertEquals("unknown", capture().get("memory_total_bytes"));
    }

    @Test
    void jvmArgumentsWithSecretNamesAreRedacted() throws Exception {
        List<String> arguments = List.of("-Xmx2g", "-Dmy.api.key=sk-live-4242", "-DdbPassword=hunter2hunter2",
                "-Dservice.TOKEN=tok-9a9a", "-Dclient_secret=cs-1b1b", "-Daws.credentials=cred-2c2c",
                "-Dlem.arg.4=backend.djl.api_token=tok-3d3d", "-javaagent:/opt/agent.jar=apikey=ak-5e5e,verbose=true",
                "-Dlem.plugins=/opt/lem/plugins", "-XX:+UseG1GC");

        Map<String, Object> env = new EnvironmentCapture(root, arguments).capture();

        assertEquals(List.of("-Xmx2g", "-Dmy.api.key=<redacted>", "-DdbPassword=<redacted>",
                "-Dservice.TOKEN=<redacted>", "-Dclient_secret=<redacted>", "-Daws.credentials=<redacted>",
                "-Dlem.arg.4=backend.djl.api_token=<redacted>", "-javaagent:/opt/agent.jar=apikey=<redacted>,verbose=true",
                "-Dlem.plugins=/opt/lem/plugins", "-XX:+UseG1GC"), env.get("jvm_arguments"));
        String json = new ObjectMapper().writeValueAsString(env);
        for (String secret : List.of("sk-live", "hunter2", "tok-9a9a", "cs-1b1b", "cred-2c2c", "tok-3d3d", "ak-5e5e")) {
            assertFalse(json.contains(secret), secret + " leaked into " + json);
        }
    }

    /**
     * The build sets HOSTNAME and LEM_TEST_API_TOKEN for the test JVM (lem.runtime/pom.xml); neither
     * value may appear, not even as the host name when the kernel's is unreadable.
     */
    @Test
    void noEnvironmentVariableValueIsRecorded() throws Exception {
        assertEquals("env-token-5e2a9b", System.getenv("LEM_TEST_API_TOKEN"), "set by the surefire configuration");
        assertEquals("env-hostname-7c1f", System.getenv("HOSTNAME"), "set by the surefire configuration");

        String json = new ObjectMapper().writeValueAsString(capture());

        assertFalse(json.contains("env-token-5e2a9b"), json);
        assertFalse(json.contains("env-hostname-7c1f"), "the host name comes from the kernel or the JVM: " + json);
    }
}
