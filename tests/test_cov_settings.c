/*
 * Settings resolution (docs/config.md) for the cases the main suites leave
 * out (docs/testing.md, "Coverage"): DB_TYPE naming no installed backend,
 * DB_NAME as the file of a file database, durations out of range and below
 * a millisecond, an empty migrations setting, and replicas that name no
 * host. Each error is DAL_ECONFIG (or DAL_EPLUGIN_NOTFOUND) naming the
 * setting and where it came from.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"

/* dal_repo_open() of url (NULL: the environment's default repository):
 * its code, the message in err. */
static int open_rc(const char *url, dal_error *err)
{
	dal_repo *r = NULL;
	int rc = dal_repo_open(&r, NULL, NULL, url, err);

	if (rc == DAL_OK)
		dal_repo_close(r);
	return rc;
}

START_TEST(test_settings_db_type_without_backend)
{
	dal_error err;
	int rc;

	setenv("DB_TYPE", "nosuchbackend", 1);
	rc = open_rc(NULL, &err);
	ck_assert_msg(rc == DAL_EPLUGIN_NOTFOUND, "%s: %s", dal_code_name(rc), err.message);
	tu_assert_has(err.message, "DB_TYPE");
	tu_assert_has(err.message, "type = 'nosuchbackend'");
}
END_TEST

/* DB_TYPE=sqlite DB_NAME=FILE: for a file database the name is the file. */
START_TEST(test_settings_db_name_is_the_file_of_a_file_database)
{
	char *file;
	dal_error err;
	int rc;

	ck_assert_int_gt(asprintf(&file, "%s/named.db", tu_tmpdir), 0);
	setenv("DB_TYPE", "sqlite", 1);
	setenv("DB_NAME", file, 1);
	rc = open_rc(NULL, &err);
	ck_assert_msg(rc == DAL_OK, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_int_eq(access(file, F_OK), 0);
	free(file);
}
END_TEST

START_TEST(test_settings_bad_values_name_the_setting)
{
	static const struct {
		const char *url, *want;
	} bad[] = {
		{"sqlite::memory:?pool_timeout=100000", "is out of range (expected 0..86400 seconds)"},
		{"sqlite::memory:?retry_delay=3601", "is out of range (expected 0..3600 seconds)"},
		{"sqlite::memory:?migrations=", "migrations is empty"},
		{"postgresql://u:p@127.0.0.1/db?replicas=,", "replicas"},
	};
	dal_error err;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc;

		/* The replicas case resolves a server type: its plugin is needed. */
		if (strncmp(bad[i].url, "postgresql", 10) == 0 && !tu_backends_built("pgsql"))
			continue;
		rc = open_rc(bad[i].url, &err);

		ck_assert_msg(rc == DAL_ECONFIG, "%s: %s: %s", bad[i].url, dal_code_name(rc),
		              err.message);
		ck_assert_msg(tu_contains(err.message, bad[i].want), "%s: '%s' not in: %s",
		              bad[i].url, bad[i].want, err.message);
		tu_assert_lacks(err.message, ":p@");
	}
}
END_TEST

/* A statement_timeout below a millisecond is one millisecond, not off: a
 * query of seconds is stopped. */
START_TEST(test_settings_tiny_statement_timeout_is_one_millisecond)
{
	dal_repo *r = NULL;
	dal_conn *c;
	dal_error err;
	int rc;

	ck_assert_int_eq(dal_repo_open(&r, NULL, NULL, "sqlite::memory:?statement_timeout=0.0001",
	                               &err), DAL_OK);
	ck_assert_int_eq(dal_conn_acquire(r, &c, &err), DAL_OK);
	rc = dal_conn_exec(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	                      "WHERE i < 100000000) SELECT COUNT(*) FROM n", NULL);
	ck_assert_msg(rc == DAL_ETIMEOUT, "%s: %s", dal_code_name(rc), dal_conn_error(c)->message);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_settings");
	TCase *tc = tcase_create("settings");

	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_settings_db_type_without_backend);
	tcase_add_test(tc, test_settings_db_name_is_the_file_of_a_file_database);
	tcase_add_test(tc, test_settings_bad_values_name_the_setting);
	tcase_add_test(tc, test_settings_tiny_statement_timeout_is_one_millisecond);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
