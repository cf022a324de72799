/*
 * backend_pgsql: registration. The function table (the slot functions are
 * defined in connect.c, stmt.c, bind.c, decode.c, batch.c and pipeline.c), the registration that
 * describes the backend (its options are declared in connect.c), and the
 * plugin's one exported symbol, its entry point. No logic belongs here.
 */
#include <libpq-fe.h>
#if __has_include(<pg_config.h>)
#include <pg_config.h> /* PG_MAJORVERSION of the libpq headers */
#endif
#ifndef PG_MAJORVERSION
#define PG_MAJORVERSION "?"
#endif

#include "pgsql_int.h"

/* The name is what applications see (dal_repo_backend()); the file is
 * backend_pgsql, found through the alias "pgsql" by name, the others by the
 * loader reading registrations. */
static const char *const pgsql_aliases[] = {"pgsql", "postgres", NULL};

static const struct dal_driver pgsql_driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	.connect = pgb_connect,
	.disconnect = pgb_disconnect,
	.ping = pgb_ping,
	.exec = pgb_exec,
	.prepare = pgb_prepare,
	.begin = pgb_begin,
	.commit = pgb_commit,
	.rollback = pgb_rollback,
	.last_insert_id = pgb_last_insert_id,
	.server_kind = pgb_server_kind,
	.server_version = pgb_server_version,
	.cancel = pgb_cancel,
	.tls_info = pgb_tls_info,
	.server_address = pgb_server_address,
	.node_status = pgb_node_status,
	.bind = pgb_bind,
	.step = pgb_step,
	.reset = pgb_reset,
	.finalize = pgb_finalize,
	.column_count = pgb_column_count,
	.column_name = pgb_column_name,
	.column_value = pgb_column_value,
	.rows_affected = pgb_rows_affected,
	.execute_batch = pgb_execute_batch,
	.execute_pipelined = pgb_execute_pipelined,
};

static const struct dal_plugin pgsql_registration = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "postgresql",
	.aliases = pgsql_aliases,
	.version = DAL_VERSION_STRING,
	.description = "PostgreSQL (libpq " PG_MAJORVERSION ")",
	.capabilities = DAL_CAP_TRANSACTIONS | DAL_CAP_TRANSACTIONAL_DDL |
	                DAL_CAP_LAST_INSERT_ID | DAL_CAP_STREAMING |
	                DAL_CAP_MULTI_STATEMENT | DAL_CAP_CANCEL | DAL_CAP_TLS |
	                DAL_CAP_PIPELINE | DAL_CAP_SAVEPOINTS | DAL_CAP_RETURNING |
	                DAL_CAP_UPSERT_CONFLICT,
	.kind = DAL_KIND_SERVER,
	.default_port = DEFAULT_PORT,
	.param_style = DAL_PARAM_DOLLAR,
	/* $tag$ strings and E'' strings; comments nest; no backslash escapes
	 * in standard strings (standard_conforming_strings is on). */
	.syntax = DAL_SYNTAX_DOLLAR_QUOTE | DAL_SYNTAX_NESTED_COMMENT,
	.ident_quote = "\"\"",
	.options = pgb_option_specs,
	.n_options = PGB_O__COUNT,
	.driver = &pgsql_driver,
	.dialect = "postgresql",
	.sql = &pgb_sql_facts,
};

DAL_PLUGIN_ENTRY(backend_pgsql)
{
	return dal_plugin_accept(core_abi, &pgsql_registration, err);
}
