/*
 * Check suite for the layer stack (core/layer.h): the fault-injection layer
 * stacked under telemetry makes chosen calls fail as the database would,
 * telemetry sees those failures, and slots no layer implements reach the
 * plugin directly. Runs on SQLite, and on the MySQL and PostgreSQL test
 * servers when DAL_TEST_MYSQL_URL / DAL_TEST_PGSQL_URL are set (connect
 * retries need a server: an embedded backend is tried once).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "fault.h"
#include "internal.h"
#include "loader.h"
#include "testutil.h"

static dal_repo *open_faulty(const char *url, const struct fault_rule *rules, size_t n)
{
	dal_repo *r = NULL;
	dal_error e;

	ck_assert_msg(repo_open_faulty(&r, NULL, NULL, url, rules, n, &e) == DAL_OK, "%s: %s",
	              url, e.message);
	return r;
}

/* Acquire a connection of r for statements and transactions. */
static dal_conn *acquire(dal_repo *r)
{
	dal_conn *c = NULL;
	dal_error e;

	ck_assert_msg(dal_conn_acquire(r, &c, &e) == DAL_OK, "%s", e.message);
	return c;
}

START_TEST(test_fault_step_fails_once_then_recovers)
{
	const struct fault_rule rule = {FAULT_STEP, 2, 1, DAL_EBUSY};
	dal_repo *r = open_faulty("sqlite:///:memory:", &rule, 1);
	dal_conn *c = acquire(r);
	dal_op_stats st;
	dal_stmt *s;

	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT ?", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 7), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW); /* step call 1 */
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 7);
	ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_EBUSY); /* step call 2: injected */
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_EBUSY);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "40001");
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "injected fault: step call 2"), "%s",
	              dal_stmt_error(s)->message);
	ck_assert(dal_code_is_transient(dal_stmt_error(s)->code));
	ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW); /* step call 3 */
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 7);
	dal_stmt_close(s);
	ck_assert_uint_eq(fault_calls(repo_fault(r), FAULT_STEP), 3);
	/* Telemetry sits above the fault layer: it saw the failure as the
	 * application did. */
	ck_assert_int_eq(dal_repo_stats(r, DAL_OP_EXECUTE, &st), DAL_OK);
	ck_assert_uint_eq(st.calls, 3);
	ck_assert_uint_eq(st.errors, 1);
	ck_assert_uint_eq(st.errors_by_code[-DAL_EBUSY], 1);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_fault_connect_failure_is_reported)
{
	const struct fault_rule rule = {FAULT_CONNECT, 1, 0, DAL_ECONNECT};
	dal_repo *r = (dal_repo *)1;
	dal_error e;

	ck_assert_int_eq(repo_open_faulty(&r, NULL, NULL, "sqlite:///:memory:", &rule, 1, &e),
	                 DAL_ECONNECT);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(e.sqlstate, "08006");
	ck_assert_msg(tu_contains(e.message, "injected fault: connect call 1"), "%s", e.message);
}
END_TEST

START_TEST(test_fault_prepare_commit_and_bind)
{
	const struct fault_rule rules[] = {
		{FAULT_PREPARE, 2, 1, DAL_ESYNTAX},
		{FAULT_COMMIT, 1, 1, DAL_EBUSY},
		{FAULT_BIND, 1, 1, DAL_EDATA},
	};
	dal_repo *r = open_faulty("sqlite:///:memory:", rules, 3);
	dal_conn *c;
	dal_stmt *s;
	int64_t n = -1;

	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE t (x INTEGER)", NULL, NULL), DAL_OK);
	c = acquire(r);
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO t VALUES (?)", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 1), DAL_EDATA); /* bind call 1 */
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 1), DAL_OK);
	ck_assert_int_eq(dal_conn_begin(c), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	/* The failed commit ends the transaction, as on the servers. */
	ck_assert_int_eq(dal_conn_commit(c), DAL_EBUSY);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "injected fault: commit call 1"),
	              "%s", dal_conn_error(c)->message);
	dal_stmt_close(s);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT 1", &s), DAL_ESYNTAX); /* prepare 2 */
	ck_assert_ptr_null(s);
	/* The injected commit failure ended the transaction below too (the
	 * fault layer rolls it back, as a server does on a failed COMMIT): a
	 * new transaction begins cleanly and the row is gone. */
	ck_assert_int_eq(dal_conn_begin(c), DAL_OK);
	ck_assert_int_eq(dal_conn_rollback(c), DAL_OK);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT count(*) FROM t", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	n = dal_stmt_column_int64(s, 0);
	ck_assert_int_eq(n, 0);
	dal_stmt_close(s);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* The layer contract: slots no layer implements are resolved to the
 * plugin's own functions, once, so binds and column reads cost nothing
 * extra with telemetry (and the fault layer) installed. */
