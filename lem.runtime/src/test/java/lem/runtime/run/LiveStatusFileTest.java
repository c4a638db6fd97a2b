package lem.runtime.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class LiveStatusFileTest {
    @TempDir
    Path dir;

    @Test
    void everyReportReachesLiveJsonAndThePrintedProgress() throws Exception {
        List<String> printed = new ArrayList<>();
        LiveStatusFile live = new LiveStatusFile(new RunProgress() {
            @Override
            public void phase(String description) {
                printed.add(description);
            }

            @Override
            public void measuring(int cycle, int cycles, int done, int total, long elapsedNanos, double watts, boolean estimated) {
                printed.add(cycle + "/" + cycles + " " + done + "/" + total + " " + watts);
            }
        });
        live.phase("environment"); // before start: printed, no file yet
        assertFalse(Files.exists(dir.resolve(LiveStatusFile.FILE)));
        long before = System.currentTimeMillis();
        live.start(dir, "exp-1", "exp", 3);
        live.phase("cycle 2/3");
        live.measuring(2, 3, 5, 8, 1_500_000_000L, 212.5, false);
        JsonNode json = new ObjectMapper().readTree(dir.resolve(LiveStatusFile.FILE).toFile());
        assertEquals("exp-1", json.path("experiment_id").asText());
        assertTrue(json.path("running").asBoolean());
        assertEquals("cycle 2/3", json.path("phase").asText());
        assertEquals(2, json.path("cycle").asInt());
        assertEquals(3, json.path("cycles").asInt());
        assertEquals(5, json.path("requests_done").asInt());
        assertEquals(8, json.path("requests_total").asInt());
        assertEquals(1.5, json.path("elapsed_s").asDouble(), 1e-12);
        assertEquals(212.5, json.path("power_watts").asDouble(), 1e-12);
        assertEquals(ProcessHandle.current().pid(), json.path("pid").asLong());
        assertTrue(json.path("updated_epoch_ms").asLong() >= before);
        assertEquals(List.of("environment", "cycle 2/3", "2/3 5/8 212.5"), printed);

        live.measuring(3, 3, 1, 8, 1, Double.NaN, true);
        json = new ObjectMapper().readTree(dir.resolve(LiveStatusFile.FILE).toFile());
        assertTrue(json.path("power_watts").isNull(), "no power known: null, never NaN");
        live.finish("complete");
        json = new ObjectMapper().readTree(dir.resolve(LiveStatusFile.FILE).toFile());
        assertFalse(json.path("running").asBoolean());
        assertEquals("complete", json.path("phase").asText());
    }
}
