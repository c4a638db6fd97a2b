package lem.results.sql;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.stream.Stream;

import org.duckdb.DuckDBDriver;
import org.osgi.service.component.annotations.Component;

import lem.runtime.sql.ResultsSql;

/**
 * {@link ResultsSql} with embedded DuckDB: each call opens an in-memory database, defines the views
 * over the results folder's files where they lie (CSV, JSON), runs, and closes it. Nothing is
 * copied or cached, so a query always sees the files as they are now.
 */
@Component(service = ResultsSql.class)
public class DuckDbResultsSql implements ResultsSql {
    /** Raw per-process files: {@code <experiment>/raw/cycle_<c>/process_<n>.json}. */
    static final String RAW_GLOB = "*/raw/cycle_*/process_*.json";
    /** Power series: {@code <experiment>/timeseries/cycle_<c>_process_<n>.csv}. */
    static final String POWER_GLOB = "*/timeseries/cycle_*_process_*.csv";
    /** A raw file holds every request with its token arrivals: larger than DuckDB's 16 MB default. */
    private static final long MAX_JSON_OBJECT_BYTES = 1L << 30;

    private static final String REQUEST_STRUCT = "STRUCT(request_id VARCHAR, input_tokens BIGINT, output_tokens BIGINT,"
            + " start_nanos BIGINT, first_token_nanos BIGINT, end_nanos BIGINT, finish_reason VARCHAR, error VARCHAR,"
            + " arrival_nanos BIGINT)[]";

    /** What a row of each view is, for {@code --schema}. */
    private static final Map<String, String> ROW_IS = Map.of(
            "experiments", "one experiment (experiments_tidy.csv)",
            "cycles", "one cycle of an experiment (experiments_cycles_tidy.csv)",
            "requests", "one request of a process and cycle (raw/cycle_<c>/process_<n>.json); times in ns of the run's monotonic clock, ms from arrival",
            "power", "one power sample (timeseries/cycle_<c>_process_<n>.csv); experiment, cycle and process from the path");

    private Connection open() throws SQLException {
        Connection connection;
        try {
            connection = new DuckDBDriver().connect("jdbc:duckdb:", new Properties());
        } catch (LinkageError e) {
            // DuckDB's classes or its native library for this platform missing: a failure of SQL, not of the caller
            throw new SQLException("DuckDB cannot be loaded on this host (" + e + "); lem results query and the Parquet"
                    + " tables need it, the CSV tables do not", e);
        }
        if (connection == null) {
            throw new SQLException("the DuckDB driver did not accept jdbc:duckdb:");
        }
        return connection;
    }

