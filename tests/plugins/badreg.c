/*
 * Loader test plugin with one defect in its registration, chosen by
 * -DBR_CASE (tests/Makefile.am builds it once per case as backend_brN): the
 * loader must refuse each with DAL_EPLUGIN_INVALID naming what is wrong
 * (tests/test_cov_loader.c). Everything else is valid.
 *
 *   1 empty name            2 name not lower-case      3 bad alias
 *   4 unknown kind          5 unknown param_style       6 ident_quote of 1 char
 *   7 bad dialect           8 n_options without options 9 option without key
 *   10 inner set in the table  11 no function table
 */
#include <stddef.h>

#include "common.h"

#define STR2(x) #x
#define STR(x) STR2(x)
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define NAME "br" STR(BR_CASE)

static const char *const aliases[] = {BR_CASE == 3 ? "Bad Alias" : NAME "_alias", NULL};
static const struct dal_option_spec options[] = {
	{BR_CASE == 9 ? NULL : "ok_key", DAL_OPTION_INT, NULL, NULL, 0, 10, "a test option"},
};

static const struct dal_driver driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	TP_SLOTS,
	.inner = BR_CASE == 10 ? &driver : NULL,
};

static const struct dal_plugin registration = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = BR_CASE == 1 ? "" : BR_CASE == 2 ? "Bad-Name" : NAME,
	.aliases = aliases,
	.version = "0.0.1",
	.description = "loader test plugin with a defect in its registration",
	.capabilities = DAL_CAP_EMBEDDED,
	.kind = BR_CASE == 4 ? 7u : DAL_KIND_FILE,
	.param_style = BR_CASE == 5 ? 9u : DAL_PARAM_QMARK,
	.ident_quote = BR_CASE == 6 ? "`" : "\"\"",
	.options = BR_CASE == 8 ? NULL : options,
	.n_options = BR_CASE == 8 ? 2 : 1,
	.driver = BR_CASE == 11 ? NULL : &driver,
	.dialect = BR_CASE == 7 ? "My-SQL" : "sqlite",
};

#define ENTRY(module) DAL_PLUGIN_ENTRY(module)
ENTRY(CAT(backend_br, BR_CASE))
{
	(void)core_abi;
	(void)err;
	return &registration;
}
