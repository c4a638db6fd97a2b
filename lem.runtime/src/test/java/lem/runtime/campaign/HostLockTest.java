package lem.runtime.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The host lock across real processes: another JVM holds it, this one is refused by name, kill -9 frees it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostLockTest {
    @TempDir
    Path dir;

    /** The other process: takes the lock for a campaign, says so, and holds it until killed. */
    public static void main(String[] args) throws Exception {
        HostLock lock = HostLock.acquire(Path.of(args[0]), HostLock.describe(args[1]));
        System.out.println("held " + lock.file());
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    }

    @Test
    void aCampaignOfAnotherProcessIsRefusedByNameUntilThatProcessDies() throws Exception {
        Path file = dir.resolve("lem-host.lock");
        Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), HostLockTest.class.getName(), file.toString(), "nightly-20261130")
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertEquals("held " + file, line);

            assertEquals(Optional.empty(), HostLock.tryAcquire(file, HostLock.describe("mine")));
            CampaignException refused = org.junit.jupiter.api.Assertions.assertThrows(CampaignException.class,
                    () -> HostLock.acquire(file, HostLock.describe("mine")));
            assertTrue(refused.getMessage().startsWith("the GPUs of this host are held by campaign nightly-20261130 (process "
                    + other.pid() + ", since "), refused.getMessage());
            assertTrue(refused.getMessage().contains("lem:campaign pause|cancel"), refused.getMessage());

            other.destroyForcibly(); // kill -9: no cleanup ran
            assertTrue(other.waitFor(30, TimeUnit.SECONDS));
            try (HostLock mine = HostLock.acquire(file, HostLock.describe("mine"))) {
                assertTrue(HostLock.holder(file).startsWith("campaign mine (process " + ProcessHandle.current().pid()));
                // a second holder in this same process is refused too
                assertFalse(HostLock.tryAcquire(file, "again").isPresent());
            }
            assertTrue(HostLock.tryAcquire(file, "after").map(l -> {
                try {
                    l.close();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return true;
            }).orElse(false), "released on close");
        } finally {
            other.destroyForcibly();
        }
    }
}
