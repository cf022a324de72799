#include <dal/plugin.h>

/* A backend's entry point. The registration is defined with the function
 * table (examples/backend_template/backend_template.c has a whole one). */
extern const struct dal_plugin mydb_registration;

DAL_PLUGIN_ENTRY(backend_mydb)
{
	/* core_abi is the ABI the loading core speaks: a plugin that needs a
	 * kit function of a newer minor would refuse an older one here, with
	 * dal_error_set(err, DAL_EPLUGIN_ABI, ...) and NULL. */
	return dal_plugin_accept(core_abi, &mydb_registration, err);
}
