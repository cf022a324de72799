/*
 * Check suite for plugin loading (core/loader.c): the search path, every
 * refusal with its message, and the real SQLite plugin.
 *
 * The broken plugins are built next to this test from tests/plugins/.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dal/dal.h>

#include "loader.h"
#include "testutil.h"

#define STR_(x) #x
#define STR(x) STR_(x)
/* The ABI this core speaks, as messages write it: "2.1". */
#define ABI_NOW STR(DAL_PLUGIN_ABI_MAJOR) "." STR(DAL_PLUGIN_ABI_MINOR)

static const char *sqlite_dir = TOP_BUILDDIR "/plugins/sqlite";

START_TEST(test_loader_finds_sqlite_by_name_and_alias)
{
	const struct loaded_plugin *a, *b;
	dal_error err;

	ck_assert_msg(loader_find("sqlite", sqlite_dir, &a, &err) == DAL_OK, "%s", err.message);
	ck_assert_str_eq(a->reg.name, "sqlite");
	ck_assert_uint_eq(a->reg.abi_version >> 16, DAL_PLUGIN_ABI_MAJOR);
	ck_assert(tu_contains(a->path, "backend_sqlite"));
	ck_assert_msg(loader_find("sqlite3", sqlite_dir, &b, &err) == DAL_OK, "%s", err.message);
	ck_assert_ptr_eq(a, b); /* cached: one load per file */
}
END_TEST

START_TEST(test_loader_not_found_lists_every_directory)
{
	const struct loaded_plugin *p = (const struct loaded_plugin *)1;
	dal_error err;

	setenv("DAL_PLUGIN_PATH", "/nonexistent/one:/nonexistent/two", 1);
	ck_assert_int_eq(loader_find("nosuchdb", "/nonexistent/cfg", &p, &err),
	                 DAL_EPLUGIN_NOTFOUND);
	ck_assert_ptr_null(p);
	ck_assert_msg(tu_contains(err.message, "no plugin for database type 'nosuchdb'"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "installed: "), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "backend_nosuchdb.so"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "/nonexistent/cfg (plugin_dir)"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "/nonexistent/one (DAL_PLUGIN_PATH)"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "/nonexistent/two (DAL_PLUGIN_PATH)"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "(built-in)"), "%s", err.message);
}
END_TEST

/* Rule: a plugin of another major is refused, naming both versions. */
START_TEST(test_loader_refuses_abi1_plugin_naming_versions)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_int_eq(loader_find("abi1", TESTS_BUILDDIR, &p, &err), DAL_EPLUGIN_ABI);
	ck_assert_msg(tu_contains(err.message, "backend_abi1"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "built for libdal plugin ABI 1.0"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "this libdal speaks ABI " ABI_NOW), "%s", err.message);
}
END_TEST

START_TEST(test_loader_refuses_newer_major)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_int_eq(loader_find("major3", TESTS_BUILDDIR, &p, &err), DAL_EPLUGIN_ABI);
	ck_assert_msg(tu_contains(err.message, "backend_major3"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "ABI 3.0"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "this libdal speaks ABI " ABI_NOW), "%s", err.message);
}
END_TEST

/* Rule: for a minor the core knows, each struct's size is exact. */
START_TEST(test_loader_refuses_registration_of_wrong_size)
{
	const struct loaded_plugin *p;
	dal_error err;
	char want[64];

	ck_assert_int_eq(loader_find("shortreg", TESTS_BUILDDIR, &p, &err), DAL_EPLUGIN_ABI);
	snprintf(want, sizeof want, "registration declares %zu bytes",
	         sizeof(struct dal_plugin) - 4);
	ck_assert_msg(tu_contains(err.message, want), "%s", err.message);
	snprintf(want, sizeof want, "ABI " ABI_NOW "'s is exactly %zu", sizeof(struct dal_plugin));
	ck_assert_msg(tu_contains(err.message, want), "%s", err.message);
}
END_TEST

START_TEST(test_loader_refuses_function_table_of_wrong_size)
{
	const struct loaded_plugin *p;
	dal_error err;
	char want[64];

	ck_assert_int_eq(loader_find("shortdrv", TESTS_BUILDDIR, &p, &err), DAL_EPLUGIN_ABI);
	snprintf(want, sizeof want, "function table declares %zu bytes",
	         sizeof(struct dal_driver) + 8);
	ck_assert_msg(tu_contains(err.message, want), "%s", err.message);
}
END_TEST

