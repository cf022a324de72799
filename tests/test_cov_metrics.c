/*
 * Metrics export escaping and sinks (docs/telemetry.md; docs/testing.md,
 * "Coverage"): a database path holding a double quote, a backslash and a
 * newline appears escaped in the Prometheus labels and the JSON strings
 * (no raw newline splits a sample), a sink that asks to stop ends the
 * export with DAL_EBACKEND, and a small buffer gets the full length back.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dal/dal.h>

#include "testutil.h"

static int stop_at_once(const char *data, size_t len, void *ud)
{
	(void)data;
	(void)len;
	++*(int *)ud;
	return 1;
}

START_TEST(test_metrics_escape_the_namespace)
{
	char *tmp = tu_mkdtemp(), *dir, *url, *buf = malloc(1 << 20);
	dal_repo *r;
	dal_error err;
	long n;
	int calls = 0;
	char small[16];

	ck_assert_ptr_nonnull(buf);
	tu_clear_env();
	ck_assert_int_gt(asprintf(&dir, "%s/we\"ird\\dir", tmp), 0);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_gt(asprintf(&url, "sqlite:///%s/we%%22ird%%5Cdir/x%%0Ay.db", tmp), 0);
	ck_assert_msg(dal_repo_open_url(&r, url, &err) == DAL_OK, "%s", err.message);
	tu_repo_exec(r, "SELECT 1");

	n = dal_repo_metrics_format(r, DAL_METRICS_JSON, buf, 1 << 20);
	ck_assert_int_gt(n, 0);
	tu_assert_has(buf, "we\\\"ird\\\\dir/x\\u000ay.db\"");
	n = dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, buf, 1 << 20);
	ck_assert_int_gt(n, 0);
	tu_assert_has(buf, "db_namespace=\"");
	tu_assert_has(buf, "we\\\"ird\\\\dir/x\\ny.db\"");
	tu_assert_lacks(buf, "\ny.db");

	/* snprintf-style: the full length, a truncated, terminated text. */
	ck_assert_int_eq(dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, small, sizeof small), n);
	ck_assert_uint_eq(strlen(small), sizeof small - 1);
	ck_assert_int_eq(dal_repo_metrics_write(r, DAL_METRICS_JSON, stop_at_once, &calls),
	                 DAL_EBACKEND);
	ck_assert_int_eq(calls, 1);
	dal_repo_close(r);
	free(url);
	free(dir);
	free(buf);
	tu_rmtree(tmp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_test(tc, test_metrics_escape_the_namespace);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
