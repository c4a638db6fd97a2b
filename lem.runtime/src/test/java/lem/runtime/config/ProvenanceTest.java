package lem.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProvenanceTest {

    @TempDir
    Path folder;

    private LoadedConfig loadLayered() {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("base.yaml", """
                model:
                  name: base-model
                batching:
                  strategy: dynamic
                  batch_size: 2
                """);
        Path child = files.write("child.yaml", """
                _extends: base.yaml
                preset: quick-test
                decoder:
                  preset: creative

                batching:
                  batch_size: 4
                """);
        return ConfigLoader.load(child, java.util.List.of("batching.max_wait_ms=10"));
    }

    @Test
    void everyLeafSaysWhereItCameFrom() {
        LoadedConfig loaded = loadLayered();
        Map<String, Provenance> provenance = loaded.provenance();
        String base = folder.resolve("base.yaml").toString();
        String child = folder.resolve("child.yaml").toString();

        assertTrue(loaded.valid(), ConfigFiles.problemsText(loaded.problems()));
        assertEquals(Provenance.defaultValue(), provenance.get("precision"));
        assertEquals(Provenance.runPreset("quick-test"), provenance.get("cycles"));
        assertEquals("preset quick-test", provenance.get("baseline.duration_s").describe());
        assertEquals("decoder preset creative", provenance.get("decoder.top_p").describe());
        assertEquals(Provenance.inFile(base, 2), provenance.get("model.name"));
        assertEquals(Provenance.inFile(base, 4), provenance.get("batching.strategy"));
        assertEquals(Provenance.inFile(child, 7), provenance.get("batching.batch_size"));
        assertEquals(child + ":7", provenance.get("batching.batch_size").describe());
        assertEquals(Provenance.override(), provenance.get("batching.max_wait_ms"));
        assertEquals("file name " + child, provenance.get("name").describe());
        assertEquals(loaded.tree().size(), loaded.tree().keySet().stream().distinct().count());
        assertTrue(provenance.keySet().stream().noneMatch(path -> path.contains("[")),
                "lists are leaves; their items are not listed");
    }

    @Test
    void listingIsYamlWithOneCommentPerValueAndReadsBack() throws Exception {
        LoadedConfig loaded = loadLayered();

        String listing = loaded.provenanceListing();

        assertTrue(listing.lines().anyMatch(line -> line.matches("  batch_size: 4 +# from .*child\\.yaml:7")),
                listing);
        assertTrue(listing.lines().anyMatch(line -> line.matches("  top_p: 0\\.95 +# from decoder preset creative")),
                listing);
        assertTrue(listing.lines().anyMatch(line -> line.matches("  max_wait_ms: 10 +# from --set")), listing);
        assertTrue(listing.lines().anyMatch(line -> line.matches("precision: float32 +# from default")), listing);
        Object reread = new YAMLMapper().readValue(listing, Map.class);
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.writeValueAsString(loaded.tree()), json.writeValueAsString(reread),
                "comments aside, the listing is the resolved config");
    }

    @Test
    void treeWithProvenanceIsJson() throws Exception {
        LoadedConfig loaded = loadLayered();

        String json = new ObjectMapper().writeValueAsString(loaded.treeWithProvenance());
        Map<?, ?> stored = new ObjectMapper().readValue(json, Map.class);

        assertEquals("--set", ((Map<?, ?>) stored.get("provenance")).get("batching.max_wait_ms"));
        assertEquals(4, ((Map<?, ?>) ((Map<?, ?>) stored.get("config")).get("batching")).get("batch_size"));
    }

    @Test
    void relativePathsAreResolvedAgainstTheDeclaringFile() {
        ConfigFiles files = new ConfigFiles(folder);
        files.write("data/p.txt", "a\n");
        files.write("conf/base.yaml", "prompts: {source: file, file: ../data/p.txt}\n");
        Path child = files.write("conf/deep/child.yaml", "_extends: ../base.yaml\n");

        LoadedConfig loaded = ConfigFiles.load(child);

        assertTrue(loaded.valid(), ConfigFiles.problemsText(loaded.problems()));
        assertEquals(folder.resolve("data/p.txt"), loaded.config().prompts().file().orElseThrow());
    }
}
