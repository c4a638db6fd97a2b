package lem.runtime.campaign.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import lem.runtime.campaign.CampaignException;

class SlurmScriptTest {
    private static final Path FOLDER = Path.of("/shared/lem/results/campaigns/grid-1");
    private static final Path SHARED = Path.of("/shared/lem");

    private static List<String> lines(String script) {
        return script.lines().toList();
    }

    @Test
    void theScriptAsksForTheArrayTheResourcesAndTheSignalAndExecsTheTask() {
        SlurmSettings settings = new SlurmSettings("gpu", 1, 8, "64G", "2:00:00", 2, 90, List.of("--account=lab"),
                null, null);
        String script = SlurmScript.text("grid-1", FOLDER, SHARED, "/opt/lem/bin/lem", settings, List.of(0, 1, 2, 5), 2);
        List<String> lines = lines(script);
        assertEquals("#!/bin/bash", lines.get(0));
        List<String> directives = lines.stream().filter(l -> l.startsWith("#SBATCH ")).toList();
        assertEquals(List.of("#SBATCH --job-name=lem-grid-1", "#SBATCH --array=0-2,5", "#SBATCH --ntasks=1",
                "#SBATCH --chdir=/shared/lem",
                "#SBATCH --output=/shared/lem/results/campaigns/grid-1/slurm/task_%a.job_%A.out",
                "#SBATCH --error=/shared/lem/results/campaigns/grid-1/slurm/task_%a.job_%A.err",
                "#SBATCH --signal=B:TERM@90", "#SBATCH --partition=gpu", "#SBATCH --gpus-per-task=1",
                "#SBATCH --cpus-per-task=8", "#SBATCH --mem=64G", "#SBATCH --time=2:00:00", "#SBATCH --account=lab"),
                directives);
        assertEquals("exec /opt/lem/bin/lem campaign run-task '/shared/lem/results/campaigns/grid-1' --task "
                + "\"$SLURM_ARRAY_TASK_ID\"", lines.get(lines.size() - 1));
    }

    @Test
    void unsetResourcesAreLeftToSlurm() {
        String script = SlurmScript.text("g", FOLDER, SHARED, "lem", SlurmSettings.defaults(), List.of(0), 1);
        assertFalse(script.contains("--partition") || script.contains("--gpus") || script.contains("--cpus")
                || script.contains("--mem") || script.contains("--time"), script);
        assertTrue(script.contains("#SBATCH --signal=B:TERM@" + SlurmSettings.DEFAULT_SIGNAL_BEFORE_SECONDS + "\n"), script);
    }

    @Test
    void aFolderThatSbatchLinesCannotCarryIsRefusedByName() {
        CampaignException e = assertThrows(CampaignException.class, () -> SlurmScript.text("g", Path.of("/my results/c"),
                SHARED, "lem", SlurmSettings.defaults(), List.of(0), 1));
        assertTrue(e.getMessage().startsWith("the campaign folder '/my results/c' has a space"), e.getMessage());
    }

    @Test
    void shellQuotingKeepsAWordWhole() {
        assertEquals("'a b'", SlurmScript.shellQuote("a b"));
        assertEquals("'it'\\''s'", SlurmScript.shellQuote("it's"));
    }
}
