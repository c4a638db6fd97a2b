package lem.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class PromptFileReaderTest {

    @TempDir
    Path folder;

    @Test
    void textFileHasOnePromptPerNonBlankLine() throws Exception {
        Path file = new ConfigFiles(folder).write("p.txt", "first prompt\n\nsecond: with colon\n");

        assertEquals(List.of("first prompt", "second: with colon"), PromptFileReader.read(file));
    }

    @Test
    void jsonLinesFileTakesThePromptField() throws Exception {
        Path file = new ConfigFiles(folder).write("p.jsonl",
                "{\"prompt\": \"a\\nb\", \"id\": 1}\n{\"prompt\": \"c\"}\n");

        assertEquals(List.of("a\nb", "c"), PromptFileReader.read(file));
    }

    @Test
    void badJsonLineIsReportedWithItsLine() {
        Path file = new ConfigFiles(folder).write("p.jsonl", "{\"prompt\": \"a\"}\n\n{\"prompt\": \n");

        ConfigProblem problem = assertThrows(PromptFileReader.InvalidPromptFileException.class,
                () -> PromptFileReader.read(file)).problem();

        assertEquals(3, problem.line());
        assertTrue(problem.message().startsWith("not a JSON object"), problem.message());
    }

    @Test
    void otherExtensionsAndEmptyFilesAreRefused() {
        ConfigFiles files = new ConfigFiles(folder);
        Path csv = files.write("p.csv", "a\n");
        Path empty = files.write("p.txt", "\n\n");

        assertTrue(assertThrows(PromptFileReader.InvalidPromptFileException.class,
                () -> PromptFileReader.read(csv)).problem().message().contains(".txt"));
        assertTrue(assertThrows(PromptFileReader.InvalidPromptFileException.class,
                () -> PromptFileReader.read(empty)).problem().message().contains("no prompts"));
    }

    @Test
    @Timeout(60)
    void aDeviceOrAFifoIsRefusedWithoutBeingRead() throws Exception {
        Path zero = Files.createSymbolicLink(folder.resolve("zero.txt"), Path.of("/dev/zero"));
        Path fifo = folder.resolve("fifo.jsonl");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());

        for (Path file : List.of(zero, fifo)) {
            ConfigProblem problem = assertThrows(PromptFileReader.InvalidPromptFileException.class,
                    () -> PromptFileReader.read(file)).problem();
            assertTrue(problem.message().startsWith("is not a regular file (a device, FIFO or socket)"),
                    problem.message());
        }
    }

    @Test
    void aPromptFileOverTheLimitIsRefusedBeforeItIsRead() throws Exception {
        Path big = folder.resolve("big.txt");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(PromptFileReader.MAX_PROMPT_FILE_BYTES + 1); // sparse: no disk used
        }
        ConfigProblem problem = assertThrows(PromptFileReader.InvalidPromptFileException.class,
                () -> PromptFileReader.read(big)).problem();
        assertTrue(problem.message().contains("larger than the 64.0 MiB a prompt file may be"), problem.message());
    }
}
