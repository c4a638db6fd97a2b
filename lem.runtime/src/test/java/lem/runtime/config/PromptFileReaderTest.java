package lem.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
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
}
