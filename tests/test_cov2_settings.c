/*
 * Settings resolution (core/settings_check.c) and plugin lookup
 * (core/loader.c) for the cases the other suites leave out: a
 * password_file with a NUL byte, over 64 KiB, or ending in CR LF (that one
 * against the MariaDB test server, when DAL_TEST_MYSQL_URL is set); a file
 * database whose plugin has no default path; a relative path resolved
 * while the working directory is gone; a plugin file that registers
 * another backend's name, and the list of known names that follows.
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
	tmpdir = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rmtree(tmpdir);
	tmpdir = NULL;
}

/* Write size bytes of data to tmpdir/name; the path (free it). */
static char *write_bytes(const char *name, const char *data, size_t size)
{
	char *path;
	FILE *f;

	ck_assert_int_gt(asprintf(&path, "%s/%s", tmpdir, name), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(data, 1, size, f), size);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* dal_repo_open() of [main] in text: its code, the message in e. */
static int open_ini(const char *text, dal_error *e)
{
	dal_config *cfg = tu_config_parse(text);
	dal_repo *r = NULL;
	int rc = dal_repo_open(&r, cfg, "main", NULL, e);

	dal_repo_close(r);
	dal_config_free(cfg);
	return rc;
}

/* A password file must be text: a NUL byte or more than 64 KiB is
 * refused, naming the setting's place and the file, before any connect. */
START_TEST(test_password_file_not_text)
{
	static char big[64 * 1024 + 1];
	char *nul, *large, ini[8400], want[4400];
	dal_error e;

	if (!tu_backends_built("mysql"))
		return;
	memset(big, 'p', sizeof big);
	nul = write_bytes("nul.pw", "sec\0ret\n", 8);
	large = write_bytes("big.pw", big, sizeof big);

	snprintf(ini, sizeof ini, "[main]\ntype = mysql\nhost = 127.0.0.1\nuser = u\n"
	         "password_file = %s\n", nul);
	ck_assert_int_eq(open_ini(ini, &e), DAL_ECONFIG);
	snprintf(want, sizeof want, "t.ini:5: password_file '%s' contains a NUL byte", nul);
	ck_assert_str_eq(e.message, want);

	snprintf(ini, sizeof ini, "[main]\ntype = mysql\nhost = 127.0.0.1\nuser = u\n"
	         "password_file = %s\n", large);
	ck_assert_int_eq(open_ini(ini, &e), DAL_ECONFIG);
	snprintf(want, sizeof want, "t.ini:5: password_file '%s' is larger than 64 KiB", large);
	ck_assert_str_eq(e.message, want);
	tu_assert_lacks(e.message, "pppp");
	free(nul);
	free(large);
}
END_TEST

/* A password file written on Windows (CR LF) gives the password without
 * them: the MariaDB test server accepts it. */
START_TEST(test_password_file_crlf)
{
	const char *url = tu_server_url("mysql");
	char pw[512], line[520], *file, *u;
	dal_repo *r;
	dal_conn *c;
	dal_error e;

	if (!url)
		return;
	tu_url_password(url, pw, sizeof pw);
	ck_assert_msg(*pw, "the test server's URL has no password");
	snprintf(line, sizeof line, "%s\r\n", pw);
	file = write_bytes("crlf.pw", line, strlen(line));
	/* The URL without its password, the file's instead. */
	ck_assert_int_gt(asprintf(&u, "%s%spassword_file=%s", url, strchr(url, '?') ? "&" : "?",
	                          file), 0);
	{
		/* Drop ":password" between the user and '@'. */
		char *at = strrchr(u, '@'), *colon = strchr(strstr(u, "://") + 3, ':');

		ck_assert_ptr_nonnull(at);
		ck_assert_msg(colon && colon < at, "%s", "no password in the URL");
		memmove(colon, at, strlen(at) + 1);
	}
	ck_assert_msg(dal_repo_open_url(&r, u, &e) == DAL_OK, "%s", e.message);
	ck_assert_msg(dal_conn_acquire(r, &c, &e) == DAL_OK, "%s", e.message);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 1"), 1);
	dal_conn_release(c);
	dal_repo_close(r);
	free(u);
	free(file);
}
END_TEST

/* A file database needs a path when its plugin declares no default
 * (tests/plugins/madeup.c built as nofacts). */
START_TEST(test_file_database_without_default_path)
{
	dal_error e;

	ck_assert_int_eq(open_ini("[main]\ntype = nofacts\n", &e), DAL_ECONFIG);
	ck_assert_str_eq(e.message, "repository 'main': a nofacts database needs a path (path = "
	                            "FILE, DB_NAME, or a URL like nofacts:///FILE)");
}
END_TEST

/* A relative path of a URL is made absolute against the working
 * directory; when that is gone (removed under the process), against '/',
 * and the path is still absolute. */
static void path_fn(const char *key, const char *value, const char *source, void *ud)
{
	(void)source;
	if (strcmp(key, "path") == 0)
		snprintf(ud, 4096, "%s", value);
}

START_TEST(test_relative_path_without_cwd)
{
	char *gone, out[4096] = "";
	dal_error e;

	ck_assert_int_gt(asprintf(&gone, "%s/gone", tmpdir), 0);
	ck_assert_int_eq(mkdir(gone, 0700), 0);
	ck_assert_int_eq(chdir(gone), 0);
	ck_assert_int_eq(rmdir(gone), 0);
	ck_assert_msg(dal_config_describe(NULL, "main", "sqlite:///rel.db", path_fn, out, &e) ==
	                      DAL_OK, "%s", e.message);
	ck_assert_str_eq(out, "/rel.db");
	ck_assert_int_eq(chdir("/"), 0);
	free(gone);
}
END_TEST

/* A plugin file found for type 'other' that registers 'nofacts' is
 * refused naming the file and both names; the names then listed for an
 * unknown type name each plugin once, although nofacts is now cached
 * under two paths. */
START_TEST(test_plugin_registers_another_name)
{
	char *dir, *link_path, *target, *path;
	const char *old = getenv("DAL_PLUGIN_PATH");
	dal_repo *r = NULL;
	dal_error e;
	const char *p;
	int n = 0;

	ck_assert_int_gt(asprintf(&dir, "%s/p", tmpdir), 0);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_gt(asprintf(&target, "%s/.libs/backend_nofacts.so", TESTS_BUILDDIR), 0);
	ck_assert_int_gt(asprintf(&link_path, "%s/backend_other.so", dir), 0);
	ck_assert_int_eq(symlink(target, link_path), 0);
	ck_assert_int_gt(asprintf(&path, "%s:%s", dir, old ? old : ""), 0);
	setenv("DAL_PLUGIN_PATH", path, 1);

	ck_assert_int_eq(dal_repo_open_url(&r, "other:///x.db", &e), DAL_EPLUGIN_INVALID);
	ck_assert_ptr_null(r);
	tu_assert_has(e.message, "backend_other.so registers backend 'nofacts', which is not "
	                         "'other'");
	r = tu_repo_open("nofacts::memory:");
	dal_repo_close(r);
	ck_assert_int_eq(dal_repo_open_url(&r, "zzz:///x.db", &e), DAL_EPLUGIN_NOTFOUND);
	tu_assert_has(e.message, "(installed: ");
	for (p = e.message; (p = strstr(p, "nofacts")); p++)
		n++;
	ck_assert_msg(n == 1, "nofacts named %d times: %s", n, e.message);
	free(dir);
	free(link_path);
	free(target);
	free(path);
}
END_TEST

/* A plugin file that does not load: the message gives dlopen()'s reason
 * for the shared object behind it -- for a libtool .la, the one in .libs/
 * (a build tree) or else next to it. */
START_TEST(test_plugin_file_does_not_load)
{
	static const char *const layouts[] = {".libs/", ""};
	const char *old = getenv("DAL_PLUGIN_PATH");

	for (size_t i = 0; i < 2; i++) {
		char *dir, *la, *so, *path, want[8400];
		dal_repo *r = NULL;
		dal_error e;

		ck_assert_int_gt(asprintf(&dir, "%s/p%zu", tmpdir, i), 0);
		ck_assert_int_eq(mkdir(dir, 0700), 0);
		ck_assert_int_gt(asprintf(&la, "%s/backend_brokenla.la", dir), 0);
		free(tu_write_file(dir, "backend_brokenla.la",
		                   "# backend_brokenla.la - a libtool library file\n"
		                   "dlname='backend_brokenla.so'\nlibrary_names='backend_brokenla.so'\n"
		                   "old_library=''\ndependency_libs=''\ninstalled=no\n"
		                   "shouldnotlink=yes\nlibdir='/nowhere'\n"));
		if (*layouts[i]) {
			char *libs;

			ck_assert_int_gt(asprintf(&libs, "%s/.libs", dir), 0);
			ck_assert_int_eq(mkdir(libs, 0700), 0);
			free(libs);
		}
		ck_assert_int_gt(asprintf(&so, "%s/%sbackend_brokenla.so", dir, layouts[i]), 0);
		{
			FILE *f = fopen(so, "w");

			ck_assert_ptr_nonnull(f);
			fputs("This is not a shared object, but text long enough to be read as "
			      "a header and refused as one by the dynamic loader.\n", f);
			ck_assert_int_eq(fclose(f), 0);
		}
		ck_assert_int_gt(asprintf(&path, "%s:%s", dir, old ? old : ""), 0);
		setenv("DAL_PLUGIN_PATH", path, 1);
		ck_assert_int_eq(dal_repo_open_url(&r, "brokenla:///x.db", &e), DAL_EPLUGIN_LOAD);
		ck_assert_ptr_null(r);
		snprintf(want, sizeof want, "cannot load plugin %s: %s: ", la, so);
		ck_assert_msg(strncmp(e.message, want, strlen(want)) == 0, "%s", e.message);
		tu_assert_has(e.message, "ELF");
		setenv("DAL_PLUGIN_PATH", old, 1);
		free(dir);
		free(la);
		free(so);
		free(path);
	}
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	tu_clear_env();
	if (tu_plugin_path_prepend(TESTS_BUILDDIR) != 0)
		return 99;
	s = suite_create("cov2_settings");
	tc = tcase_create("settings");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_password_file_not_text);
	tcase_add_test(tc, test_password_file_crlf);
	tcase_add_test(tc, test_file_database_without_default_path);
	tcase_add_test(tc, test_relative_path_without_cwd);
	tcase_add_test(tc, test_plugin_registers_another_name);
	tcase_add_test(tc, test_plugin_file_does_not_load);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
