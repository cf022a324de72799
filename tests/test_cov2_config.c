/*
 * Configuration files (core/config.c, core/settings.c) for the cases the
 * other suites leave out: a file over the size limit and a file with a
 * syntax error through dal_config_load() (not dal_config_parse()), the
 * [dal] plugin_dir setting relative to the file's directory and absolute,
 * a named repository without any configuration.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"

static char *tmpdir;

static void setup(void)
{
	tu_clear_env();
	unsetenv("DAL_PLUGIN_PATH");
	tmpdir = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rmtree(tmpdir);
	tmpdir = NULL;
}

/* Over 1 MiB: refused, naming the file, with nothing returned. */
START_TEST(test_config_too_large)
{
	char *path, want[4400];
	dal_config *cfg = (dal_config *)&cfg;
	dal_error e;
	FILE *f;

	ck_assert_int_gt(asprintf(&path, "%s/big.ini", tmpdir), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("[main]\ntype = sqlite\n", f);
	for (int i = 0; i < 1024 * 1024 / 15 + 1; i++)
		fputs("; padding line\n", f); /* 15 bytes */
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(dal_config_load(&cfg, path, &e), DAL_ECONFIG);
	ck_assert_ptr_null(cfg);
	snprintf(want, sizeof want, "cannot read config file '%s': larger than 1 MiB, not a "
	         "config file", path);
	ck_assert_str_eq(e.message, want);
	free(path);
}
END_TEST

/* A syntax error in a loaded file: its file:line, nothing returned. */
START_TEST(test_config_load_syntax_error)
{
	char *path, want[4400];
	dal_config *cfg = (dal_config *)&cfg;
	dal_error e;

	path = tu_write_file(tmpdir, "bad.ini", "[main]\ntype = sqlite\n[unclosed\n");
	ck_assert_int_eq(dal_config_load(&cfg, path, &e), DAL_ECONFIG);
	ck_assert_ptr_null(cfg);
	snprintf(want, sizeof want, "%s:3: ", path);
	ck_assert_msg(strncmp(e.message, want, strlen(want)) == 0, "%s", e.message);
	free(path);
}
END_TEST

/* A configuration whose [dal] plugin_dir is dir (NULL: the absolute
 * path of tmpdir/plugins, which holds the minimal test plugin): the code
 * of opening its [main] of type minimal, the message in e. */
static int open_with_plugin_dir(const char *dir, dal_error *e)
{
	char text[4400], *plugins, *path, *target, *link_path;
	dal_config *cfg;
	dal_repo *r = NULL;
	int rc;

	ck_assert_int_gt(asprintf(&plugins, "%s/plugins", tmpdir), 0);
	ck_assert_int_eq(mkdir(plugins, 0700), 0);
	ck_assert_int_gt(asprintf(&target, "%s/.libs/backend_minimal.so", TESTS_BUILDDIR), 0);
	ck_assert_int_gt(asprintf(&link_path, "%s/backend_minimal.so", plugins), 0);
	ck_assert_int_eq(symlink(target, link_path), 0);
	snprintf(text, sizeof text, "[dal]\nplugin_dir = %s\n[main]\ntype = minimal\n"
	         "path = :memory:\n", dir ? dir : plugins);
	path = tu_write_file(tmpdir, "dal.ini", text);
	ck_assert_msg(dal_config_load(&cfg, path, e) == DAL_OK, "%s", e->message);
	rc = dal_repo_open(&r, cfg, "main", NULL, e);
	if (rc == DAL_OK)
		ck_assert_str_eq(dal_repo_backend(r), "minimal");
	dal_repo_close(r);
	dal_config_free(cfg);
	free(plugins);
	free(path);
	free(target);
	free(link_path);
	return rc;
}

/* [dal] plugin_dir finds a plugin outside DAL_PLUGIN_PATH: relative to
 * the file's directory, or absolute. (One case per test: a plugin once
 * loaded stays loaded in the process.) */
START_TEST(test_plugin_dir_relative)
{
	dal_error e;

	ck_assert_msg(open_with_plugin_dir("plugins", &e) == DAL_OK, "%s", e.message);
}
END_TEST

START_TEST(test_plugin_dir_absolute)
{
	dal_error e;

	ck_assert_msg(open_with_plugin_dir(NULL, &e) == DAL_OK, "%s", e.message);
}
END_TEST

/* A plugin_dir without the plugin: named in the error, as the file's
 * directory made it. */
START_TEST(test_plugin_dir_without_the_plugin)
{
	char *empty, want[4400];
	dal_error e;

	ck_assert_int_gt(asprintf(&empty, "%s/empty", tmpdir), 0);
	ck_assert_int_eq(mkdir(empty, 0700), 0);
	ck_assert_int_eq(open_with_plugin_dir("empty", &e), DAL_EPLUGIN_NOTFOUND);
	snprintf(want, sizeof want, "%s (plugin_dir)", empty);
	tu_assert_has(e.message, want);
	free(empty);
}
END_TEST

/* A named repository without a configuration file: the error says that
 * no file was loaded and how to give one. */
START_TEST(test_named_repository_without_config)
{
	dal_config *cfg;
	dal_repo *r = NULL;
	dal_error e;

	unsetenv("DAL_CONFIG");
	ck_assert_int_eq(dal_config_load(&cfg, NULL, &e), DAL_OK);
	ck_assert_int_eq(dal_repo_open(&r, cfg, "reports", NULL, &e), DAL_ECONFIG);
	ck_assert_ptr_null(r);
	dal_config_free(cfg);
	ck_assert_str_eq(e.message, "repository 'reports' not found: no configuration file was "
	                            "loaded (set DAL_CONFIG or give a file)");
}
END_TEST

static void value_of(const char *key, const char *value, const char *source, void *ud)
{
	(void)source;
	if (strcmp(key, "path") == 0 || strcmp(key, "pool_size") == 0)
		snprintf((char *)ud + strlen(ud), 256 - strlen(ud), "%s=%s;", key, value);
}

/* Blanks of every kind (space, tab, CR, form feed, vertical tab) around
 * keys and values are not part of them. */
START_TEST(test_config_blanks)
{
	dal_config *cfg = tu_config_parse("[main]\r\n\ttype = minimal\r\n"
	                                  "\fpath\v=\t/x.db \r\n"
	                                  " pool_size =\f3\v\r\n");
	char out[256] = "";
	dal_error e;

	setenv("DAL_PLUGIN_PATH", TESTS_BUILDDIR, 1); /* the minimal test plugin */
	ck_assert_msg(dal_config_describe(cfg, "main", NULL, value_of, out, &e) == DAL_OK, "%s",
	              e.message);
	ck_assert_str_eq(out, "path=/x.db;pool_size=3;");
	dal_config_free(cfg);
}
END_TEST

/* DAL_CONFIG names the file dal_config_load() reads when given no path;
 * set but empty, it names none. */
START_TEST(test_config_from_env)
{
	char *path;
	dal_config *cfg;
	dal_error e;

	path = tu_write_file(tmpdir, "env.ini", "[main]\ntype = sqlite\npath = /e.db\n");
	setenv("DAL_CONFIG", path, 1);
	ck_assert_msg(dal_config_load(&cfg, NULL, &e) == DAL_OK, "%s", e.message);
	ck_assert_str_eq(dal_config_path(cfg), path);
	dal_config_free(cfg);
	setenv("DAL_CONFIG", "", 1);
	ck_assert_msg(dal_config_load(&cfg, NULL, &e) == DAL_OK, "%s", e.message);
	ck_assert_ptr_null(dal_config_path(cfg));
	dal_config_free(cfg);
	unsetenv("DAL_CONFIG");
	free(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov2_config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_too_large);
	tcase_add_test(tc, test_config_load_syntax_error);
	tcase_add_test(tc, test_plugin_dir_relative);
	tcase_add_test(tc, test_plugin_dir_absolute);
	tcase_add_test(tc, test_plugin_dir_without_the_plugin);
	tcase_add_test(tc, test_named_repository_without_config);
	tcase_add_test(tc, test_config_blanks);
	tcase_add_test(tc, test_config_from_env);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
