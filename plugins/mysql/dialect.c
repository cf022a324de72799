/*
 * backend_mysql: the SQL facts of the MySQL / MariaDB dialect
 * (<dal/dialect.h>), for the layers that build their own SQL: the
 * migration lock, the catalog db-reset and copy read, copy's column types,
 * the shell's catalog, and the dump tools `dal backup` points to.
 */
#include "mysql_int.h"

const struct dal_sql_facts my_sql_facts = {
	.struct_size = sizeof(struct dal_sql_facts),

	/* GET_LOCK names are server-wide and at most 64 characters. */
	.lock = DAL_SQL_LOCK_SESSION,
	.try_lock = "SELECT GET_LOCK(CONCAT('dal_migrate.', MD5(DATABASE())), 0)",
	.unlock = "SELECT RELEASE_LOCK(CONCAT('dal_migrate.', MD5(DATABASE())))",

	.catalog = "SELECT CASE table_type WHEN 'VIEW' THEN 'view' WHEN 'SEQUENCE' "
	           "THEN 'sequence' ELSE 'table' END, table_schema, table_name "
	           "FROM information_schema.tables WHERE table_schema = DATABASE()",
	/* The session's own setting is restored afterwards. */
	.drop_prelude = "SET @dal_fkc = @@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS = 0",
	.drop_postlude = "SET FOREIGN_KEY_CHECKS = @dal_fkc",

	/* column_type carries the length and tinyint(1) (MySQL's BOOLEAN). */
	.columns = "SELECT c.column_name, c.column_type, c.is_nullable = 'NO', "
	           "c.character_maximum_length, c.numeric_precision, c.numeric_scale, "
	           "k.ordinal_position FROM information_schema.columns c "
	           "LEFT JOIN information_schema.key_column_usage k "
	           "ON k.table_schema = c.table_schema AND k.table_name = c.table_name "
	           "AND k.column_name = c.column_name AND k.constraint_name = 'PRIMARY' "
	           "WHERE c.table_schema = DATABASE() AND c.table_name = ? "
	           "ORDER BY c.ordinal_position",
	.type_int64 = "BIGINT",
	.type_double = "DOUBLE",
	/* Long VARCHARs count against the 64 KiB row limit: LONGTEXT. A key
	 * needs a bounded type (at most 3072 bytes: 768 four-byte
	 * characters). */
	.type_text = "LONGTEXT",
	.type_varchar = "VARCHAR",
	.varchar_max = 255,
	.type_text_key = "VARCHAR(255)",
	.key_varchar_max = 768,
	.type_blob = "LONGBLOB",
	.type_blob_key = "VARBINARY(255)",
	.type_decimal = "DECIMAL",
	.type_decimal_any = "DECIMAL(65,30)",
	.type_timestamp = "DATETIME(6)",
	.create_table_suffix = " DEFAULT CHARSET=utf8mb4",

	.shell_tables =
		"SELECT table_name AS name, CASE table_type WHEN 'BASE TABLE' THEN 'table'"
		" WHEN 'VIEW' THEN 'view' ELSE LOWER(table_type) END AS type"
		" FROM information_schema.tables WHERE table_schema = DATABASE()"
		" ORDER BY table_name",
	.shell_describe =
		"SELECT c.column_name AS name, c.column_type AS type, c.is_nullable AS nullable,"
		" k.ordinal_position AS primary_key FROM information_schema.columns c"
		" LEFT JOIN information_schema.key_column_usage k"
		" ON k.table_schema = c.table_schema AND k.table_name = c.table_name"
		" AND k.column_name = c.column_name AND k.constraint_name = 'PRIMARY'"
		" WHERE c.table_schema = COALESCE(:schema, DATABASE()) AND c.table_name = :table"
		" ORDER BY c.ordinal_position",

	.backup_tool = "mysqldump (or mariadb-dump)",
	.restore_tool = "the mariadb client",
	/* The defaults file (password_option) must be the first option. */
	.backup_command = "mariadb-dump --single-transaction --routines --triggers "
	                  "--host={host}[ --port={port}][ --user={user}] {database} > {file}",
	.restore_command = "mariadb --host={host}[ --port={port}][ --user={user}] {database} "
	                   "< {file}",
	.password_note = "a defaults file with [client] password=... (mode 0600)",
	.password_env = "MYSQL_PWD",
	.password_option = "--defaults-extra-file=\"$HOME/.dal-backup.cnf\"",
};
