/*
 * backend_pgsql: registration. Only the plugin's one exported symbol: the
 * struct that describes the backend and points the core at the slot
 * functions (defined in connect.c, stmt.c, bind.c and decode.c). No logic
 * belongs here.
 */
#include <libpq-fe.h>
#if __has_include(<pg_config.h>)
#include <pg_config.h> /* PG_MAJORVERSION of the libpq headers */
#endif
#ifndef PG_MAJORVERSION
#define PG_MAJORVERSION "?"
#endif

#include "pgsql_int.h"

static const char *const pgsql_aliases[] = {"pgsql", "postgres", NULL};

DAL_PLUGIN_DEFINE(backend_pgsql) = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "postgresql",
	.aliases = pgsql_aliases,
	.version = DAL_VERSION_STRING,
	.description = "PostgreSQL (libpq " PG_MAJORVERSION ")",
	.capabilities = DAL_CAP_TRANSACTIONS | DAL_CAP_TRANSACTIONAL_DDL |
	                DAL_CAP_LAST_INSERT_ID | DAL_CAP_STREAMING |
	                DAL_CAP_MULTI_STATEMENT,
	.param_style = DAL_PARAM_DOLLAR,
	.default_port = DEFAULT_PORT,
	/* $tag$ strings and E'' strings; comments nest; no backslash escapes
	 * in standard strings (standard_conforming_strings is on). */
	.syntax = DAL_SYNTAX_DOLLAR_QUOTE | DAL_SYNTAX_NESTED_COMMENT,
	.driver = {
		.connect = pgb_connect,
		.disconnect = pgb_disconnect,
		.ping = pgb_ping,
		.exec = pgb_exec,
		.prepare = pgb_prepare,
		.bind = pgb_bind,
		.step = pgb_step,
		.reset = pgb_reset,
		.finalize = pgb_finalize,
		.column_count = pgb_column_count,
		.column_name = pgb_column_name,
		.column_value = pgb_column_value,
		.rows_affected = pgb_rows_affected,
		.last_insert_id = pgb_last_insert_id,
		.begin = pgb_begin,
		.commit = pgb_commit,
		.rollback = pgb_rollback,
		.server_kind = pgb_server_kind,
		.server_version = pgb_server_version,
	},
};