/* Rule: an older minor's missing members read as zero: a 2.0 plugin,
 * whose registration ends before `dialect`, loads with no dialect. */
START_TEST(test_loader_accepts_older_minor_with_zeroed_members)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_msg(loader_find("minor0", TESTS_BUILDDIR, &p, &err) == DAL_OK, "%s",
	              err.message);
	ck_assert_uint_eq(DAL_ABI_MINOR_OF(p->reg.abi_version), 0);
	ck_assert_ptr_null(p->reg.dialect);
	ck_assert_str_eq(p->reg.version, "9.9.9");
}
END_TEST

/* Rule: 2.1's registration gained `sql` after it was first built: a 2.1
 * plugin that ends before it loads with no facts, although the memory
 * after its registration points at some. */
START_TEST(test_loader_accepts_2_1_registration_without_sql)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_msg(loader_find("nosql21", TESTS_BUILDDIR, &p, &err) == DAL_OK, "%s",
	              err.message);
	ck_assert_uint_eq(DAL_ABI_MINOR_OF(p->reg.abi_version), 1);
	ck_assert_ptr_null(p->reg.sql);
}
END_TEST

/* <dal/dialect.h>: the facts are copied cut to the plugin's struct_size
 * and zero-extended; a struct_size that is no version is refused. */
START_TEST(test_loader_reads_sql_facts_within_their_size)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_msg(loader_find("oldsql", TESTS_BUILDDIR, &p, &err) == DAL_OK, "%s",
	              err.message);
	ck_assert_ptr_nonnull(p->reg.sql);
	ck_assert_ptr_eq(p->reg.sql, &p->sql);
	ck_assert_uint_eq(p->sql.struct_size, sizeof(struct dal_sql_facts));
	ck_assert_uint_eq(p->sql.lock, DAL_SQL_LOCK_SESSION);
	ck_assert_str_eq(p->sql.try_lock, "SELECT 1");
	ck_assert_ptr_null(p->sql.catalog); /* beyond its size */

	ck_assert_int_eq(loader_find("badsql", TESTS_BUILDDIR, &p, &err), DAL_EPLUGIN_ABI);
	ck_assert_msg(tu_contains(err.message, "backend_badsql"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "SQL facts (struct dal_sql_facts) declare "
	                                       "struct_size 4"), "%s", err.message);
}
END_TEST

/* Rule: a newer minor only appends, so it is never smaller than ours. */
START_TEST(test_loader_refuses_newer_minor_smaller_than_ours)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_int_eq(loader_find("newshort", TESTS_BUILDDIR, &p, &err), DAL_EPLUGIN_ABI);
	ck_assert_msg(tu_contains(err.message, "(ABI 2.3)"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "a newer minor only appends"), "%s", err.message);
}
END_TEST

/* Rule: the entry point learns the core's ABI and may refuse it; its
 * reason reaches the user. */
START_TEST(test_loader_reports_plugin_refusing_older_core)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_int_eq(loader_find("picky", TESTS_BUILDDIR, &p, &err), DAL_EPLUGIN_ABI);
	ck_assert_msg(tu_contains(err.message, "backend_picky"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "refused to load into this libdal (plugin ABI "
	                          ABI_NOW ")"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "needs a core of plugin ABI 2.9 or newer, got "
	                          ABI_NOW), "%s", err.message);
}
END_TEST

START_TEST(test_loader_refuses_file_without_symbol)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_int_eq(loader_find("nosym", TESTS_BUILDDIR, &p, &err), DAL_EPLUGIN_INVALID);
	ck_assert_msg(tu_contains(err.message, "not a libdal plugin"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "backend_nosym_LTX_dal_plugin_init"), "%s", err.message);
}
END_TEST

START_TEST(test_loader_refuses_missing_required_slot)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_int_eq(loader_find("noslot", TESTS_BUILDDIR, &p, &err), DAL_EPLUGIN_INVALID);
	ck_assert_msg(tu_contains(err.message, "required function 'prepare'"), "%s", err.message);
}
END_TEST

/* Rule: a newer minor is accepted; the core reads only the members it
 * knows, of both structs, and finds the plugin by an alias it declares
 * (no table of names in the core). */
