/*
 * Loader test: a plugin from a newer minor ABI (1.7) whose registration has
 * grown fields this core does not know. It must be accepted, reading only
 * the fields this core knows.
 */
#include <stddef.h>

#include "common.h"

static const char *const aliases[] = {"newer_alias", NULL};

struct newer_plugin {
	struct dal_plugin base;
	void *future_slot_a, *future_slot_b;
};

__attribute__((visibility("default"))) extern const struct newer_plugin backend_newer_LTX_dal_plugin;
const struct newer_plugin backend_newer_LTX_dal_plugin = {
	.base = {
		.abi_version = (1u << 16) | 7u,
		.struct_size = sizeof(struct newer_plugin),
		.name = "newer",
		.aliases = aliases,
		.version = "9.9.9",
		.description = "test plugin from a newer minor ABI",
		.capabilities = DAL_CAP_EMBEDDED,
		.driver = {
			.connect = tp_connect, .disconnect = tp_disconnect, .ping = tp_conn,
			.prepare = tp_prepare, .bind = tp_bind, .step = tp_stmt,
			.reset = tp_stmt, .finalize = tp_finalize, .column_count = tp_ncols,
			.column_name = tp_colname, .column_value = tp_colval,
			.rows_affected = tp_affected,
		},
	},
};
