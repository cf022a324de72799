/*
 * Check suite for the fallbacks of the optional slots of <dal/plugin.h>,
 * through a plugin that implements none of them (tests/plugins/minimal.c,
 * found through DAL_PLUGIN_PATH like any installed plugin), using only the
 * public API:
 *
 *   exec              -> prepare/step (dal_conn_exec(), dal_repo_exec())
 *   begin/commit/rollback, last_insert_id -> DAL_EUNSUPPORTED naming the
 *                        backend (and dal_repo_transact() never runs the unit)
 *   server_kind       -> the plugin name (also db.system.name in telemetry)
 *   cancel            -> DAL_EUNSUPPORTED, and nothing left pending
 *   tls_info          -> not encrypted (dal_conn_tls() is NULL)
 *
 * Each case runs twice: with the telemetry layer (the default) and with
 * telemetry = off, since a layer must pass a missing slot through as
 * missing. Also the error paths of dal_repo_open_url().
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "testutil.h"

/* Loop index of every case: 0 telemetry on, 1 off. */
static const char *const urls[] = {"minimal::memory:", "minimal::memory:?telemetry=off"};

/* Never a valid handle: out-parameters start as this, so that a NULL after
 * a failed call is the library's doing. */
static char poison_;
#define POISON ((void *)&poison_)

static dal_repo *open_min(int i)
{
	dal_repo *r = POISON;
	dal_error err;
	int rc = dal_repo_open_url(&r, urls[i], &err);

	ck_assert_msg(rc == DAL_OK, "%s: %s: %s", urls[i], dal_code_name(rc), err.message);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(dal_repo_telemetry_enabled(r), i == 0);
	return r;
}

static dal_conn *acquire(dal_repo *r)
{
	dal_conn *c = POISON;
	dal_error err;
	int rc = dal_conn_acquire(r, &c, &err);

	ck_assert_msg(rc == DAL_OK, "acquire: %s: %s", dal_code_name(rc), err.message);
	return c;
}

/* The number of values in the plugin's table t, by a prepared scan. */
static int count_rows(dal_conn *c)
{
	dal_stmt *s;
	int n = 0, rc;

	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT v FROM t", &s), DAL_OK);
	while ((rc = dal_stmt_step(s)) == DAL_ROW)
		n++;
	ck_assert_int_eq(rc, DAL_DONE);
	dal_stmt_close(s);
	return n;
}

static uint64_t calls(dal_repo *r, dal_op op)
{
	dal_op_stats st;

	ck_assert_int_eq(dal_repo_stats(r, op, &st), DAL_OK);
	return st.calls;
}

/* The plugin itself works through the core: every type bound, echoed back
 * and read with the getters. */
