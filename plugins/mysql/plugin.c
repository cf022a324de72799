/*
 * backend_mysql: the function table, the registration and the entry point,
 * the one symbol the plugin exports. It names the slot functions
 * (connect.c, cancel.c, stmt.c, decode.c) and states what the plugin can
 * do; no code lives here.
 */
#include "mysql_int.h"

static const char *const mysql_aliases[] = {"mariadb", NULL};

static const struct dal_driver mysql_driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	.connect = my_connect,
	.disconnect = my_disconnect,
	.ping = my_ping,
	.exec = my_exec,
	.prepare = my_prepare,
	.begin = my_begin,
	.commit = my_commit,
	.rollback = my_rollback,
	.last_insert_id = my_last_insert_id,
	.server_kind = my_server_kind,
	.server_version = my_server_version,
	.cancel = my_cancel,
	.tls_info = my_tls_info,
	.server_address = my_server_address,
	.node_status = my_node_status,
	.bind = my_bind,
	.step = my_step,
	.reset = my_reset,
	.finalize = my_finalize,
	.column_count = my_column_count,
	.column_name = my_column_name,
	.column_value = my_column_value,
	.rows_affected = my_rows_affected,
	.execute_batch = my_execute_batch,
};

static const struct dal_plugin mysql_registration = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "mysql",
	.aliases = mysql_aliases,
	.version = DAL_VERSION_STRING,
	.description = "MySQL and MariaDB (MariaDB Connector/C " MARIADB_PACKAGE_VERSION ")",
	/* No TRANSACTIONAL_DDL: MySQL commits implicitly before DDL. CANCEL:
	 * KILL QUERY (cancel.c) and max_statement_time (MariaDB; on MySQL a
	 * statement_timeout is refused at connect). TLS: the tls_* options
	 * (connect.c) and tls_info. */
	.capabilities = DAL_CAP_TRANSACTIONS | DAL_CAP_LAST_INSERT_ID |
	                DAL_CAP_STREAMING | DAL_CAP_MULTI_STATEMENT | DAL_CAP_CANCEL |
	                DAL_CAP_TLS | DAL_CAP_SAVEPOINTS | DAL_CAP_UPSERT_DUPLICATE,
	.kind = DAL_KIND_SERVER,
	.default_port = DEFAULT_PORT,
	.param_style = DAL_PARAM_QMARK,
	/* With the default sql_mode: \ escapes in strings, # comments,
	 * `identifiers`. */
	.syntax = DAL_SYNTAX_BACKSLASH_ESCAPE | DAL_SYNTAX_HASH_COMMENT |
	          DAL_SYNTAX_BACKTICK,
	.ident_quote = "``",
	.options = my_option_specs,
	.n_options = MY_N_OPTION_SPECS,
	.driver = &mysql_driver,
	.dialect = "mysql",
	.sql = &my_sql_facts,
};

DAL_PLUGIN_ENTRY(backend_mysql)
{
	return dal_plugin_accept(core_abi, &mysql_registration, err);
}
