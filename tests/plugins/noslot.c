/* Loader test: a registration that lacks the required 'prepare' slot. */
#include "common.h"

DAL_PLUGIN_DEFINE(backend_noslot) = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "noslot",
	.driver = {
		.connect = tp_connect, .disconnect = tp_disconnect, .ping = tp_conn,
		.bind = tp_bind, .step = tp_stmt, .reset = tp_stmt, .finalize = tp_finalize,
		.column_count = tp_ncols, .column_name = tp_colname,
		.column_value = tp_colval, .rows_affected = tp_affected,
	},
};
