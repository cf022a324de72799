/*
 * backend_sqlite: registration. The function table (the slot functions are
 * defined in connect.c, stmt.c and decode.c), the registration that
 * describes the backend (its options are declared in options.c), and the
 * plugin's one exported symbol, its entry point. No logic belongs here.
 */
#include "sqlite_int.h"

static const char *const sqlite_aliases[] = {"sqlite3", NULL};

static const struct dal_driver sqlite_driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	.connect = sqb_connect,
	.disconnect = sqb_disconnect,
	.ping = sqb_ping,
	.exec = sqb_exec,
	.prepare = sqb_prepare,
	.begin = sqb_begin,
	.commit = sqb_commit,
	.rollback = sqb_rollback,
	.last_insert_id = sqb_last_insert_id,
	.server_kind = sqb_server_kind,
	.server_version = sqb_server_version,
	.cancel = sqb_cancel,
	.bind = sqb_bind,
	.step = sqb_step,
	.reset = sqb_reset,
	.finalize = sqb_finalize,
	.column_count = sqb_column_count,
	.column_name = sqb_column_name,
	.column_value = sqb_column_value,
	.rows_affected = sqb_rows_affected,
	.execute_batch = sqb_execute_batch,
	.bind_static = sqb_bind_static,
	.backup = sqb_backup,
	.restore = sqb_restore,
};

static const struct dal_plugin sqlite_registration = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "sqlite",
	.aliases = sqlite_aliases,
	.version = DAL_VERSION_STRING,
	.description = "SQLite 3 (libsqlite3 " SQLITE_VERSION ")",
	.capabilities = DAL_CAP_TRANSACTIONS | DAL_CAP_TRANSACTIONAL_DDL |
	                DAL_CAP_LAST_INSERT_ID | DAL_CAP_STREAMING |
	                DAL_CAP_MULTI_STATEMENT | DAL_CAP_EMBEDDED | DAL_CAP_CANCEL |
	                DAL_CAP_SAVEPOINTS | DAL_CAP_UPSERT_CONFLICT,
	.kind = DAL_KIND_FILE,
	.default_path = "dal.db",
	.param_style = DAL_PARAM_QMARK,
	/* SQLite accepts `name` and [name] as identifiers; backslash is not
	 * an escape, # is not a comment, comments do not nest. */
	.syntax = DAL_SYNTAX_BACKTICK | DAL_SYNTAX_BRACKET_IDENT,
	.ident_quote = "\"\"",
	.options = sqb_option_specs,
	.n_options = O__COUNT,
	.driver = &sqlite_driver,
	.dialect = "sqlite",
	.sql = &sqb_sql_facts,
};

DAL_PLUGIN_ENTRY(backend_sqlite)
{
	return dal_plugin_accept(core_abi, &sqlite_registration, err);
}