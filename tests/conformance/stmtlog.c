/*
 * Conformance: the statement log (log_statements, log_parameters,
 * dal_repo_set_statement_log()). Every statement logged once with its row
 * count and time; values only when asked; passwords never.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/rows.h>

#include "common.h"

static char logbuf[16384];
static size_t loglen;
static int nlines;

static void sink(dal_log_level level, const char *msg, void *ud)
{
	(void)ud;
	if (level != DAL_LOG_INFO)
		return;
	nlines++;
	loglen += (size_t)snprintf(logbuf + loglen, sizeof logbuf - loglen, "%s\n", msg);
	if (loglen >= sizeof logbuf)
		loglen = sizeof logbuf - 1;
}

static void log_reset(void)
{
	loglen = 0;
	logbuf[0] = '\0';
	nlines = 0;
}

/* The log holds a line containing both a and b. */
static int logged(const char *a, const char *b)
{
	for (const char *p = logbuf; *p;) {
		const char *end = strchr(p, '\n');
		char line[4096];
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		if (strstr(line, a) && (!b || strstr(line, b)))
			return 1;
		p += n + (end ? 1 : 0);
	}
	return 0;
}

START_TEST(test_stmtlog_off_by_default)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);

	dal_log_set(sink, NULL);
	log_reset();
	ck_assert_int_eq(query_int(c, "SELECT 41 + 1"), 42);
	ck_assert_int_eq(nlines, 0);
	dal_log_set(NULL, NULL);
	close_conn(r, c);
}
END_TEST

START_TEST(test_stmtlog_setting_logs_rows_and_time)
{
	char *u = url_with_query("log_statements=on");
	dal_repo *r;
	dal_conn *c = open_conn_url(u, &r);
	char t[64];
	dal_stmt *s;
	int64_t n;

	free(u);
	table_name(t, sizeof t, "echo");
	dal_log_set(sink, NULL);
	create_table(c, t, "n BIGINT, secret VARCHAR(40)");
	log_reset();
	exec_ok(c, sqlf("INSERT INTO %s (n, secret) VALUES (1, 'a'), (2, 'b'), (3, 'c')", t));
	ck_assert_msg(logged(" 3 rows: INSERT INTO", " ms, "), "%s", logbuf);
	log_reset();
	s = prep(c, sqlf("SELECT n FROM %s WHERE n >= ? ORDER BY n", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 2));
	CK_STEP(s, DAL_ROW);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(nlines, 0); /* logged when it ends */
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(nlines, 1);
	ck_assert_msg(logged(" 2 rows: SELECT n FROM", "WHERE n >= ?"), "%s", logbuf);
	/* Values are not shown without log_parameters. */
	ck_assert_msg(!strchr(logbuf, '['), "%s", logbuf);
	/* Run again, stopped after one row: logged at reset. */
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STEP(s, DAL_ROW);
	CK_STMT(s, dal_stmt_reset(s));
	ck_assert_msg(logged(" 1 row (stopped", "SELECT n FROM"), "%s", logbuf);
	dal_stmt_close(s);
	ck_assert_int_eq(nlines, 2);
	/* A failure: code and SQLSTATE, not the server's message. */
	log_reset();
	{
		dal_error e;
		ck_assert_int_ne(expect_failure(c, sqlf("SELECT nope FROM %s", t), &e), DAL_OK);
	}
	ck_assert_int_eq(nlines, 1);
	ck_assert_msg(logged("failed (DAL_E", "SELECT nope"), "%s", logbuf);
	ck_assert_msg(!logged("SQLSTATE", "nope\""), "%s", logbuf);
	n = query_int(c, sqlf("SELECT COUNT(*) FROM %s", t));
	ck_assert_int_eq(n, 3);
	dal_log_set(NULL, NULL);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_stmtlog_parameters_and_secrets)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64];
	dal_stmt *s;

	dal_repo_set_statement_log(r, 1, 1);
	dal_log_set(sink, NULL);
	table_name(t, sizeof t, "echop");
	create_table(c, t, "n BIGINT, name VARCHAR(80), password VARCHAR(80)");
	log_reset();
	s = prep(c, sqlf("INSERT INTO %s (n, name, password) VALUES (?, :name, :password)", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 42));
	CK_STMT(s, dal_stmt_bind_named_text(s, "name", "bob", -1));
	CK_STMT(s, dal_stmt_bind_named_text(s, "password", "hunter2", -1));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	ck_assert_msg(logged(" 1 row: INSERT INTO", "[1=42, 2='bob', 3=***]"), "%s", logbuf);
	/* Every type of value, long text cut. */
	log_reset();
	s = prep(c, "SELECT ?, ?, ?, ?, ?, ?");
	CK_STMT(s, dal_stmt_bind_null(s, 1));
	CK_STMT(s, dal_stmt_bind_bool(s, 2, 1));
	CK_STMT(s, dal_stmt_bind_double(s, 3, 0.5));
	CK_STMT(s, dal_stmt_bind_text(s, 4, "0123456789012345678901234567890123456789012345678901234567890123456789", -1));
	CK_STMT(s, dal_stmt_bind_blob(s, 5, "abc", 3));
	CK_STEP(s, DAL_ROW);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	ck_assert_msg(logged("[1=NULL, 2=true, 3=0.5, 4='01234567890123456789", "...', 5=<3 bytes>, 6=(unbound)]"),
	              "%s", logbuf);
	/* A literal in a statement about a password is masked, escaped
	 * quotes included. */
	exec_ok(c, sqlf("UPDATE %s SET name = 'it''s', password = 'x''y' WHERE n = 0", t));
	ck_assert_msg(logged("SET name = '***', password = '***' WHERE n = 0", NULL), "%s", logbuf);
	ck_assert_msg(!strstr(logbuf, "x''y"), "%s", logbuf);
	exec_ok(c, sqlf("UPDATE %s SET password = 'sw0rdfish' WHERE n = 42", t));
	ck_assert_msg(logged("SET password = '***' WHERE", NULL), "%s", logbuf);
	ck_assert_msg(!strstr(logbuf, "hunter2") && !strstr(logbuf, "sw0rdfish"), "%s", logbuf);
	/* With parameters on, a failure carries the server's message. */
	{
		dal_error e;
		log_reset();
		ck_assert_int_ne(expect_failure(c, sqlf("SELECT nope FROM %s", t), &e), DAL_OK);
		ck_assert_int_eq(nlines, 1);
		ck_assert_msg(logged("failed (DAL_E", "nope"), "%s", logbuf);
	}
	/* Turned off: nothing more. */
	dal_repo_set_statement_log(r, 0, -1);
	log_reset();
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s", t)), 1);
	ck_assert_int_eq(nlines, 0);
	dal_log_set(NULL, NULL);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST


