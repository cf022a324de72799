/*
 * Allocation failures in the environment mapping, nested transactions and
 * savepoints, the row helpers and the statement log: for every N, a child
 * runs the workload below on SQLite in memory with allocation N failing
 * (failmalloc.c, mode "once") and must end cleanly: no crash, no hang, no
 * wrong result; under AddressSanitizer also no leak. The rest of the core
 * is test_oom.c's; this workload is small (about 1 s for every N, 30 s under
 * AddressSanitizer).
 *
 * Warm start: the parent runs the workload once first, so that the plugin
 * is loaded and SQLite initialised before any child forks.
 */
#define _GNU_SOURCE
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dal/dal.h>
#include <dal/rows.h>

#include "failmalloc.h"
#include "testutil.h"

static const char ini[] = "[main]\nenv_prefix = OOMAPP_DB_\n[main.env]\nmax_retries = OOMAPP_RETRIES\n";

static void quiet(dal_log_level level, const char *msg, void *ud)
{
	(void)level, (void)msg, (void)ud;
}

/* 0: done; 1: stopped cleanly by an error; 2: a wrong result. */
static int workload(void)
{
	dal_config *cfg = NULL;
	dal_repo *r = NULL;
	dal_conn *c = NULL;
	dal_stmt *st = NULL;
	dal_error e;
	const char *cols[] = {"id", "name"};
	const char *key[] = {"id"};
	dal_param v[] = {DAL_PARAM_INT64(10), DAL_PARAM_TEXT("ten"), DAL_PARAM_INT64(11),
	                 DAL_PARAM_TEXT("eleven")};
	dal_field row[] = {DAL_FIELD_INT64("id", 1), DAL_FIELD_TEXT("name", "one")};
	const char *by_id[] = {"id"};
	dal_list_opts o = {.order_by = by_id, .n_order = 1, .limit = 10, .want_total = 1};
	int64_t id = 0, n = 0, total = 0;
	int bad = 0, done = 0, found = 0, rows = 0, rc;

	if (dal_config_parse(&cfg, ini, NULL, &e) || dal_repo_open(&r, cfg, NULL, NULL, &e) ||
	    dal_conn_acquire(r, &c, &e))
		goto out;
	if (dal_conn_exec(c, "CREATE TABLE \"T t\" (id INTEGER PRIMARY KEY, name TEXT)", NULL) ||
	    dal_conn_begin(c) || dal_conn_begin(c) || dal_conn_savepoint(c, "sp") ||
	    dal_row_insert(c, "T t", row, 2, "id", &id) ||
	    dal_row_insert_many(c, "T t", cols, 2, v, 2, &n) ||
	    dal_row_upsert(c, "T t", row, 2, key, 1, NULL) ||
	    dal_conn_savepoint_release(c, "sp") || dal_conn_commit(c) ||
	    dal_row_count(c, "T t", NULL, 0, &total) || dal_row_exists(c, "T t", row, 1, &found))
		goto out;
	if (id != 1 || n != 2 || total != 3 || !found) {
		bad = 1;
		goto out;
	}
	if (dal_row_list(c, "T t", &o, &st, &total))
		goto out;
	while ((rc = dal_stmt_step(st)) == DAL_ROW)
		rows++;
	if (rc != DAL_DONE)
		goto out;
	if (rows != 3 || total != 3) {
		bad = 1;
		goto out;
	}
	dal_stmt_close(st);
	st = NULL;
	if (dal_row_get(c, "T t", NULL, 0, row, 1, &st) != DAL_ROW)
		goto out;
	if (strcmp(dal_stmt_column_text(st, 1, NULL), "one") != 0)
		bad = 1;
	dal_stmt_close(st);
	st = NULL;
	if (dal_row_delete(c, "T t", row, 1, &n) || dal_conn_rollback(c))
		goto out;
	done = 1;
out:
	dal_stmt_close(st);
	dal_conn_release(c);
	dal_repo_close(r);
	dal_config_free(cfg);
	return bad ? 2 : done ? 0 : 1;
}

/* Run the workload in a child with allocation nth failing; its status. */
static int run_child(unsigned long nth)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int rc;
		alarm(20);
		fm_arm(nth, FM_ONCE);
		rc = workload();
		fm_disarm();
#ifdef HAVE_ASAN
		if (__lsan_do_recoverable_leak_check())
			_exit(3);
#endif
		_exit(rc);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(test_oom_features_every_allocation)
{
	unsigned long calls, failures = 0, stopped = 0;

	ck_assert_int_eq(workload(), 0); /* warm, and right without failures */
	fm_arm(0, FM_ONCE);
	ck_assert_int_eq(workload(), 0);
	calls = fm_calls();
	fm_disarm();
	ck_assert_uint_gt(calls, 50);
	for (unsigned long nth = 1; nth <= calls; nth++) {
		int st = run_child(nth);
		ck_assert_msg(WIFEXITED(st), "allocation %lu of %lu failing: killed by signal %d",
		              nth, calls, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
		ck_assert_msg(WEXITSTATUS(st) != 2, "allocation %lu of %lu failing: wrong result",
		              nth, calls);
		ck_assert_msg(WEXITSTATUS(st) != 3, "allocation %lu of %lu failing: leak", nth,
		              calls);
		ck_assert_msg(WEXITSTATUS(st) <= 1, "allocation %lu: exit status %d", nth,
		              WEXITSTATUS(st));
		stopped += WEXITSTATUS(st) == 1;
		failures++;
	}
	ck_assert_uint_eq(failures, calls);
	/* Most failures must surface as errors (the rest hit allocations whose
	 * failure has a fallback, such as a log line dropped). */
	ck_assert_uint_gt(stopped, calls / 2);
	printf("test_oom_features: %lu allocations, each failed once; %lu stopped the "
	       "workload with an error\n", calls, stopped);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("oom_features");
	TCase *tc = tcase_create("oom_features");

	tu_clear_env();
	setenv("OOMAPP_DB_URL", "sqlite::memory:?log_statements=on&log_parameters=on", 1);
	setenv("OOMAPP_RETRIES", "0", 1);
	dal_log_set(quiet, NULL);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_oom_features_every_allocation);
	suite_add_tcase(s, tc);
	/* One process: the count run and the children share the warm state. */
	return tu_run_suite_nofork(s);
}
