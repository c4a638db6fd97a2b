package lem.runtime.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