START_TEST(test_minimal_plugin_echoes_bound_values)
{
	static const unsigned char blob[] = {0, 1, 0xff, 0};
	dal_repo *r = open_min(_i);
	dal_conn *c = acquire(r);
	const void *p;
	dal_stmt *s;
	size_t len;

	ck_assert_str_eq(dal_repo_backend(r), "minimal");
	ck_assert_uint_eq(dal_repo_capabilities(r), DAL_CAP_EMBEDDED);
	ck_assert_int_eq(dal_stmt_prepare(c, "select ?, ?, :t, ?, ?, ?", &s), DAL_OK);
	ck_assert_uint_eq(dal_stmt_column_count(s), 6);
	ck_assert_str_eq(dal_stmt_column_name(s, 2), "p3");
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, INT64_MIN), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_double(s, 2, 2.5), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_named_text(s, "t", "h\xc3\xa9", -1), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_blob(s, 4, blob, sizeof blob), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_bool(s, 5, 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_null(s, 6), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), INT64_MIN);
	ck_assert(dal_stmt_column_double(s, 1) == 2.5);
	ck_assert_str_eq(dal_stmt_column_text(s, 2, &len), "h\xc3\xa9");
	ck_assert_uint_eq(len, 3);
	p = dal_stmt_column_blob(s, 3, &len);
	ck_assert_uint_eq(len, sizeof blob);
	ck_assert_int_eq(memcmp(p, blob, sizeof blob), 0);
	ck_assert_int_eq(dal_stmt_column_type(s, 4), DAL_TYPE_BOOL);
	ck_assert_int_eq(dal_stmt_column_bool(s, 4), 1);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 5), 1);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	dal_stmt_close(s);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_exec_falls_back_to_prepare_and_step)
{
	dal_repo *r = open_min(_i);
	dal_conn *c = acquire(r);
	dal_error err;
	int64_t n = -1;
	dal_stmt *s;
	int rc;

	if (_i == 0)
		dal_repo_stats_reset(r);
	/* A statement that changes rows: rows affected come from the
	 * statement's rows_affected(). */
	ck_assert_int_eq(dal_conn_exec(c, "INSERT INTO t VALUES (7)", &n), DAL_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO t VALUES (?)", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_text(s, 1, "x", -1), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	dal_stmt_close(s);
	ck_assert_int_eq(count_rows(c), 2);
	/* A statement with rows: read to the end and dropped. */
	n = -1;
	ck_assert_int_eq(dal_conn_exec(c, "SELECT v FROM t", &n), DAL_OK);
	ck_assert_int_eq(n, 0);

	/* An error at prepare is the connection's error, as the plugin said. */
	n = 99;
	rc = dal_conn_exec(c, "UPDATE t SET v = 1", &n);
	ck_assert_int_eq(rc, DAL_ESYNTAX);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(dal_conn_error(c)->code, DAL_ESYNTAX);
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "42601");
	ck_assert_int_eq(dal_conn_error(c)->native, 1);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "minimal: cannot run 'UPDATE t"),
	              "%s", dal_conn_error(c)->message);
	/* An error at step too (copied from the statement the fallback made). */
	ck_assert_int_eq(dal_conn_exec(c, "INSERT INTO t VALUES (8)", NULL), DAL_OK);
	ck_assert_int_eq(dal_conn_exec(c, "INSERT INTO t VALUES (9)", NULL), DAL_OK);
	n = 99;
	rc = dal_conn_exec(c, "INSERT INTO t VALUES (10)", &n);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "23000");
	ck_assert_int_eq(dal_conn_error(c)->native, 2);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "table t is full"), "%s",
	              dal_conn_error(c)->message);
	/* The connection is fine, and the error cleared by the next success. */
	ck_assert_int_eq(dal_conn_exec(c, "DELETE FROM t", &n), DAL_OK);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(dal_conn_error(c)->code, DAL_OK);
	ck_assert_int_eq(count_rows(c), 0);

	if (_i == 0) {
		/* Through the statement path: the layer offers no exec slot the
		 * plugin does not have. Prepared: 7 exec calls, 1 insert and 2
		 * scans by count_rows(). */
		ck_assert_uint_eq(calls(r, DAL_OP_EXEC), 0);
		ck_assert_uint_eq(calls(r, DAL_OP_PREPARE), 7 + 1 + 2);
	}
	dal_conn_release(c);

	/* The one-shot call on the repository, and its error. */
	n = -1;
	ck_assert_int_eq(dal_repo_exec(r, "INSERT INTO t VALUES (-3)", &n, &err), DAL_OK);
	ck_assert_int_eq(n, 1);
	n = 99;
	ck_assert_int_eq(dal_repo_exec(r, "DROP TABLE t", &n, &err), DAL_ESYNTAX);
	ck_assert_int_eq(n, 0);
	ck_assert_msg(tu_contains(err.message, "minimal: cannot run 'DROP TABLE t'"), "%s",
	              err.message);
	dal_repo_close(r);
}
END_TEST

static int txn_body(dal_conn *c, void *ud)
{
	(void)c;
	++*(int *)ud;
	return DAL_OK;
}

