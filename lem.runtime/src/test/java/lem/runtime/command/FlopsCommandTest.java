package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `lem flops` refuses a request that needs more positions than the model has. */
class FlopsCommandTest {
    @TempDir
    Path folder;

    @Test
    void aPromptLongerThanTheModelsPositionsIsRefusedNamingTheKey() throws Exception {
        Path config = folder.resolve("config.json");
        Files.writeString(config, "{\"model_type\": \"llama\", \"max_position_embeddings\": 2048}");

        CommandFailure failure = assertThrows(CommandFailure.class,
                () -> new PluginCommands((lem.runtime.plugin.PluginCatalog) null).flops(config.toString(), "--prompt",
                        "4000", "--new", "10"));

        assertEquals("lem flops: --prompt 4000 and --new 10 need 4009 positions, but the model has 2048 "
                + "(max_position_embeddings in " + config + "); use at most 2048 prompt + new - 1 tokens",
                failure.getMessage());
    }

    @Test
    void theLastGeneratedTokenNeedsNoPosition() {
        Path config = folder.resolve("config.json");
        // gpt2 names its positions n_positions: 2040 + 9 - 1 = 2048 fits, one more does not
        assertDoesNotThrow(() -> PluginCommands.checkPositions(config, Map.of("n_positions", 2048), 2040, 9));
        assertThrows(CommandFailure.class, () -> PluginCommands.checkPositions(config, Map.of("n_positions", 2048), 2040, 10));
    }
}
