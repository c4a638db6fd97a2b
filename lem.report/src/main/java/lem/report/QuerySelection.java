package lem.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import lem.runtime.command.CommandFailure;
import lem.runtime.sql.ResultsSql;

/**
 * {@code lem report --query "<SQL>"}: the experiments a query over the results folder's views
 * selects, by its {@code experiment_id} column, in the order of its rows.
 */
final class QuerySelection {
    static final String ID_COLUMN = "experiment_id";
    private static final String MISSING = "lem report --query needs the SQL engine: the lem.results.sql bundle (DuckDB)"
            + " is not installed or not started; put it into the plugins folder, or name the experiments instead";

    private QuerySelection() {
    }

    /** The distinct experiment ids of the query's {@code experiment_id} column; a failure names what to change. */
    static List<String> experimentIds(ResultsSql engine, Path resultsRoot, String sql) {
        if (engine == null) {
            throw new CommandFailure(MISSING);
        }
        ResultsSql.QueryResult result;
        try {
            result = engine.query(new ResultsSql.ResultsFolder(resultsRoot, Map.of()), sql);
        } catch (ResultsSql.SqlFailure e) {
            throw new CommandFailure("lem report --query: " + e.getMessage());
        }
        int column = result.columns().indexOf(ID_COLUMN);
        if (column < 0) {
            throw new CommandFailure("lem report --query: the query's columns " + result.columns() + " have no "
                    + ID_COLUMN + "; select it, e.g. SELECT experiment_id FROM experiments WHERE batch_size >= 4");
        }
        Set<String> ids = new LinkedHashSet<>();
        for (List<String> row : result.rows()) {
            String id = row.get(column);
            if (!id.isEmpty()) {
                ids.add(id);
            }
        }
        if (ids.isEmpty()) {
            throw new CommandFailure("lem report --query: the query selected no experiment (" + result.rows().size()
                    + " row(s)): " + sql);
        }
        return new ArrayList<>(ids);
    }

    /** The selection titled by its query, in a folder named for it. */
    static Report.Selection named(Report.Selection selection, String sql) {
        String name = "query-" + Integer.toHexString(sql.strip().hashCode());
        return new Report.Selection(name, "query: " + sql.strip(), selection.experiments());
    }
}
