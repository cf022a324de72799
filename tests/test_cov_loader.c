/*
 * The loader refuses a plugin whose registration is malformed, one defect
 * per test plugin (plugins/badreg.c, built as backend_br1 .. backend_br11):
 * DAL_EPLUGIN_INVALID with a message naming the file and the defect, for a
 * bad name, alias, kind, parameter style, identifier quote, dialect, option
 * table and function table.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "loader.h"
#include "testutil.h"

START_TEST(test_loader_refuses_malformed_registrations)
{
	static const char *const want[] = {
		NULL,
		"no backend name in its registration",
		"backend name 'Bad-Name' is not lower-case letters",
		"alias 'Bad Alias' is not lower-case letters",
		"unknown kind 7",
		"unknown param_style 9",
		"ident_quote '`' is not two characters",
		"dialect 'My-SQL' is not lower-case letters",
		"n_options is 2 but options is NULL",
		"option 0 has no valid key",
		"sets inner, conn_inner or stmt_inner",
		"its registration has no function table",
	};

	for (int i = 1; i <= 11; i++) {
		const struct loaded_plugin *p = NULL;
		dal_error err;
		char type[16], file[32];
		int rc;

		snprintf(type, sizeof type, "br%d", i);
		snprintf(file, sizeof file, "backend_br%d", i);
		rc = loader_find(type, TESTS_BUILDDIR, &p, &err);
		ck_assert_msg(rc == DAL_EPLUGIN_INVALID, "%s: %s: %s", type, dal_code_name(rc),
		              err.message);
		ck_assert_msg(tu_contains(err.message, want[i]), "%s: '%s' not in: %s", type,
		              want[i], err.message);
		ck_assert_msg(tu_contains(err.message, file), "%s: %s", type, err.message);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_loader");
	TCase *tc = tcase_create("loader");

	tcase_add_test(tc, test_loader_refuses_malformed_registrations);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
