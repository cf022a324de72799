/*
 * Loader test: a plugin built against libdal's plugin ABI 1, which exported
 * a registration struct named dal_plugin (abi_version, struct_size first)
 * instead of ABI 2's entry point. It must be refused with DAL_EPLUGIN_ABI
 * naming both versions, not as "not a plugin".
 */
#include <stdint.h>

struct abi1_plugin {
	uint32_t abi_version;
	uint32_t struct_size;
	const char *name;
};

__attribute__((visibility("default"))) extern const struct abi1_plugin backend_abi1_LTX_dal_plugin;
const struct abi1_plugin backend_abi1_LTX_dal_plugin = {
	.abi_version = (1u << 16) | 0u,
	.struct_size = 208,
	.name = "abi1",
};
