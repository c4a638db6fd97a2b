package lem.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A one-shot {@code lem campaign run} in its own process while another process (this test, standing
 * in for the long-lived host running a campaign) holds the host's GPU lock: refused at once, naming
 * the campaign and process that hold the GPUs, with nothing planned.
 */
class CampaignHostLockIT {
    private static final Path LEM = Path.of(System.getProperty("lem.it.distribution", "target/lem"), "bin", "lem");

    @TempDir
    Path folder;

    @Test
    void aOneShotCampaignIsRefusedNamingTheCampaignThatHoldsTheGpus() throws Exception {
        Path lockFile = folder.resolve("lem-host.lock");
        String holder = "campaign nightly-20261130T020000Z (process " + ProcessHandle.current().pid() + ", since 2026-11-30T02:00:00Z)";
        Path campaign = Files.writeString(folder.resolve("campaign.yaml"), """
                name: grid
                base: experiment.yaml
                grid:
                  batching.batch_size: [1, 2]
                """);
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = channel.lock()) {
            channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)));
            ProcessBuilder builder = new ProcessBuilder(LEM.toString(), "campaign", "run", campaign.toString())
                    .directory(folder.toFile())
                    .redirectOutput(folder.resolve("out.txt").toFile()).redirectError(folder.resolve("err.txt").toFile());
            builder.environment().put("LEM_HOST_LOCK", lockFile.toString());
            builder.environment().put("LEM_PLUGINS", Files.createDirectories(folder.resolve("plugins")).toString());
            builder.environment().remove("SLURM_JOB_ID");
            Process process = builder.start();
            if (!process.waitFor(180, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("lem campaign run did not exit within 180 s");
            }
            String err = Files.readString(folder.resolve("err.txt"));
            String transcript = "exit " + process.exitValue() + "\n" + Files.readString(folder.resolve("out.txt")) + "\n" + err;
            assertEquals(1, process.exitValue(), transcript);
            // the message is wrapped to the terminal's width
            assertTrue(err.replaceAll("\\s+", " ").contains("the GPUs of this host are held by " + holder + " (host lock "
                    + lockFile + ")"), transcript);
            assertFalse(err.contains("\tat "), "no stack trace:\n" + transcript);
            assertFalse(Files.exists(folder.resolve("results")), "nothing was planned: " + transcript);
        }
    }
}
