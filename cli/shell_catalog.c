/*
 * The catalog queries behind `dal shell`'s \tables and \describe: one set
 * per SQL family, chosen by what the repository's plugin declares about
 * itself (its type name) and the server kind it reports, never by a list
 * in libdal's core. A backend of no known family gets the SQL standard's
 * information_schema, which most SQL servers provide.
 *
 * Every query returns the same columns, so that the output reads the same
 * on every backend: \tables "name, type" (type: table, view, ...), and
 * \describe "name, type, nullable, primary_key" (nullable: YES or NO;
 * primary_key: the column's position in the primary key, NULL if not part
 * of it), in column order. A table that does not exist gives no rows.
 */
#include <string.h>

#include "shell.h"

static const struct catalog sqlite_catalog = {
	.family = "sqlite",
	.tables_sql =
		"SELECT name, type FROM sqlite_master"
		" WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
		" ORDER BY name",
	/* A NULL schema searches main, temp and attached databases. */
	.describe_sql =
		"SELECT name, type, CASE WHEN \"notnull\" THEN 'NO' ELSE 'YES' END AS nullable,"
		" NULLIF(pk, 0) AS primary_key FROM pragma_table_info(:table, :schema) ORDER BY cid",
};

static const struct catalog mysql_catalog = {
	.family = "mysql",
	.tables_sql =
		"SELECT table_name AS name, CASE table_type WHEN 'BASE TABLE' THEN 'table'"
		" WHEN 'VIEW' THEN 'view' ELSE LOWER(table_type) END AS type"
		" FROM information_schema.tables WHERE table_schema = DATABASE()"
		" ORDER BY table_name",
	.describe_sql =
		"SELECT c.column_name AS name, c.column_type AS type, c.is_nullable AS nullable,"
		" k.ordinal_position AS primary_key FROM information_schema.columns c"
		" LEFT JOIN information_schema.key_column_usage k"
		" ON k.table_schema = c.table_schema AND k.table_name = c.table_name"
		" AND k.column_name = c.column_name AND k.constraint_name = 'PRIMARY'"
		" WHERE c.table_schema = COALESCE(:schema, DATABASE()) AND c.table_name = :table"
		" ORDER BY c.ordinal_position",
};

/* to_regclass() resolves the name as the server would in a query: the
 * search path, quoting and case folding included. */
static const struct catalog postgresql_catalog = {
	.family = "postgresql",
	.tables_sql =
		"SELECT c.relname AS name, CASE c.relkind WHEN 'v' THEN 'view'"
		" WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'"
		" ELSE 'table' END AS type FROM pg_catalog.pg_class c"
		" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
		" AND pg_catalog.pg_table_is_visible(c.oid)"
		" AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
		" ORDER BY c.relname",
	.describe_sql =
		"SELECT a.attname::text AS name,"
		" pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,"
		" CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END AS nullable,"
		" (SELECT k.n FROM pg_catalog.pg_index i"
		"  CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
		"  WHERE i.indrelid = a.attrelid AND i.indisprimary AND k.attnum = a.attnum)"
		" AS primary_key FROM pg_catalog.pg_attribute a"
		" WHERE a.attrelid = to_regclass(:name) AND a.attnum > 0 AND NOT a.attisdropped"
		" ORDER BY a.attnum",
};

static const struct catalog standard_catalog = {
	.family = "information_schema",
	.tables_sql =
		"SELECT table_name AS name, CASE table_type WHEN 'BASE TABLE' THEN 'table'"
		" WHEN 'VIEW' THEN 'view' ELSE LOWER(table_type) END AS type"
		" FROM information_schema.tables"
		" WHERE table_schema NOT IN ('information_schema', 'pg_catalog')"
		" ORDER BY table_name",
	.describe_sql =
		"SELECT c.column_name AS name, c.data_type AS type, c.is_nullable AS nullable,"
		" k.ordinal_position AS primary_key FROM information_schema.columns c"
		" LEFT JOIN information_schema.table_constraints t"
		" ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
		" AND t.constraint_type = 'PRIMARY KEY'"
		" LEFT JOIN information_schema.key_column_usage k"
		" ON k.constraint_schema = t.constraint_schema"
		" AND k.constraint_name = t.constraint_name"
		" AND k.table_name = c.table_name AND k.column_name = c.column_name"
		" WHERE (:schema IS NULL OR c.table_schema = :schema) AND c.table_name = :table"
		" ORDER BY c.ordinal_position",
};

/* The names each family goes by: plugin type names and server kinds. */
static const struct {
	const char *names[4];
	const struct catalog *cat;
} families[] = {
	{ { "sqlite", "sqlite3", NULL }, &sqlite_catalog },
	{ { "mysql", "mariadb", NULL }, &mysql_catalog },
	{ { "postgresql", "pgsql", "postgres", NULL }, &postgresql_catalog },
};

static const struct catalog *find_family(const char *name)
{
	if (!name)
		return NULL;
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
		for (const char *const *n = families[f].names; *n; n++)
			if (strcmp(*n, name) == 0)
				return families[f].cat;
	return NULL;
}

const struct catalog *catalog_for(dal_repo *repo)
{
	const struct catalog *cat = find_family(dal_repo_backend(repo));

	if (!cat)
		cat = find_family(dal_repo_server_kind(repo));
	return cat ? cat : &standard_catalog;
}
