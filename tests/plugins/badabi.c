/* Loader test: a plugin built for a future, incompatible ABI major (2). */
#include <dal/plugin.h>

DAL_PLUGIN_DEFINE(backend_badabi) = {
	.abi_version = (2u << 16) | 0u,
	.struct_size = sizeof(struct dal_plugin),
	.name = "badabi",
};
