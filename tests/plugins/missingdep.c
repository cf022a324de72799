/* Loader test: a valid plugin linked against a library that no longer
 * exists, so the dynamic loader refuses it. */
#include "common.h"

DAL_PLUGIN_DEFINE(backend_missingdep) = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "missingdep",
	.driver = {
		.connect = tp_connect, .disconnect = tp_disconnect, .ping = tp_conn,
		.prepare = tp_prepare, .bind = tp_bind, .step = tp_stmt, .reset = tp_stmt,
		.finalize = tp_finalize, .column_count = tp_ncols, .column_name = tp_colname,
		.column_value = tp_colval, .rows_affected = tp_affected,
	},
};
