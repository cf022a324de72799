/*
 * The catalog queries behind `dal shell`'s \tables and \describe: the ones
 * the repository's plugin declares in its SQL facts (<dal/dialect.h>:
 * shell_tables, shell_describe), never a list of backends here. A plugin
 * that declares none gets the SQL standard's information_schema, which
 * most SQL servers provide.
 *
 * Every query returns the same columns, so that the output reads the same
 * on every backend: \tables "name, type" (type: table, view, ...), and
 * \describe "name, type, nullable, primary_key" (nullable: YES or NO;
 * primary_key: the column's position in the primary key, NULL if not part
 * of it), in column order. A table that does not exist gives no rows.
 */
#include <dal/dialect.h>

#include "shell.h"

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

const struct catalog *catalog_for(dal_repo *repo, struct catalog *buf)
{
	const struct dal_sql_facts *f = dal_repo_sql_facts(repo);

	if (!f || (!f->shell_tables && !f->shell_describe))
		return &standard_catalog;
	buf->family = dal_repo_dialect(repo) ? dal_repo_dialect(repo) : dal_repo_backend(repo);
	buf->tables_sql = f->shell_tables ? f->shell_tables : standard_catalog.tables_sql;
	buf->describe_sql = f->shell_describe ? f->shell_describe : standard_catalog.describe_sql;
	return buf;
}
