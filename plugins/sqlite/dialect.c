/*
 * backend_sqlite: the SQL facts of the SQLite dialect (<dal/dialect.h>),
 * for the layers that build their own SQL: the migration lock, the catalog
 * db-reset and copy read, copy's column types, the shell's catalog. No
 * backup hints: the plugin has the backup and restore slots.
 */
#include "sqlite_int.h"

const struct dal_sql_facts sqb_sql_facts = {
	.struct_size = sizeof(struct dal_sql_facts),
	/* Declared types are free text with type affinity. */
	.flags = DAL_SQL_FREE_TYPES,

	/* No session locks: BEGIN IMMEDIATE takes the write lock at once,
	 * after waiting busy_timeout (the plugin's option), which the
	 * migrator sets to its own lock timeout for a run. */
	.lock = DAL_SQL_LOCK_TRANSACTION,
	.lock_begin = "BEGIN IMMEDIATE",
	.lock_wait_get = "PRAGMA busy_timeout",
	.lock_wait_set = "PRAGMA busy_timeout = {ms}",

	/* main only: attached databases are someone else's. */
	.catalog = "SELECT type, 'main', name FROM main.sqlite_master "
	           "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",

	.columns = "SELECT name, type, \"notnull\", NULL, NULL, NULL, pk "
	           "FROM pragma_table_info(?) ORDER BY cid",
	.type_int64 = "INTEGER",
	.type_double = "REAL",
	.type_blob = "BLOB",

	.shell_tables =
		"SELECT name, type FROM sqlite_master"
		" WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
		" ORDER BY name",
	/* A NULL schema searches main, temp and attached databases. */
	.shell_describe =
		"SELECT name, type, CASE WHEN \"notnull\" THEN 'NO' ELSE 'YES' END AS nullable,"
		" NULLIF(pk, 0) AS primary_key FROM pragma_table_info(:table, :schema) ORDER BY cid",
};
