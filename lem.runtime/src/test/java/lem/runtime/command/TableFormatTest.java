package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class TableFormatTest {
    @Test
    void columnsAreAsWideAsTheirWidestCellAndTwoSpacesApart() {
        ResultTables.Rows table = new ResultTables.Rows("Title", List.of("A", "LONGHEADER", "C"),
                List.of(List.of("wider", "y", "z"), List.of("a", "bb", "two\nlines")), List.of("a note"));

        List<String> lines = TableFormat.render(table).lines().toList();

        assertEquals(List.of(
                "Title",
                "A      LONGHEADER  C",
                "-----  ----------  ---------",
                "wider  y           z",
                "a      bb          two lines",
                "a note"), lines);
    }

    @Test
    void shortRowsAndNullCellsAreBlankAndNoLineEndsInSpaces() {
        ResultTables.Rows table = new ResultTables.Rows("", List.of("NAME", "STATE"),
                List.of(List.of("x"), java.util.Arrays.asList("y", null)), List.of());
        List<String> lines = TableFormat.render(table).lines().toList();
        assertEquals(List.of("NAME  STATE", "----  -----", "x", "y"), lines);
    }

    @Test
    void anEmptyTableSaysNone() {
        ResultTables.Rows table = new ResultTables.Rows("Experiments", List.of("ID"), List.of(), List.of("hint"));
        assertEquals(List.of("Experiments", "ID", "--", "(none)", "hint"), TableFormat.render(table).lines().toList());
    }

    @Test
    void aLongLastColumnWrapsWithinItsColumnAndNoLineIsWiderThan120() {
        String how = "power series aligned to token timestamps, scaled to counter, with every device counted once and "
                + "estimates labelled as such";
        ResultTables.Rows table = new ResultTables.Rows("T", List.of("METRIC", "VALUE", "UNIT", "HOW"),
                List.of(List.of("prefill / decode energy", "16.78 / 269.1", "J", how), List.of("x", "1", "s", "")), List.of());

        List<String> lines = TableFormat.render(table).lines().toList();

        assertTrue(lines.stream().allMatch(l -> l.length() <= TableFormat.WIDTH), String.join("\n", lines));
        int howColumn = lines.get(1).indexOf("HOW");
        assertEquals(how, (lines.get(3).substring(howColumn) + " " + lines.get(4).substring(howColumn)).strip(),
                "the second line continues the cell in its own column");
        assertTrue(lines.get(4).substring(0, howColumn).isBlank(), lines.get(4));
        assertTrue(lines.get(5).startsWith("x "), lines.get(5));
    }

    @Test
    void aReasonColumnWithNoRoomLeftGoesUnderItsRow() {
        String reason = "estimate (CodeCarbon method): CPU from default 85 W (CPU 'AMD EPYC' not in CodeCarbon's table), "
                + "TDP x (0.1 + 0.9 x load^3), RAM from 4 DIMMs x 5 W (estimated from 23.5 GB) = 20.00 W, GPU from none";
        ResultTables.Rows table = new ResultTables.Rows("Energy sources", List.of("NAME", "AVAILABLE", "KIND", "DOMAINS",
                "DEVICES", "BUNDLE", "VERSION", "STATE", "REASON"), List.of(List.of("codecarbon", "yes", "estimate",
                        "CPU_PACKAGE,DRAM,GPU", "2", "lem.energy.codecarbon", "0.1.0.SNAPSHOT", "ACTIVE", reason)), List.of());

        List<String> lines = TableFormat.render(table).lines().toList();

        assertTrue(lines.stream().allMatch(l -> l.length() <= TableFormat.WIDTH), String.join("\n", lines));
        assertTrue(lines.get(1).matches("NAME +AVAILABLE .* STATE +REASON"), lines.get(1));
        assertTrue(lines.get(3).startsWith("codecarbon") && lines.get(3).endsWith("ACTIVE"), lines.get(3));
        String under = lines.subList(4, lines.size()).stream().map(String::strip).reduce((a, b) -> a + " " + b).orElseThrow();
        assertEquals(reason, under, "the whole reason, nothing cut");
        assertTrue(lines.get(4).startsWith("    estimate"), lines.get(4));
    }

    @Test
    void longFooterLinesWrapWithAnIndentAndKeepEveryWord() {
        String warning = "warning: " + "the power series has a gap of 250 ms at 3.2 s ".repeat(12).strip();
        List<String> lines = TableFormat.render(new ResultTables.Rows("", List.of("A"), List.of(List.of("a")),
                List.of(warning, "  indented note"))).lines().toList();
        List<String> footer = lines.subList(3, lines.size());
        assertTrue(footer.size() > 3, footer.toString());
        assertTrue(footer.stream().allMatch(l -> l.length() <= TableFormat.WIDTH), footer.toString());
        assertTrue(footer.get(1).startsWith("  the") || footer.get(1).startsWith("  "), footer.get(1));
        String joined = footer.subList(0, footer.size() - 1).stream().map(String::strip).reduce((a, b) -> a + " " + b).orElseThrow();
        assertEquals(warning, joined);
        assertEquals("  indented note", footer.get(footer.size() - 1));
    }

    @Test
    void idsAndPathsAreNeverSplitAcrossLines() {
        String id = "itest-e2e-20261129T224712Z";
        String path = "/work/results/" + "x".repeat(90) + "/exp.yaml";
        List<String> listing = TableFormat.render(new ResultTables.Rows("Experiments", List.of("ID", "NAME", "STATE", "STARTED (UTC)"),
                List.of(List.of(id, "itest-e2e", "incomplete (backend failed: simulated device fault in measurement batch 2 "
                        + "of 4 after the second cycle had started on every device)", "2026-11-29 22:47:12")), List.of())).lines().toList();
        assertTrue(listing.get(3).startsWith(id + "  "), listing.toString());
        assertTrue(listing.get(3).endsWith("2026-11-29 22:47:12"), "a short column keeps its width: " + listing);
        assertTrue(listing.stream().allMatch(l -> l.length() <= TableFormat.WIDTH), listing.toString());

        List<String> plan = TableFormat.render(new ResultTables.Rows("Plan", List.of("ITEM", "PLAN"),
                List.of(List.of("config", path)), List.of())).lines().toList();
        assertEquals("config  " + path, plan.get(3), "a path longer than the room left stays whole");
    }
}