START_TEST(test_layers_pass_column_reads_straight_to_plugin)
{
	const struct fault_rule rule = {FAULT_EXEC, 100, 1, DAL_EBUSY};
	const struct loaded_plugin *lp;
	dal_repo *plain, *faulty;
	dal_conn *c;
	dal_stmt *s;
	dal_error e;

	ck_assert_int_eq(dal_repo_open_url(&plain, "sqlite:///:memory:", &e), DAL_OK);
	ck_assert(dal_repo_telemetry_enabled(plain));
	lp = plain->plugin;
	c = acquire(plain);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT 1", &s), DAL_OK);
	ck_assert_ptr_eq(s->ops.bind.fn, lp->drv.bind);
	ck_assert_ptr_eq(s->ops.column_value.fn, lp->drv.column_value);
	ck_assert_ptr_eq(s->ops.column_name.fn, lp->drv.column_name);
	ck_assert_ptr_ne(s->ops.step.fn, lp->drv.step); /* telemetry times steps */
	dal_stmt_close(s);
	/* The connection's slots, resolved when it was made. */
	ck_assert_ptr_eq(c->ops.last_insert_id.fn, lp->drv.last_insert_id);
	ck_assert_ptr_eq(c->ops.server_version.fn, lp->drv.server_version);
	dal_conn_release(c);
	dal_repo_close(plain);

	faulty = open_faulty("sqlite:///:memory:", &rule, 1);
	c = acquire(faulty);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT 'x'", &s), DAL_OK);
	ck_assert_ptr_eq(s->ops.column_value.fn, lp->drv.column_value);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "x");
	dal_stmt_close(s);
	dal_conn_release(c);
	dal_repo_close(faulty);
}
END_TEST

/* Connection failures are retried with backoff on a server backend; the
 * layer stands in for a server that refuses twice. */
static void connect_retried(const char *env)
{
	const struct fault_rule rule = {FAULT_CONNECT, 1, 2, DAL_ECONNECT};
	const char *base = getenv(env);
	char url[1024];
	dal_repo *r;

	if (!base || !*base) {
		fprintf(stderr, "test_fault: %s not set; connect retry case not run\n", env);
		return;
	}
	snprintf(url, sizeof url, "%s%sretry_delay=0&max_retries=2", base,
	         strchr(base, '?') ? "&" : "?");
	r = open_faulty(url, &rule, 1);
	ck_assert_uint_eq(fault_calls(repo_fault(r), FAULT_CONNECT), 3);
	ck_assert_int_eq(dal_repo_ping(r, NULL, NULL), DAL_OK);
	dal_repo_close(r);
}

START_TEST(test_fault_connect_retried_on_mysql)
{
	connect_retried("DAL_TEST_MYSQL_URL");
}
END_TEST

START_TEST(test_fault_connect_retried_on_pgsql)
{
	connect_retried("DAL_TEST_PGSQL_URL");
}
END_TEST

START_TEST(test_fault_bad_rules_refused)
{
	const struct fault_rule zero = {FAULT_STEP, 0, 1, DAL_EBUSY};
	const struct fault_rule ok_code = {FAULT_STEP, 1, 1, DAL_OK};
	dal_repo *r;
	dal_error e;

	ck_assert_int_eq(repo_open_faulty(&r, NULL, NULL, "sqlite:///:memory:", &zero, 1, &e),
	                 DAL_EMISUSE);
	ck_assert_msg(tu_contains(e.message, "bad rule"), "%s", e.message);
	ck_assert_int_eq(repo_open_faulty(&r, NULL, NULL, "sqlite:///:memory:", &ok_code, 1, &e),
	                 DAL_EMISUSE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("fault");
	SRunner *sr;
	int failed;

	tu_clear_env();
	tcase_add_test(tc, test_fault_step_fails_once_then_recovers);
	tcase_add_test(tc, test_fault_connect_failure_is_reported);
	tcase_add_test(tc, test_fault_prepare_commit_and_bind);
	tcase_add_test(tc, test_layers_pass_column_reads_straight_to_plugin);
	if (getenv("DAL_TEST_MYSQL_URL") && *getenv("DAL_TEST_MYSQL_URL"))
		tcase_add_test(tc, test_fault_connect_retried_on_mysql);
	if (getenv("DAL_TEST_PGSQL_URL") && *getenv("DAL_TEST_PGSQL_URL"))
		tcase_add_test(tc, test_fault_connect_retried_on_pgsql);
	tcase_add_test(tc, test_fault_bad_rules_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