    @Override
    public void writeParquet(Path csv, Path parquet, Map<String, String> columnTypes) throws IOException {
        if (!Files.isRegularFile(csv)) {
            throw new IOException("no file " + csv);
        }
        Path temporary = parquet.toAbsolutePath().resolveSibling("." + parquet.getFileName() + ".tmp");
        try (Connection c = open(); Statement s = c.createStatement()) {
            s.execute("COPY (SELECT * FROM " + readCsv(csv, columnTypes) + ") TO " + literal(temporary) + " (FORMAT parquet)");
            Files.move(temporary, parquet, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (SQLException e) {
            throw new IOException("DuckDB could not write " + parquet + " from " + csv + ": " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    @Override
    public QueryResult query(ResultsFolder folder, String sql) {
        try (Connection c = open(); Statement s = c.createStatement()) {
            defineViews(s, folder);
            try (ResultSet rs = run(s, sql)) {
                ResultSetMetaData meta = rs.getMetaData();
                List<String> columns = new ArrayList<>();
                List<String> types = new ArrayList<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    columns.add(meta.getColumnLabel(i));
                    types.add(meta.getColumnTypeName(i));
                }
                List<List<String>> rows = new ArrayList<>();
                while (rs.next()) {
                    List<String> row = new ArrayList<>();
                    for (int i = 1; i <= columns.size(); i++) {
                        row.add(cell(rs.getObject(i)));
                    }
                    rows.add(row);
                }
                return new QueryResult(columns, types, rows);
            }
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    @Override
    public long queryToCsv(ResultsFolder folder, String sql, Path csv) throws IOException {
        Path target = csv.toAbsolutePath();
        if (target.getParent() != null) {
            Files.createDirectories(target.getParent());
        }
        Path temporary = target.resolveSibling("." + target.getFileName() + ".tmp");
        try (Connection c = open(); Statement s = c.createStatement()) {
            defineViews(s, folder);
            long rows;
            try {
                s.execute("COPY (" + withoutTrailingSemicolons(sql) + ") TO " + literal(temporary) + " (FORMAT csv, HEADER true)");
                try (ResultSet rs = s.getResultSet()) {
                    rows = rs != null && rs.next() ? rs.getLong(1) : s.getUpdateCount();
                }
            } catch (SQLException e) {
                throw failure(e);
            }
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return rows;
        } catch (SQLException e) {
            throw failure(e);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    @Override
    public List<View> schema(ResultsFolder folder) {
        try (Connection c = open(); Statement s = c.createStatement()) {
            defineViews(s, folder);
            List<View> views = new ArrayList<>();
            for (String view : VIEWS) {
                List<Column> columns = new ArrayList<>();
                try (ResultSet rs = s.executeQuery("DESCRIBE " + view)) {
                    while (rs.next()) {
                        columns.add(new Column(rs.getString("column_name"), rs.getString("column_type")));
                    }
                }
                views.add(new View(view, ROW_IS.get(view), columns));
            }
            return views;
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    private static ResultSet run(Statement s, String sql) throws SQLException {
        if (!s.execute(sql)) {
            throw new SQLException("the statement returned no rows (only queries are answered: SELECT, WITH, DESCRIBE, SUMMARIZE ...)");
        }
        return s.getResultSet();
    }

    /** DuckDB's own message, then the views a query can use; no stack trace. */
    private static SqlFailure failure(SQLException e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage().strip();
        return new SqlFailure(message + "\nviews: " + String.join(", ", VIEWS)
                + " (lem results query --schema lists their columns)");
    }

    /** The four views over the folder's files; a view with no file under it is empty, with its columns. */
    void defineViews(Statement s, ResultsFolder folder) throws SQLException {
        Path root = folder.root().toAbsolutePath();
        s.execute("CREATE VIEW experiments AS " + tidy(root.resolve("experiments_tidy.csv"), folder.columnTypes()));
        s.execute("CREATE VIEW cycles AS " + tidy(root.resolve("experiments_cycles_tidy.csv"), folder.columnTypes()));
        s.execute("CREATE VIEW requests AS " + requests(root));
        s.execute("CREATE VIEW power AS " + power(root));
    }

    private static String tidy(Path csv, Map<String, String> columnTypes) {
        if (!Files.isRegularFile(csv)) {
            return "SELECT NULL::VARCHAR AS experiment_id WHERE false";
        }
        return "SELECT * FROM " + readCsv(csv, columnTypes);
    }

    /** {@code read_csv} of a tidy file: comma, double quotes, the known columns typed, the rest detected from every row. */
    static String readCsv(Path csv, Map<String, String> columnTypes) {
        List<String> header;
        try (BufferedReader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            String first = reader.readLine();
            header = first == null ? List.of() : List.of(first.split(",", -1));
        } catch (IOException e) {
            header = List.of();
        }
        StringJoiner types = new StringJoiner(", ", "{", "}");
        for (String column : header) {
            String type = columnTypes.get(column.strip());
            if (type != null) {
                types.add(literal(column.strip()) + ": " + literal(type));
            }
        }
        return "read_csv(" + literal(csv) + ", header = true, delim = ',', quote = '\"', escape = '\"', sample_size = -1"
                + (types.length() > 2 ? ", types = " + types : "") + ")";
    }

    private static String requests(Path root) {
        String columns = "experiment_id, cycle, process, request_index, request_id, input_tokens, output_tokens, arrival_nanos,"
                + " start_nanos, first_token_nanos, end_nanos, queue_ms, ttft_ms, e2e_ms, finish_reason, error, failed";
        if (!anyFile(root, 4, "raw", "process_", ".json")) {
            return "SELECT NULL::VARCHAR AS experiment_id, NULL::INTEGER AS cycle, NULL::INTEGER AS process,"
                    + " NULL::BIGINT AS request_index, NULL::VARCHAR AS request_id, NULL::BIGINT AS input_tokens,"
                    + " NULL::BIGINT AS output_tokens, NULL::BIGINT AS arrival_nanos, NULL::BIGINT AS start_nanos,"
                    + " NULL::BIGINT AS first_token_nanos, NULL::BIGINT AS end_nanos, NULL::DOUBLE AS queue_ms,"
                    + " NULL::DOUBLE AS ttft_ms, NULL::DOUBLE AS e2e_ms, NULL::VARCHAR AS finish_reason,"
                    + " NULL::VARCHAR AS error, NULL::BOOLEAN AS failed WHERE false";
        }
        String read = "read_json(" + literal(root.resolve(RAW_GLOB)) + ", format = 'auto', maximum_object_size = "
                + MAX_JSON_OBJECT_BYTES + ", columns = {experiment_id: 'VARCHAR', cycle: 'INTEGER', process: 'INTEGER',"
                + " requests: '" + REQUEST_STRUCT + "'})";
        // arrival_nanos is absent in files from before arrivals were kept: the request arrived when it started
        return "WITH raw AS (SELECT experiment_id, cycle, process, unnest(requests) AS r,"
                + " generate_subscripts(requests, 1) - 1 AS request_index FROM " + read + "),"
                + " timed AS (SELECT experiment_id, cycle, process, request_index, r.request_id AS request_id,"
                + " r.input_tokens AS input_tokens, r.output_tokens AS output_tokens,"
                + " coalesce(nullif(r.arrival_nanos, 0), r.start_nanos) AS arrival_nanos, r.start_nanos AS start_nanos,"
                + " r.first_token_nanos AS first_token_nanos, r.end_nanos AS end_nanos, r.finish_reason AS finish_reason,"
                + " r.error AS error FROM raw)"
                + " SELECT experiment_id, cycle, process, request_index, request_id, input_tokens, output_tokens,"
                + " arrival_nanos, start_nanos, first_token_nanos, end_nanos, (start_nanos - arrival_nanos) / 1e6 AS queue_ms,"
                + " CASE WHEN first_token_nanos > 0 THEN (first_token_nanos - arrival_nanos) / 1e6 END AS ttft_ms,"
                + " (end_nanos - arrival_nanos) / 1e6 AS e2e_ms, finish_reason, error, error IS NOT NULL AS failed FROM timed"
                + " ORDER BY " + columns.substring(0, columns.indexOf(", request_id"));
    }

    private static String power(Path root) {
        if (!anyFile(root, 3, "timeseries", "cycle_", ".csv")) {
            return "SELECT NULL::VARCHAR AS experiment_id, NULL::INTEGER AS cycle, NULL::INTEGER AS process,"
                    + " NULL::VARCHAR AS source, NULL::VARCHAR AS device, NULL::BIGINT AS timestamp_nanos,"
                    + " NULL::DOUBLE AS power_watts WHERE false";
        }
        String path = "'([^/\\\\]+)[/\\\\]timeseries[/\\\\]cycle_([0-9]+)_process_([0-9]+)\\.csv$'";
        return "SELECT regexp_extract(filename, " + path + ", 1) AS experiment_id,"
                + " CAST(regexp_extract(filename, " + path + ", 2) AS INTEGER) AS cycle,"
                + " CAST(regexp_extract(filename, " + path + ", 3) AS INTEGER) AS process,"
                + " source, device_id AS device, timestamp_nanos, power_watts,"
                + " * EXCLUDE (filename, source, device_id, timestamp_nanos, power_watts)"
                + " FROM read_csv(" + literal(root.resolve(POWER_GLOB)) + ", header = true, filename = true,"
                + " union_by_name = true, sample_size = -1, ignore_errors = true,"
                + " types = {'timestamp_nanos': 'BIGINT', 'power_watts': 'DOUBLE', 'source': 'VARCHAR', 'device_id': 'VARCHAR'})";
    }

    /** Whether a file named {@code <prefix>*<suffix>} lies under {@code <experiment>/<folder>/} within {@code depth}. */
    private static boolean anyFile(Path root, int depth, String folder, String prefix, String suffix) {
        if (!Files.isDirectory(root)) {
            return false;
        }
        try (Stream<Path> files = Files.find(root, depth, (p, a) -> a.isRegularFile()
                && p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(suffix)
                && root.relativize(p).getNameCount() >= 3 && root.relativize(p).getName(1).toString().equals(folder))) {
            return files.findAny().isPresent();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String withoutTrailingSemicolons(String sql) {
        String s = sql.strip();
        while (s.endsWith(";")) {
            s = s.substring(0, s.length() - 1).strip();
        }
        return s;
    }

    /** A string or path as an SQL literal. */
    static String literal(Object value) {
        return "'" + value.toString().replace("'", "''") + "'";
    }

    /** A value as a table cell: empty for NULL, numbers in full without a trailing .0. */
    static String cell(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return Double.toString(d);
            }
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
        }
        return value.toString();
    }
}