START_TEST(test_transactions_unsupported_naming_the_backend)
{
	dal_repo *r = open_min(_i);
	dal_conn *c = acquire(r);
	dal_error err;
	int ran = 0;

	ck_assert_int_eq(dal_conn_begin(c), DAL_EUNSUPPORTED);
	ck_assert_int_eq(dal_conn_error(c)->code, DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "backend minimal"), "%s",
	              dal_conn_error(c)->message);
	/* No transaction was opened: commit and rollback are unsupported too,
	 * not "without an open transaction" (DAL_EMISUSE). */
	ck_assert_int_eq(dal_conn_commit(c), DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "backend minimal"), "%s",
	              dal_conn_error(c)->message);
	ck_assert_int_eq(dal_conn_rollback(c), DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "backend minimal"), "%s",
	              dal_conn_error(c)->message);
	/* The connection works on. */
	ck_assert_int_eq(dal_conn_exec(c, "INSERT INTO t VALUES (1)", NULL), DAL_OK);
	ck_assert_int_eq(dal_conn_ping(c, NULL), DAL_OK);
	if (_i == 0) {
		ck_assert_uint_eq(calls(r, DAL_OP_BEGIN), 0);
		ck_assert_uint_eq(calls(r, DAL_OP_COMMIT), 0);
	}
	dal_conn_release(c);

	/* The transaction runner fails at begin, and never runs the unit. */
	ck_assert_int_eq(dal_repo_transact(r, txn_body, &ran, &err), DAL_EUNSUPPORTED);
	ck_assert_int_eq(ran, 0);
	ck_assert_msg(tu_contains(err.message, "backend minimal"), "%s", err.message);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_last_insert_id_unsupported_naming_the_backend)
{
	dal_repo *r = open_min(_i);
	dal_conn *c = acquire(r);
	int64_t id = 12345;

	ck_assert_int_eq(dal_conn_exec(c, "INSERT INTO t VALUES (5)", NULL), DAL_OK);
	ck_assert_int_eq(dal_conn_last_insert_id(c, &id), DAL_EUNSUPPORTED);
	ck_assert_int_eq(dal_conn_error(c)->code, DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "backend minimal"), "%s",
	              dal_conn_error(c)->message);
	ck_assert_int_eq(count_rows(c), 1);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

static void on_end(const dal_span *sp, void *ud, void *ctx)
{
	(void)ctx;
	snprintf(ud, 32, "%s", sp->system_name ? sp->system_name : "(null)");
}

START_TEST(test_server_kind_is_the_plugin_name)
{
	dal_repo *r = open_min(_i);
	dal_trace_hooks hooks = {.end = on_end};
	char system[32] = "", *text;
	long len;

	ck_assert_str_eq(dal_repo_server_kind(r), "minimal");
	if (_i == 0) {
		/* Telemetry names the system reached by the same fallback. */
		ck_assert_int_eq(dal_repo_trace_set(r, &hooks, system), DAL_OK);
		ck_assert_int_eq(dal_repo_ping(r, NULL, NULL), DAL_OK);
		ck_assert_str_eq(system, "minimal");
		len = dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, NULL, 0);
		ck_assert_int_gt(len, 0);
		text = malloc((size_t)len + 1);
		ck_assert_ptr_nonnull(text);
		ck_assert_int_eq(dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, text,
		                                         (size_t)len + 1), len);
		ck_assert_msg(tu_contains(text, "db_system_name=\"minimal\""), "%.600s", text);
		free(text);
	}
	dal_repo_close(r);
}
END_TEST

