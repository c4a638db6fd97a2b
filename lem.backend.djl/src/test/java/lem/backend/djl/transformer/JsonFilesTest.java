package lem.backend.djl.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broken config.json is named with gson's reason, without its class names or troubleshooting links. */
class JsonFilesTest {

    @TempDir
    Path folder;

    @Test
    void malformedJsonGivesTheReasonAndWhere() throws Exception {
        Path file = Files.writeString(folder.resolve("config.json"), "{\"n_embd\": 64,\n \"n_layer\": }\n");

        String message = assertThrows(ConfigException.class, () -> JsonFiles.readObject(file)).getMessage();

        assertTrue(message.startsWith(file + " is not valid JSON: "), message);
        assertTrue(message.contains("line 2"), message);
        assertFalse(message.contains("com.google.gson") || message.contains("Exception"), message);
        assertFalse(message.contains("http"), "no troubleshooting link: " + message);
    }

    @Test
    void truncatedJsonAndBinaryFilesSayWhatTheyAre() throws Exception {
        Path cut = Files.writeString(folder.resolve("cut.json"), "{\"n_embd\": 64, \"n_la");
        String truncated = assertThrows(ConfigException.class, () -> JsonFiles.readObject(cut)).getMessage();
        assertFalse(truncated.contains("com.google.gson") || truncated.contains("http"), truncated);

        Path binary = Files.write(folder.resolve("bin.json"), new byte[] {'{', (byte) 0xFF, (byte) 0xFE, '}'});
        assertEquals(binary + " is not UTF-8 text (a binary file?); expected a JSON object",
                assertThrows(ConfigException.class, () -> JsonFiles.readObject(binary)).getMessage());
    }

    @Test
    void aGoodFileKeepsIntegersIntegral() throws Exception {
        Path file = Files.writeString(folder.resolve("config.json"), "{\"vocab_size\": 50257, \"eps\": 1e-5}");
        assertEquals(Map.of("vocab_size", 50257, "eps", 1e-5), JsonFiles.readObject(file));
    }
}
