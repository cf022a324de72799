/*
 * Migrations (<dal/migrate.h>) on a SQLite file, for the paths the main
 * suites leave out (docs/testing.md, "Coverage"): every kind of *.sql name
 * that is not a migration name is refused naming the file, a file changed
 * between open and up is not run, and a revert without the files it needs
 * is refused before anything runs.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dal/dal.h>
#include <dal/migrate.h>

#include "testutil.h"

static char *tmpdir, *migdir;
static dal_repo *repo;

static void setup(void)
{
	char url[4200];

	tu_clear_env();
	tmpdir = tu_mkdtemp();
	ck_assert_int_gt(asprintf(&migdir, "%s/m", tmpdir), 0);
	ck_assert_int_eq(mkdir(migdir, 0700), 0);
	snprintf(url, sizeof url, "sqlite:///%s/db.sqlite", tmpdir);
	repo = tu_repo_open(url);
}

static void teardown(void)
{
	dal_repo_close(repo);
	repo = NULL;
	free(migdir);
	migdir = NULL;
	tu_rmtree(tmpdir);
	tmpdir = NULL;
}

static void put(const char *name, const char *text)
{
	free(tu_write_file(migdir, name, text));
}

static void drop(const char *name)
{
	char *p;

	ck_assert_int_gt(asprintf(&p, "%s/%s", migdir, name), 0);
	ck_assert_int_eq(unlink(p), 0);
	free(p);
}

/* Each name alone in the directory: refused at open (DAL_ECONFIG) naming
 * it; a file not ending in .sql is ignored. */
START_TEST(test_migrate_bad_names_are_refused)
{
	static const char *const bad[] = {
		"abc.sql",                   /* no version */
		"0001.sql",                  /* no name */
		"0001_.sql",                 /* empty name */
		"0001_bad name.sql",         /* a space in the name */
		"0001_x.down.down.sql",      /* two downs */
		"0001_x.Up.sql",             /* a tag in upper case */
		"0001_x.sqlite.pgsql.sql",   /* two backend tags */
		"0001_x..sql",               /* an empty tag */
		"1234567890123456789_x.sql", /* a version of 19 digits */
	};
	dal_migrator *m;
	dal_error err;

	put("README.txt", "not a migration");
	ck_assert_msg(dal_migrator_open(&m, repo, migdir, &err) == DAL_OK, "%s", err.message);
	dal_migrator_close(m);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put(bad[i], "SELECT 1;");
		m = (dal_migrator *)1;
		ck_assert_msg(dal_migrator_open(&m, repo, migdir, &err) == DAL_ECONFIG, "%s", bad[i]);
		ck_assert_ptr_null(m);
		ck_assert_msg(tu_contains(err.message, bad[i]), "%s: %s", bad[i], err.message);
		drop(bad[i]);
	}
}
END_TEST

/* The migrator checksums each file when it opens; a file edited before up
 * runs is refused, naming it, and nothing of it is applied. */
START_TEST(test_migrate_file_changed_after_open_is_not_run)
{
	dal_migrator *m;
	dal_error err;
	int applied = -1;

	put("0001_a.sql", "CREATE TABLE a (x INTEGER);");
	ck_assert_int_eq(dal_migrator_open(&m, repo, migdir, &err), DAL_OK);
	put("0001_a.sql", "CREATE TABLE a (x INTEGER, y INTEGER);");
	ck_assert_int_eq(dal_migrator_up(m, -1, &applied, &err), DAL_ECONFIG);
	tu_assert_has(err.message, "0001_a.sql changed while the migrator ran");
	ck_assert_int_eq(applied, 0);
	ck_assert_int_eq(dal_repo_exec(repo, "SELECT * FROM a", NULL, &err), DAL_ENOTFOUND);
	dal_migrator_close(m);
}
END_TEST

/* A revert needs the newest applied migration's file and its down file:
 * without the file it is refused naming the version and directory,
 * without the down file naming the file expected; nothing is reverted. */
START_TEST(test_migrate_down_without_its_files_is_refused)
{
	dal_migrator *m;
	dal_error err;
	int n = -1;
	int64_t cur = -1;

	put("0001_a.sql", "CREATE TABLE a (x INTEGER);");
	put("0002_b.sql", "CREATE TABLE b (x INTEGER);");
	put("0002_b.down.sql", "DROP TABLE b;");
	ck_assert_int_eq(dal_migrator_open(&m, repo, migdir, &err), DAL_OK);
	ck_assert_msg(dal_migrator_up(m, -1, &n, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(n, 2);
	dal_migrator_close(m);

	drop("0002_b.sql");
	drop("0002_b.down.sql");
	ck_assert_int_eq(dal_migrator_open(&m, repo, migdir, &err), DAL_OK);
	ck_assert_int_eq(dal_migrator_down(m, -1, &n, &err), DAL_ECONFIG);
	tu_assert_has(err.message, "cannot revert migration 2_b: no file of it in");
	dal_migrator_close(m);

	ck_assert_int_eq(dal_migrator_open(&m, repo, migdir, &err), DAL_OK);
	ck_assert_int_eq(dal_migrator_stamp(m, 1, &err), DAL_OK);
	ck_assert_int_eq(dal_migrator_down(m, 0, &n, &err), DAL_ECONFIG);
	tu_assert_has(err.message, "no down migration");
	tu_assert_has(err.message, "0001_a.down.sql");
	ck_assert_int_eq(dal_migrator_status(m, NULL, NULL, &cur, NULL, &err), DAL_OK);
	ck_assert_int_eq(cur, 1);
	dal_migrator_close(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_migrate");
	TCase *tc = tcase_create("migrate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_migrate_bad_names_are_refused);
	tcase_add_test(tc, test_migrate_file_changed_after_open_is_not_run);
	tcase_add_test(tc, test_migrate_down_without_its_files_is_refused);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