START_TEST(test_cancel_unsupported_and_nothing_pending)
{
	dal_repo *r = open_min(_i);
	dal_conn *c = acquire(r);
	dal_stmt *s;

	ck_assert_int_eq(dal_conn_cancel(c), DAL_EUNSUPPORTED);
	ck_assert_int_eq(dal_conn_cancel(NULL), DAL_EMISUSE);
	/* Nothing was left pending: the next statements run, and their
	 * failures are their own, not DAL_ECANCELED. */
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT ?", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 42), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 42);
	dal_stmt_close(s);
	ck_assert_int_eq(dal_conn_exec(c, "SELEC 1", NULL), DAL_ESYNTAX);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_tls_is_not_encrypted)
{
	dal_repo *r = open_min(_i);
	dal_conn *c = acquire(r);

	ck_assert_ptr_null(dal_conn_tls(c));
	ck_assert_ptr_null(dal_conn_tls(NULL));
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* Open url, which must fail with code; the message is left in *err. */
static void open_url_fails(const char *url, int code, dal_error *err)
{
	dal_repo *r = POISON;
	int rc = dal_repo_open_url(&r, url, err);

	ck_assert_msg(rc == code, "%s: %s, wanted %s: %s", url ? url : "(null)",
	              dal_code_name(rc), dal_code_name(code), err->message);
	ck_assert_int_eq(err->code, code);
	ck_assert_ptr_null(r);
}

START_TEST(test_open_url_error_paths)
{
	dal_repo *r;
	dal_error err;

	/* Misuse. */
	ck_assert_int_eq(dal_repo_open_url(NULL, "minimal::memory:", &err), DAL_EMISUSE);
	ck_assert_msg(tu_contains(err.message, "out is NULL"), "%s", err.message);
	open_url_fails(NULL, DAL_EMISUSE, &err);
	ck_assert_msg(tu_contains(err.message, "url is NULL"), "%s", err.message);
	/* Not a URL. */
	open_url_fails("", DAL_ECONFIG, &err);
	open_url_fails("no scheme here", DAL_ECONFIG, &err);
	/* A scheme no installed plugin answers to: the search is named. */
	open_url_fails("nosuchdb:///x.db", DAL_EPLUGIN_NOTFOUND, &err);
	ck_assert_msg(tu_contains(err.message, "'nosuchdb'") &&
	                  tu_contains(err.message, TESTS_BUILDDIR),
	              "%s", err.message);
	/* A malformed URL of a known scheme. */
	open_url_fails("minimal://host/x.db", DAL_ECONFIG, &err);
	open_url_fails("minimal::memory:?telemetry=sometimes", DAL_ECONFIG, &err);
	ck_assert_msg(tu_contains(err.message, "telemetry"), "%s", err.message);
	/* An option the plugin does not take: its own check names it. */
	open_url_fails("minimal::memory:?colour=blue", DAL_ECONFIG, &err);
	ck_assert_msg(tu_contains(err.message, "unknown minimal option 'colour'"), "%s",
	              err.message);
	/* NULL err is allowed. */
	r = POISON;
	ck_assert_int_eq(dal_repo_open_url(&r, "nosuchdb:///x.db", NULL), DAL_EPLUGIN_NOTFOUND);
	ck_assert_ptr_null(r);

	/* No environment: DB_URL and DB_TYPE do not redirect it. */
	setenv("DB_URL", "nosuchdb:///elsewhere.db", 1);
	setenv("DB_TYPE", "nosuchdb", 1);
	r = open_min(0);
	ck_assert_str_eq(dal_repo_backend(r), "minimal");
	dal_repo_close(r);
	unsetenv("DB_URL");
	unsetenv("DB_TYPE");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fallbacks");
	TCase *tc = tcase_create("fallbacks");

	tu_clear_env();
	/* The test plugins are found like installed ones. */
	if (tu_plugin_path_prepend(TESTS_BUILDDIR))
		return 99;
	tcase_add_loop_test(tc, test_minimal_plugin_echoes_bound_values, 0, 2);
	tcase_add_loop_test(tc, test_exec_falls_back_to_prepare_and_step, 0, 2);
	tcase_add_loop_test(tc, test_transactions_unsupported_naming_the_backend, 0, 2);
	tcase_add_loop_test(tc, test_last_insert_id_unsupported_naming_the_backend, 0, 2);
	tcase_add_loop_test(tc, test_server_kind_is_the_plugin_name, 0, 2);
	tcase_add_loop_test(tc, test_cancel_unsupported_and_nothing_pending, 0, 2);
	tcase_add_loop_test(tc, test_tls_is_not_encrypted, 0, 2);
	tcase_add_test(tc, test_open_url_error_paths);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
