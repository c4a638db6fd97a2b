package lem.runtime.sql;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An SQL engine over a results folder, reading its files where they lie: the views
 * {@code experiments} and {@code cycles} (the tidy tables), {@code requests} (one row per request of
 * the raw per-process files) and {@code power} (the power series), with no second copy. A DS
 * service; the lem.results.sql bundle provides it with DuckDB.
 */
@ConsumerType
public interface ResultsSql {
    /** The views every query sees, in the order {@link #schema} lists them. */
    List<String> VIEWS = List.of("experiments", "cycles", "requests", "power");

    /**
     * Writes a tidy CSV file as Parquet, atomically: numbers as numbers, text as text.
     *
     * @param csv         the CSV file (a header row, then rows)
     * @param parquet     the file to write
     * @param columnTypes SQL types of the columns lem knows (e.g. {@code DOUBLE}); others are detected
     *                    from their values
     */
    void writeParquet(Path csv, Path parquet, Map<String, String> columnTypes) throws IOException;

    /** Runs one query over the views of a results folder; a mistake in it is a {@link SqlFailure}. */
    QueryResult query(ResultsFolder folder, String sql);

    /** Runs one query and writes its rows as CSV with a header; returns the number of rows. */
    long queryToCsv(ResultsFolder folder, String sql, Path csv) throws IOException;

    /** The views of a results folder and their columns. */
    List<View> schema(ResultsFolder folder);

    /**
     * A results folder and what lem knows about its tidy tables.
     *
     * @param root        the results folder
     * @param columnTypes SQL types of the tidy tables' columns that lem knows; others are detected
     */
    record ResultsFolder(Path root, Map<String, String> columnTypes) {
        public ResultsFolder {
            columnTypes = Map.copyOf(columnTypes);
        }
    }

    /**
     * The answer to a query: its columns with their SQL types, and every row as text (empty for NULL).
     */
    record QueryResult(List<String> columns, List<String> types, List<List<String>> rows) {
        public QueryResult {
            columns = List.copyOf(columns);
            types = List.copyOf(types);
            rows = List.copyOf(rows);
        }
    }

    /** A view: its name, what a row is, and its columns. */
    record View(String name, String rowIs, List<Column> columns) {
        public View {
            columns = List.copyOf(columns);
        }
    }

    /** A column of a view and its SQL type. */
    record Column(String name, String type) {
    }

    /** A query the engine refused: the engine's own message, with the views a query can use. */
    class SqlFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public SqlFailure(String message) {
            super(message);
        }
    }
}
