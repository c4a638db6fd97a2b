package lem.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reference file that users copy from must stay true to the schema. */
class ReferenceConfigTest {

    @TempDir
    Path folder;

    @Test
    void referenceFileWritesEveryKeyWithItsDefault() {
        ConfigFiles files = new ConfigFiles(folder);
        LoadedConfig reference = ConfigFiles.load(files.write("reference.yaml", ConfigLoader.referenceConfig()));
        LoadedConfig defaults = ConfigFiles.load(files.write("reference.json", "{}"));

        assertTrue(reference.valid(), ConfigFiles.problemsText(reference.problems()));
        assertEquals(defaults.tree(), reference.tree(), "the values in the reference are the defaults");
        Map<String, Provenance> notWritten = new LinkedHashMap<>(reference.provenance());
        notWritten.values().removeIf(Provenance::writtenByUser);
        assertEquals(Map.of("name", Provenance.fileName(folder.resolve("reference.yaml").toString()),
                "batching.max_wait_ms", Provenance.defaultValue()), notWritten,
                "every key appears in the reference, but the name and a key that the static strategy refuses");
    }
}
