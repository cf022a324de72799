/* Loader test: a registration without the required prepare() slot. */
#include "common.h"

static const struct dal_driver driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	.connect = tp_connect, .disconnect = tp_disconnect, .ping = tp_conn,
	.bind = tp_bind, .step = tp_stmt, .reset = tp_stmt, .finalize = tp_finalize,
	.column_count = tp_ncols, .column_name = tp_colname,
	.column_value = tp_colval, .rows_affected = tp_affected,
};

static const struct dal_plugin registration = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "noslot",
	.kind = DAL_KIND_FILE,
	.driver = &driver,
};

DAL_PLUGIN_ENTRY(backend_noslot)
{
	return dal_plugin_accept(core_abi, &registration, err);
}
