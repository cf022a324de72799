/*
 * The plugin kit (<dal/plugin.h>: dal_plugin_accept(), dal_options_parse())
 * for what a plugin author can get wrong (docs/testing.md, "Coverage"): a
 * registration of another ABI major, and an option table declaring a type
 * the kit does not know, each refused with a message naming it.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <dal/dal.h>
#include <dal/plugin.h>

#include "testutil.h"

START_TEST(test_kit_accept_checks_the_major)
{
	struct dal_plugin reg;
	dal_error err;

	memset(&reg, 0, sizeof reg);
	reg.abi_version = DAL_PLUGIN_ABI_VERSION;
	reg.name = "kitty";
	ck_assert_ptr_null(dal_plugin_accept(dal_plugin_abi(), NULL, &err));
	ck_assert_ptr_eq(dal_plugin_accept(dal_plugin_abi(), &reg, &err), &reg);
	reg.abi_version = (uint32_t)((DAL_ABI_MAJOR_OF(DAL_PLUGIN_ABI_VERSION) + 1) << 16);
	ck_assert_ptr_null(dal_plugin_accept(dal_plugin_abi(), &reg, &err));
	ck_assert_int_eq(err.code, DAL_EPLUGIN_ABI);
	tu_assert_has(err.message, "backend 'kitty' was built for plugin ABI");
	reg.name = NULL;
	ck_assert_ptr_null(dal_plugin_accept(dal_plugin_abi(), &reg, &err));
	tu_assert_has(err.message, "backend '?'");
}
END_TEST

START_TEST(test_kit_options_of_unknown_type_are_refused)
{
	const struct dal_option_spec specs[] = {
		{"fine", DAL_OPTION_INT, "3", NULL, 0, 10, "an option"},
		{"odd", 99, "x", NULL, 0, 0, "a type no kit knows"},
	};
	struct dal_option_value v[2];
	struct dal_connect_params p;
	dal_error err;

	memset(&p, 0, sizeof p);
	p.struct_size = sizeof p;
	ck_assert_int_eq(dal_options_parse(&p, NULL, specs, 2, v, &err), DAL_ECONFIG);
	tu_assert_has(err.message, "backend option odd: the plugin declares unknown type 99");
	ck_assert_int_eq(dal_options_parse(&p, "kitty", specs, 1, v, &err), DAL_OK);
	ck_assert_int_eq(v[0].i, 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_kit");
	TCase *tc = tcase_create("kit");

	tcase_add_test(tc, test_kit_accept_checks_the_major);
	tcase_add_test(tc, test_kit_options_of_unknown_type_are_refused);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