START_TEST(test_loader_accepts_newer_minor_abi)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_msg(loader_find("newer_alias", TESTS_BUILDDIR, &p, &err) == DAL_OK, "%s",
	              err.message);
	ck_assert_str_eq(p->reg.name, "newer");
	ck_assert_str_eq(p->reg.version, "9.9.9");
	ck_assert_uint_eq(DAL_ABI_MINOR_OF(p->reg.abi_version), 7);
	ck_assert_ptr_eq(p->reg.driver, &p->drv); /* our copy, cut to our size */
	ck_assert_ptr_nonnull(p->drv.rows_affected);
	ck_assert_ptr_null(p->drv.stmt_inner);
}
END_TEST

/* docs/abi.md, R4: a plugin of an older minor (2.0: the registration ends
 * before `dialect`, the function table before the 2.1 slots) loads, and
 * what was added since reads as NULL (unsupported). */
START_TEST(test_loader_accepts_older_minor_with_new_slots_null)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_msg(loader_find("minor0", TESTS_BUILDDIR, &p, &err) == DAL_OK, "%s",
	              err.message);
	ck_assert_uint_eq(DAL_ABI_MINOR_OF(p->drv.abi_version), 0);
	ck_assert_uint_eq(p->drv.struct_size, offsetof(struct dal_driver, execute_batch));
	ck_assert_ptr_nonnull(p->drv.rows_affected);
	ck_assert_ptr_null(p->drv.execute_batch);
	ck_assert_ptr_null(p->drv.bind_static);
	ck_assert_ptr_null(p->drv.execute_pipelined);
	ck_assert_ptr_null(p->drv.backup);
	ck_assert_ptr_null(p->drv.restore);
	/* Set in its memory beyond its declared size: never read. */
	ck_assert_ptr_null(p->drv.server_address);
	ck_assert_ptr_null(p->drv.node_status);
}
END_TEST

/* docs/abi.md: a packager may install an alias as a symlink, so that the
 * loader finds it by file name without reading every registration. */
START_TEST(test_loader_finds_alias_installed_as_symlink)
{
	char *dir = tu_mkdtemp();
	char link[4096];
	const struct loaded_plugin *p;
	dal_error err;

	snprintf(link, sizeof link, "%s/backend_sqlite3.so", dir);
	ck_assert_int_eq(symlink(TOP_BUILDDIR "/plugins/sqlite/.libs/backend_sqlite.so", link), 0);
	unsetenv("DAL_PLUGIN_PATH");
	ck_assert_msg(loader_find("sqlite3", dir, &p, &err) == DAL_OK, "%s", err.message);
	ck_assert_str_eq(p->reg.name, "sqlite");
	ck_assert_str_eq(p->path, link); /* found as a file, not by the scan */
	tu_rmtree(dir);
}
END_TEST

START_TEST(test_loader_reports_missing_dependency_by_name)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_int_eq(loader_find("missingdep", TESTS_BUILDDIR "/missingdep", &p, &err),
	                 DAL_EPLUGIN_LOAD);
	/* The dynamic loader's own words, naming the library that is missing,
	 * not a misleading "file not found". */
	ck_assert_msg(tu_contains(err.message, "missingdep/backend_missingdep.so"), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "libdaltestgone.so"), "%s", err.message);
}
END_TEST

START_TEST(test_loader_reports_garbage_file)
{
	char *dir = tu_mkdtemp();
	char *f = tu_write_file(dir, "backend_garbage.so", "this is not an ELF file\n");
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_int_eq(loader_find("garbage", dir, &p, &err), DAL_EPLUGIN_LOAD);
	ck_assert_msg(tu_contains(err.message, f), "%s", err.message);
	ck_assert_msg(!tu_contains(err.message, "file not found"), "%s", err.message);
	free(f);
	tu_rmtree(dir);
}
END_TEST

