package lem.runtime.command;

import java.util.List;

/**
 * A typed command result that people read as a table. Commands return records implementing it;
 * {@link TableConverter} formats them for the shell.
 */
public interface Table {
    String title();

    List<String> headers();

    List<List<String>> rows();

    /** Lines printed under the table (notes, hints); empty by default. */
    default List<String> footer() {
        return List.of();
    }
}
