/*
 * Repository-level API rules (docs/testing.md, "Coverage"), on SQLite in
 * memory: NULL arguments, statistics and trace hooks without telemetry,
 * and an INI section for another backend ([main.mysql]) that a SQLite
 * repository ignores, saying so in the debug log.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "testutil.h"

START_TEST(test_repo_null_arguments_and_no_telemetry)
{
	dal_repo *r = NULL;
	dal_op_stats st;
	dal_error err;

	tu_clear_env();
	ck_assert_int_eq(dal_repo_open(NULL, NULL, NULL, "sqlite::memory:", &err), DAL_EMISUSE);
	tu_assert_has(err.message, "dal_repo_open: out is NULL");
	ck_assert_int_eq(dal_repo_open(NULL, NULL, NULL, "sqlite::memory:", NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_repo_stats(NULL, DAL_OP_EXEC, &st), DAL_EMISUSE);
	ck_assert_int_eq(dal_repo_stats(NULL, DAL_OP_EXEC, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_repo_trace_set(NULL, NULL, NULL), DAL_EMISUSE);
	dal_repo_stats_reset(NULL); /* a no-op */

	ck_assert_int_eq(dal_repo_open(&r, NULL, NULL, "sqlite::memory:?telemetry=off", &err),
	                 DAL_OK);
	ck_assert_int_eq(dal_repo_stats(r, DAL_OP_EXEC, &st), DAL_EUNSUPPORTED);
	ck_assert_int_eq(dal_repo_stats(r, (dal_op)9999, &st), DAL_EMISUSE);
	ck_assert_int_eq(dal_repo_trace_set(r, NULL, NULL), DAL_EUNSUPPORTED);
	dal_repo_stats_reset(r); /* the pool's figures only */
	dal_repo_close(r);
}
END_TEST

struct logged {
	int hits;
	char line[512];
};

static void on_log(dal_log_level level, const char *msg, void *ud)
{
	struct logged *l = ud;

	if (level == DAL_LOG_DEBUG && strstr(msg, "[main.mysql]")) {
		l->hits++;
		snprintf(l->line, sizeof l->line, "%s", msg);
	}
}

/* Options of a section for another backend do not reach the SQLite
 * plugin (which would refuse an unknown option): ignored, with a debug
 * line naming the section and the backend in use. */
START_TEST(test_repo_ignores_sections_of_other_backends)
{
	struct logged l = {0, ""};
	dal_config *cfg;
	dal_repo *r = NULL;
	dal_error err;

	tu_clear_env();
	ck_assert_msg(dal_config_parse(&cfg, "[main]\nurl = sqlite::memory:\n\n[main.mysql]\n"
	                                     "buffered = on\n", "cov.ini", &err) == DAL_OK,
	              "%s", err.message);
	dal_log_set(on_log, &l);
	ck_assert_msg(dal_repo_open(&r, cfg, "main", NULL, &err) == DAL_OK, "%s", err.message);
	dal_log_set(NULL, NULL);
	ck_assert_int_eq(l.hits, 1);
	tu_assert_has(l.line, "cov.ini");
	tu_assert_has(l.line, "repository 'main' uses sqlite");
	tu_repo_exec(r, "SELECT 1");
	dal_repo_close(r);
	dal_config_free(cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_repo");
	TCase *tc = tcase_create("repo");

	tcase_add_test(tc, test_repo_null_arguments_and_no_telemetry);
	tcase_add_test(tc, test_repo_ignores_sections_of_other_backends);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
