/* Loader test: a valid plugin linked against a library that no longer
 * exists, so the dynamic loader refuses it. */
#include "common.h"

static const struct dal_driver driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	TP_SLOTS,
};

static const struct dal_plugin registration = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "missingdep",
	.kind = DAL_KIND_FILE,
	.driver = &driver,
};

DAL_PLUGIN_ENTRY(backend_missingdep)
{
	(void)core_abi;
	(void)err;
	return &registration;
}