START_TEST(test_loader_never_searches_current_directory)
{
	char *dir = tu_mkdtemp();
	char *cwd = getcwd(NULL, 0);
	char cmd[4096];
	const struct loaded_plugin *p;
	dal_error err;

	/* A valid plugin sitting in the current directory must not be picked up. */
	snprintf(cmd, sizeof cmd, "cp '%s/.libs/backend_newer.so' '%s/backend_cwdonly.so'",
	         TESTS_BUILDDIR, dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(chdir(dir), 0);
	unsetenv("DAL_PLUGIN_PATH");
	ck_assert_int_eq(loader_find("cwdonly", NULL, &p, &err), DAL_EPLUGIN_NOTFOUND);
	ck_assert_int_eq(chdir(cwd), 0);
	free(cwd);
	tu_rmtree(dir);
}
END_TEST

START_TEST(test_loader_rejects_invalid_type_name)
{
	const struct loaded_plugin *p;
	dal_error err;

	ck_assert_int_eq(loader_find("../evil", NULL, &p, &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "invalid database type '../evil'"), "%s", err.message);
	ck_assert_int_eq(loader_find("", NULL, &p, &err), DAL_ECONFIG);
}
END_TEST

struct seen {
	int ok, bad;
	char names[1024];
	char errors[4096];
};

static void on_plugin(const dal_plugin_info *info, void *ud)
{
	struct seen *s = ud;
	if (info->status == DAL_OK) {
		s->ok++;
		strncat(s->names, info->name, sizeof s->names - strlen(s->names) - 2);
		strcat(s->names, " ");
	} else {
		s->bad++;
		ck_assert_ptr_nonnull(info->error);
		strncat(s->errors, info->error, sizeof s->errors - strlen(s->errors) - 2);
		strcat(s->errors, "\n");
	}
}

START_TEST(test_plugin_list_reports_good_and_broken)
{
	struct seen s = {0};
	dal_error err;
	int n;

	setenv("DAL_PLUGIN_PATH", TESTS_BUILDDIR ":" TOP_BUILDDIR "/plugins/sqlite", 1);
	n = dal_plugin_list(NULL, on_plugin, &s, &err);
	ck_assert_int_eq(n, s.ok + s.bad);
	ck_assert_msg(tu_contains(s.names, "sqlite "), "%s", s.names);
	ck_assert_msg(tu_contains(s.names, "newer "), "%s", s.names);
	ck_assert_msg(tu_contains(s.errors, "ABI 1.0"), "%s", s.errors);
	ck_assert_msg(tu_contains(s.errors, "ABI 3.0"), "%s", s.errors);
	ck_assert_msg(tu_contains(s.errors, "required function 'prepare'"), "%s", s.errors);
	ck_assert_msg(tu_contains(s.errors, "not a libdal plugin"), "%s", s.errors);
	ck_assert_int_ge(s.bad, 3);
}
END_TEST

static void on_dir(const char *dir, void *ud)
{
	strcat((char *)ud, dir);
	strcat((char *)ud, "|");
}

START_TEST(test_plugin_dirs_order)
{
	char buf[4096] = "";
	setenv("DAL_PLUGIN_PATH", "/a:/b", 1);
	dal_plugin_dirs(NULL, on_dir, buf);
	ck_assert_msg(strncmp(buf, "/a|/b|", 6) == 0, "%s", buf);
	ck_assert_msg(tu_contains(buf, "/dal|"), "%s", buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("loader");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_loader_finds_sqlite_by_name_and_alias);
	tcase_add_test(tc, test_loader_not_found_lists_every_directory);
	tcase_add_test(tc, test_loader_refuses_abi1_plugin_naming_versions);
	tcase_add_test(tc, test_loader_refuses_newer_major);
	tcase_add_test(tc, test_loader_refuses_registration_of_wrong_size);
	tcase_add_test(tc, test_loader_refuses_function_table_of_wrong_size);
	tcase_add_test(tc, test_loader_refuses_newer_minor_smaller_than_ours);
	tcase_add_test(tc, test_loader_accepts_older_minor_with_zeroed_members);
	tcase_add_test(tc, test_loader_accepts_2_1_registration_without_sql);
	tcase_add_test(tc, test_loader_reads_sql_facts_within_their_size);
	tcase_add_test(tc, test_loader_reports_plugin_refusing_older_core);
	tcase_add_test(tc, test_loader_refuses_file_without_symbol);
	tcase_add_test(tc, test_loader_refuses_missing_required_slot);
	tcase_add_test(tc, test_loader_accepts_newer_minor_abi);
	tcase_add_test(tc, test_loader_accepts_older_minor_with_new_slots_null);
	tcase_add_test(tc, test_loader_finds_alias_installed_as_symlink);
	tcase_add_test(tc, test_loader_reports_missing_dependency_by_name);
	tcase_add_test(tc, test_loader_reports_garbage_file);
	tcase_add_test(tc, test_loader_never_searches_current_directory);
	tcase_add_test(tc, test_loader_rejects_invalid_type_name);
	tcase_add_test(tc, test_plugin_list_reports_good_and_broken);
	tcase_add_test(tc, test_plugin_dirs_order);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