START_TEST(test_stmtlog_release_ends_the_execution)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;

	dal_repo_set_statement_log(r, 1, 0);
	dal_log_set(sink, NULL);
	log_reset();
	s = prep(c, "SELECT 1 UNION ALL SELECT 2");
	CK_STEP(s, DAL_ROW);
	/* Released with a row unread: logged then, once. */
	dal_conn_release(c);
	ck_assert_int_eq(nlines, 1);
	ck_assert_msg(logged(" 1 row (stopped", "SELECT 1 UNION ALL SELECT 2"), "%s", logbuf);
	dal_stmt_close(s);
	ck_assert_int_eq(nlines, 1);
	dal_log_set(NULL, NULL);
	dal_repo_close(r);
}
END_TEST


START_TEST(test_stmtlog_batch_is_one_line)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64];
	const char *cols[] = {"n"};
	dal_param v[] = {DAL_PARAM_INT64(1), DAL_PARAM_INT64(2), DAL_PARAM_INT64(3)};
	int64_t n;

	table_name(t, sizeof t, "echob");
	create_table(c, t, "n BIGINT");
	dal_repo_set_statement_log(r, 1, 1);
	dal_log_set(sink, NULL);
	log_reset();
	CK_CONN(c, dal_row_insert_many(c, t, cols, 1, v, 3, &n));
	ck_assert_int_eq(n, 3);
	ck_assert_msg(logged(" 3 rows (batch of 3): INSERT INTO", NULL), "%s", logbuf);
	/* The values of a batch are not listed. */
	ck_assert_msg(!logged("(batch of 3)", "[1="), "%s", logbuf);
	dal_log_set(NULL, NULL);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_stmtlog_off_by_default, 0, 0, 0),
	CASE(test_stmtlog_setting_logs_rows_and_time, 0, 0, 0),
	CASE(test_stmtlog_parameters_and_secrets, 0, 0, 0),
	CASE(test_stmtlog_release_ends_the_execution, 0, 0, 0),
	CASE(test_stmtlog_batch_is_one_line, DAL_CAP_TRANSACTIONS, 0, 0),
	{NULL},
};

const struct conf_area conf_stmtlog = {"stmtlog", cases};
