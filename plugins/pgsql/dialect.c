/*
 * backend_pgsql: the SQL facts of the PostgreSQL dialect (<dal/dialect.h>),
 * for the layers that build their own SQL: the migration lock, the catalog
 * db-reset and copy read, copy's column types, the shell's catalog, and
 * the dump tools `dal backup` points to.
 */
#include "pgsql_int.h"

const struct dal_sql_facts pgb_sql_facts = {
	.struct_size = sizeof(struct dal_sql_facts),

	/* Advisory locks are per database; the schema goes into the key. */
	.lock = DAL_SQL_LOCK_SESSION,
	.try_lock = "SELECT pg_try_advisory_lock(hashtext('dal_migrate:' || current_schema()))",
	.unlock = "SELECT pg_advisory_unlock(hashtext('dal_migrate:' || current_schema()))",

	.catalog = "SELECT CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END, "
	           "table_schema, table_name FROM information_schema.tables "
	           "WHERE table_schema = current_schema() "
	           "AND table_type IN ('BASE TABLE', 'VIEW') "
	           "UNION ALL SELECT 'sequence', sequence_schema, sequence_name "
	           "FROM information_schema.sequences WHERE sequence_schema = current_schema()",

	.columns = "SELECT c.column_name, c.data_type, "
	           "CASE WHEN c.is_nullable = 'NO' THEN 1 ELSE 0 END, "
	           "c.character_maximum_length, c.numeric_precision, c.numeric_scale, "
	           "(SELECT k.ordinal_position FROM information_schema.table_constraints t "
	           "JOIN information_schema.key_column_usage k "
	           "ON k.constraint_name = t.constraint_name "
	           "AND k.constraint_schema = t.constraint_schema "
	           "AND k.table_name = t.table_name "
	           "WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema "
	           "AND t.table_name = c.table_name AND k.column_name = c.column_name) "
	           "FROM information_schema.columns c WHERE c.table_schema = current_schema() "
	           "AND c.table_name = ? ORDER BY c.ordinal_position",
	.type_int64 = "BIGINT",
	.type_double = "DOUBLE PRECISION",
	.type_blob = "BYTEA",
	.type_decimal = "NUMERIC",
	.type_decimal_any = "NUMERIC",
	.type_timestamp = "TIMESTAMP(6)",
	.type_timestamp_tz = "TIMESTAMP WITH TIME ZONE",

	.shell_tables =
		"SELECT c.relname AS name, CASE c.relkind WHEN 'v' THEN 'view'"
		" WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'"
		" ELSE 'table' END AS type FROM pg_catalog.pg_class c"
		" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
		" AND pg_catalog.pg_table_is_visible(c.oid)"
		" AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
		" ORDER BY c.relname",
	/* to_regclass() resolves the name as the server would in a query: the
	 * search path, quoting and case folding included. */
	.shell_describe =
		"SELECT a.attname::text AS name,"
		" pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,"
		" CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END AS nullable,"
		" (SELECT k.n FROM pg_catalog.pg_index i"
		"  CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
		"  WHERE i.indrelid = a.attrelid AND i.indisprimary AND k.attnum = a.attnum)"
		" AS primary_key FROM pg_catalog.pg_attribute a"
		" WHERE a.attrelid = to_regclass(:name) AND a.attnum > 0 AND NOT a.attisdropped"
		" ORDER BY a.attnum",

	.backup_tool = "pg_dump",
	.restore_tool = "pg_restore or psql",
	.backup_command = "pg_dump --format=custom --host={host}[ --port={port}]"
	                  "[ --username={user}] --dbname={database} --file={file}",
	.restore_command = "pg_restore --clean --if-exists --no-owner --host={host}"
	                   "[ --port={port}][ --username={user}] --dbname={database} {file}",
	.password_note = "from ~/.pgpass (host:port:db:user:password, mode 0600) or "
	                 "PGPASSWORD in the environment",
	.password_env = "PGPASSWORD",
};
