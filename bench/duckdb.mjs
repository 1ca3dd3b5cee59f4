// duckdb.mjs — the benchmark's queries in DuckDB (npm @duckdb/node-api), for bench/run.sh.
//
//   node bench/duckdb.mjs QUERY FILE THREADS
//
// QUERY is q6 (TPC-H Q6 over lineitem), like (sensor rows whose status contains FAIL) or
// star (lineitem rows matching the rare predicate).  Prints one number: the SUM for q6, the
// row count otherwise (DuckDB counts instead of printing the rows, which can only flatter
// it).  sort and topn (bench/sort_bench.sh) read the airports CSV and COPY
// `SELECT ident, elevation_ft ... ORDER BY ident [LIMIT 10]` as CSV to the file OUT (the
// fourth argument), printing the row count.  read_csv gets the exact column types, as a DuckDB user would give them, and reads
// .gz and .zst itself.
import { DuckDBInstance } from '@duckdb/node-api';

const [query, file, threads] = process.argv.slice(2);
if (!query || !file) {
  console.error('usage: node duckdb.mjs q6|like|star FILE [THREADS]');
  process.exit(2);
}

const lit = (s) => "'" + s.replace(/'/g, "''") + "'";
const lineitem = `read_csv(${lit(file)}, delim='|', header=false, columns={
  'l_orderkey': 'BIGINT', 'l_partkey': 'BIGINT', 'l_suppkey': 'BIGINT',
  'l_linenumber': 'INTEGER', 'l_quantity': 'INTEGER', 'l_extendedprice': 'DECIMAL(15,2)',
  'l_discount': 'DECIMAL(15,2)', 'l_tax': 'DECIMAL(15,2)', 'l_returnflag': 'VARCHAR',
  'l_linestatus': 'VARCHAR', 'l_shipdate': 'DATE', 'l_commitdate': 'DATE',
  'l_receiptdate': 'DATE', 'l_shipinstruct': 'VARCHAR', 'l_shipmode': 'VARCHAR',
  'l_comment': 'VARCHAR', 'l_trailing': 'VARCHAR'})`;
const sensor = `read_csv(${lit(file)}, delim=',', header=true, columns={
  'sensor_id': 'VARCHAR', 'ts': 'VARCHAR', 'temperature': 'DECIMAL(5,1)', 'status': 'VARCHAR'})`;

const airports = `read_csv(${lit(file)}, header=true, all_varchar=true)`;
const out = process.argv[5] || '/dev/null';
const copy = (q) => `COPY (${q}) TO ${lit(out)} (FORMAT CSV, HEADER false)`;

const sql = {
  sort: copy(`SELECT ident, elevation_ft FROM ${airports} ORDER BY ident`),
  topn: copy(`SELECT ident, elevation_ft FROM ${airports} ORDER BY ident LIMIT 10`),
  q6: `SELECT SUM(l_extendedprice * l_discount) FROM ${lineitem}
       WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
         AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24`,
  like: `SELECT COUNT(*) FROM ${sensor} WHERE status LIKE '%FAIL%'`,
  star: `SELECT COUNT(*) FROM ${lineitem}
         WHERE l_shipmode = 'MAIL' AND l_shipinstruct = 'TAKE BACK RETURN' AND l_quantity = 50`,
}[query];
if (!sql) {
  console.error(`duckdb.mjs: unknown query ${query}`);
  process.exit(2);
}

const instance = await DuckDBInstance.create(':memory:', { threads: String(threads || 2) });
const conn = await instance.connect();
const reader = await conn.runAndReadAll(sql);
const rows = reader.getRows();
const v = rows.length ? rows[0][0] : null;
console.log(v === null ? 'NULL' : String(v));
