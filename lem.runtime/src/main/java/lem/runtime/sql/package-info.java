/**
 * SQL over a results folder ({@link lem.runtime.sql.ResultsSql}): the contract between the runtime,
 * which owns the results layout and the commands, and the bundle that brings an SQL engine
 * (lem.results.sql, DuckDB). The runtime works without it; {@code lem results query} and Parquet
 * files then say what is missing.
 */
@Export
@Version("0.1.0")
package lem.runtime.sql;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
