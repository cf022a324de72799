/*
 * Check suite for preloaded plugins (core/loader.c, try_preloaded): backends
 * linked into the program by libtool -dlpreopen, as in the static dal of
 * configure --enable-static-backends. This program is linked that way with
 * test plugins (tests/Makefile.am, preload/) and with no plugin file on the
 * search path: a preloaded plugin is validated like a file, its errors are
 * reported like a file's, it answers to its aliases, and dal_plugin_list()
 * reports it.
 */
#define _GNU_SOURCE
#include <check.h>
#include <ltdl.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "loader.h"
#include "testutil.h"

/* No plugin file anywhere: only the preloaded list can answer. */
static void no_plugin_files(void)
{
	unsetenv("DAL_PLUGIN_PATH");
}

/* Rule: a preloaded plugin of another ABI major is refused, naming it and
 * both versions, as a file would be. */
START_TEST(test_preload_refuses_other_major)
{
	const struct loaded_plugin *p;
	dal_error err;

	no_plugin_files();
	ck_assert_int_eq(loader_find("major3", NULL, &p, &err), DAL_EPLUGIN_ABI);
	ck_assert_msg(tu_contains(err.message, "backend_major3 (preloaded)"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "ABI 3.0"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "this libdal speaks ABI 2."), "%s", err.message);
}
END_TEST

/* Rule: a preloaded registration without a required slot is refused,
 * naming the slot (not reported as "no plugin"). */
START_TEST(test_preload_refuses_missing_slot)
{
	const struct loaded_plugin *p;
	dal_error err;

	no_plugin_files();
	ck_assert_int_eq(loader_find("noslot", NULL, &p, &err), DAL_EPLUGIN_INVALID);
	ck_assert_msg(tu_contains(err.message, "backend_noslot (preloaded)"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "required function 'prepare'"), "%s", err.message);
}
END_TEST

/* A valid preloaded plugin is found by its name and by an alias it
 * declares, with no file on disk, and loaded once. */
START_TEST(test_preload_finds_by_name_and_alias)
{
	const struct loaded_plugin *a, *b;
	dal_error err;

	no_plugin_files();
	ck_assert_msg(loader_find("newer_alias", NULL, &a, &err) == DAL_OK, "%s", err.message);
	ck_assert_str_eq(a->reg.name, "newer");
	ck_assert_str_eq(a->path, "backend_newer (preloaded)");
	ck_assert_msg(loader_find("newer", NULL, &b, &err) == DAL_OK, "%s", err.message);
	ck_assert_ptr_eq(a, b);
}
END_TEST

/* An unknown type still says what was searched, and names the preloaded
 * backends among those installed. */
START_TEST(test_preload_not_found_names_preloaded)
{
	const struct loaded_plugin *p;
	dal_error err;

	no_plugin_files();
	ck_assert_int_eq(loader_find("nosuchdb", NULL, &p, &err), DAL_EPLUGIN_NOTFOUND);
	ck_assert_msg(tu_contains(err.message, "newer, newer_alias"), "%s", err.message);
}
END_TEST

struct seen {
	int major3, noslot, newer;
	int other_preloaded;
};

static void note(const dal_plugin_info *info, void *ud)
{
	struct seen *s = ud;

	if (!strstr(info->path, "(preloaded)"))
		return;
	if (strcmp(info->path, "backend_major3 (preloaded)") == 0) {
		ck_assert_int_eq(info->status, DAL_EPLUGIN_ABI);
		ck_assert_ptr_null(info->name);
		ck_assert_msg(info->error && strstr(info->error, "ABI 3.0"), "%s", info->error);
		s->major3++;
	} else if (strcmp(info->path, "backend_noslot (preloaded)") == 0) {
		ck_assert_int_eq(info->status, DAL_EPLUGIN_INVALID);
		ck_assert_msg(info->error && strstr(info->error, "'prepare'"), "%s", info->error);
		s->noslot++;
	} else if (strcmp(info->path, "backend_newer (preloaded)") == 0) {
		ck_assert_int_eq(info->status, DAL_OK);
		ck_assert_str_eq(info->name, "newer");
		ck_assert_uint_eq(info->abi_minor, 7);
		s->newer++;
	} else {
		s->other_preloaded++;
	}
}

/* dal_plugin_list() reports every preloaded plugin once, the broken ones
 * with their error, as it reports files. */
START_TEST(test_preload_listed)
{
	struct seen s = {0};
	dal_error err;
	int n;

	no_plugin_files();
	n = dal_plugin_list(NULL, note, &s, &err);
	ck_assert_int_ge(n, 3);
	ck_assert_int_eq(s.major3, 1);
	ck_assert_int_eq(s.noslot, 1);
	ck_assert_int_eq(s.newer, 1);
	ck_assert_int_eq(s.other_preloaded, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("preload");
	TCase *tc = tcase_create("preload");

	/* The symbol list libtool generated for -dlpreopen, before libdal's
	 * first lt_dlinit(). */
	LTDL_SET_PRELOADED_SYMBOLS();
	tcase_add_test(tc, test_preload_refuses_other_major);
	tcase_add_test(tc, test_preload_refuses_missing_slot);
	tcase_add_test(tc, test_preload_finds_by_name_and_alias);
	tcase_add_test(tc, test_preload_not_found_names_preloaded);
	tcase_add_test(tc, test_preload_listed);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
