/*
 * PostgreSQL backend behaviour provoked for real against the test server
 * (docs/testing.md, "Coverage"): batches of INSERT forms that COPY must
 * not take (the rows show which path ran), a database that does not exist,
 * special doubles bound to numeric, native $n placeholders, results in
 * text format (bytea in the old escape format too), server notices in the log. Without
 * DAL_TEST_PGSQL_URL the suite is skipped (exit 77).
 */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dal/dal.h>
#include <dal/rows.h>

#include "testutil.h"

static const char *url;

static dal_repo *open_repo(void)
{
	return tu_repo_open_url(url);
}

/* Run sql as a batch of the 3 rows a = 1, 2, 3 and b = 10, 20, 30 (as many
 * columns as the statement has parameters); it must succeed. */
static void batch_ok(dal_conn *c, const char *sql)
{
	static const int64_t a[3] = {1, 2, 3}, b[3] = {10, 20, 30};
	dal_batch_column cols[2] = {{DAL_TYPE_INT64, a, NULL, NULL},
	                            {DAL_TYPE_INT64, b, NULL, NULL}};
	dal_stmt *s = tu_stmt_prepare(c, sql);
	int rc = dal_stmt_execute_batch(s, cols, dal_stmt_param_count(s), 3, NULL, NULL);

	ck_assert_msg(rc == DAL_OK, "%s: %s: %s", sql, dal_code_name(rc),
	              dal_stmt_error(s)->message);
	dal_stmt_close(s);
}

/* Each INSERT below is one that COPY cannot run as written (an expression,
 * a constant, no column list, ON CONFLICT, a view) or one it can in a form
 * the recogniser must see through (schema, quoted names, a trailing
 * semicolon). The rows prove that every row went in with the statement's
 * own meaning. */
START_TEST(test_pgsql_batch_insert_forms)
{
	/* Each form, what its rows must add up to, and whether dal_cov_t is
	 * emptied after it. */
	static const struct {
		const char *insert, *check;
		int64_t want;
		int clear;
	} forms[] = {
		{"INSERT INTO dal_cov_t (a, b) VALUES (?, ? + 1)", "SELECT SUM(b) FROM dal_cov_t", 63,
		 1},
		{"INSERT INTO dal_cov_t (a, b, c) VALUES (?, ?, 7)", "SELECT SUM(c) FROM dal_cov_t", 21,
		 1},
		{"INSERT INTO dal_cov_t VALUES (?, ?)", "SELECT SUM(a * 1000 + b + c) FROM dal_cov_t",
		 6060, 0},
		/* The same keys again: COPY would fail on the first duplicate. */
		{"INSERT INTO dal_cov_t (a, b) VALUES (?, ?) ON CONFLICT (a) DO NOTHING",
		 "SELECT COUNT(*) FROM dal_cov_t", 3, 1},
		/* COPY into a view is refused by the server; the INSERT is not. */
		{"INSERT INTO dal_cov_v (a, b) VALUES (?, ?)", "SELECT SUM(b) FROM dal_cov_t", 60, 1},
		{"  insert   into public.dal_cov_t(a,b)values(?,?) ; ", "SELECT SUM(b) FROM dal_cov_t",
		 60, 0},
		{"INSERT INTO \"dal_cov \"\"Q\"\"\" (\"A\", b) VALUES (?, ?)",
		 "SELECT SUM(\"A\" + b) FROM \"dal_cov \"\"Q\"\"\"", 66, 0},
	};
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);

	dal_conn_exec(c, "DROP VIEW IF EXISTS dal_cov_v", NULL);
	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_t", NULL);
	dal_conn_exec(c, "DROP TABLE IF EXISTS \"dal_cov \"\"Q\"\"\"", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cov_t (a BIGINT PRIMARY KEY, b BIGINT, c BIGINT DEFAULT 0)");
	tu_conn_exec(c, "CREATE VIEW dal_cov_v AS SELECT a, b FROM dal_cov_t");
	tu_conn_exec(c, "CREATE TABLE \"dal_cov \"\"Q\"\"\" (\"A\" BIGINT, b BIGINT)");

	for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
		int64_t got;

		batch_ok(c, forms[k].insert);
		got = tu_conn_int64(c, forms[k].check);
		ck_assert_msg(got == forms[k].want, "%s: %s is %lld, expected %lld", forms[k].insert,
		              forms[k].check, (long long)got, (long long)forms[k].want);
		if (forms[k].clear)
			tu_conn_exec(c, "DELETE FROM dal_cov_t");
	}

	tu_conn_exec(c, "DROP VIEW dal_cov_v");
	tu_conn_exec(c, "DROP TABLE dal_cov_t");
	tu_conn_exec(c, "DROP TABLE \"dal_cov \"\"Q\"\"\"");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A database that does not exist is DAL_ENOTFOUND (3D000), naming it. */
START_TEST(test_pgsql_missing_database_is_not_found)
{
	char bad[4200];
	const char *slash = strrchr(url, '/');
	dal_repo *r = NULL;
	dal_conn *c;
	dal_error err;
	int rc;

	ck_assert_ptr_nonnull(slash);
	snprintf(bad, sizeof bad, "%.*s/dal_cov_no_such_db?max_retries=0", (int)(slash - url),
	         url);
	tu_clear_env();
	rc = dal_repo_open_url(&r, bad, &err);
	if (rc == DAL_OK) {
		rc = dal_conn_acquire(r, &c, &err);
		dal_repo_close(r);
	}
	ck_assert_msg(rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_str_eq(err.sqlstate, "3D000");
	tu_assert_has(err.message, "dal_cov_no_such_db");
	tu_assert_lacks(err.message, "p@ss");
}
END_TEST

/* NaN and the infinities bound to a numeric parameter (sent as text, not
 * as a binary float8) arrive as PostgreSQL's own spellings. */
START_TEST(test_pgsql_special_doubles_bind_to_numeric)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {{NAN, "NaN"}, {INFINITY, "Infinity"}, {-INFINITY, "-Infinity"}};
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s;

	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT CAST(?::numeric AS text)", &s), DAL_OK);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(dal_stmt_bind_double(s, 1, cases[i].v), DAL_OK);
		ck_assert_msg(dal_stmt_step(s) == DAL_ROW, "%s", dal_stmt_error(s)->message);
		ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), cases[i].text);
		ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);
	}
	dal_stmt_close(s);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* SQL with PostgreSQL's own $1 and no ? has one parameter for the server
 * and none for libdal: refused at prepare (07001), nothing run. */
START_TEST(test_pgsql_native_placeholder_is_refused)
{
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s = NULL;
	int rc = dal_stmt_prepare(c, "SELECT $1::int", &s);

	ck_assert_msg(rc == DAL_EMISUSE, "%s", dal_code_name(rc));
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "07001");
	tu_assert_has(dal_conn_error(c)->message, "server sees 1 parameter");
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 5"), 5); /* the connection is fine */
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A statement with a column read as text (numeric here) gets its whole
 * result in text format: every other column decodes from its text form
 * to the same values as from binary, and bytea in the old escape format
 * (bytea_output = escape: octal escapes, a doubled backslash, printable
 * bytes) to the same bytes as hex. */
START_TEST(test_pgsql_text_format_result_decodes_every_kind)
{
	static const unsigned char want[] = {0x00, 0x01, '\\', 'A', 0xff, 'z'};
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s;
	const unsigned char *p;
	size_t n = 0;

	for (int round = 0; round < 2; round++) {
		tu_conn_exec(c, round ? "SET bytea_output = 'hex'" : "SET bytea_output = 'escape'");
		ck_assert_int_eq(dal_stmt_prepare(c, "SELECT '\\x00015c41ff7a'::bytea, 1.5::numeric, "
		                                     "-7::int2, 4000000000::oid, 1.25::float4, "
		                                     "2.5::float8, true, false, ''::bytea", &s),
		                 DAL_OK);
		ck_assert_msg(dal_stmt_step(s) == DAL_ROW, "%s", dal_stmt_error(s)->message);
		ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_BLOB);
		p = dal_stmt_column_blob(s, 0, &n);
		ck_assert_uint_eq(n, sizeof want);
		ck_assert_mem_eq(p, want, sizeof want);
		/* Read twice: decoded once, in place. */
		p = dal_stmt_column_blob(s, 0, &n);
		ck_assert_uint_eq(n, sizeof want);
		ck_assert_mem_eq(p, want, sizeof want);
		ck_assert_int_eq(dal_stmt_column_type(s, 1), DAL_TYPE_TEXT);
		ck_assert_str_eq(dal_stmt_column_text(s, 1, NULL), "1.5");
		ck_assert_int_eq(dal_stmt_column_int64(s, 2), -7);
		ck_assert_int_eq(dal_stmt_column_int64(s, 3), 4000000000LL);
		ck_assert_double_eq(dal_stmt_column_double(s, 4), 1.25);
		ck_assert_double_eq(dal_stmt_column_double(s, 5), 2.5);
		ck_assert_int_eq(dal_stmt_column_bool(s, 6), 1);
		ck_assert_int_eq(dal_stmt_column_bool(s, 7), 0);
		ck_assert_int_eq(dal_stmt_column_type(s, 8), DAL_TYPE_BLOB);
		dal_stmt_column_blob(s, 8, &n);
		ck_assert_uint_eq(n, 0);
		ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
		dal_stmt_close(s);
	}
	tu_conn_exec(c, "RESET bytea_output");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

struct logged {
	int debug, info, warn;
	char line[512];
};

static void on_log(dal_log_level level, const char *msg, void *ud)
{
	struct logged *l = ud;

	if (!strstr(msg, "dal-cov-notice"))
		return;
	if (level == DAL_LOG_DEBUG)
		l->debug++;
	else if (level == DAL_LOG_INFO)
		l->info++;
	else if (level == DAL_LOG_WARN)
		l->warn++;
	snprintf(l->line, sizeof l->line, "%s", msg);
}

/* A server DEBUG message (client_min_messages lowered) is a DEBUG log
 * line, an INFO message an INFO line and a WARNING a WARN line with its
 * detail and hint, each prefixed with the backend. */
START_TEST(test_pgsql_notices_keep_their_level)
{
	struct logged l = {0, 0, 0, ""};
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);

	dal_log_set(on_log, &l);
	tu_conn_exec(c, "SET client_min_messages = debug1");
	tu_conn_exec(c, "DO $$ BEGIN RAISE DEBUG 'dal-cov-notice debug'; END $$");
	ck_assert_int_eq(l.debug, 1);
	tu_assert_has(l.line, "postgresql DEBUG: dal-cov-notice debug");
	tu_conn_exec(c, "DO $$ BEGIN RAISE INFO 'dal-cov-notice info'; END $$");
	ck_assert_int_eq(l.info, 1);
	tu_assert_has(l.line, "postgresql INFO: dal-cov-notice info");
	tu_conn_exec(c, "DO $$ BEGIN RAISE WARNING 'dal-cov-notice warn' USING DETAIL = 'the detail', "
	           "HINT = 'the hint'; END $$");
	ck_assert_int_eq(l.warn, 1);
	tu_assert_has(l.line, "postgresql WARNING: dal-cov-notice warn (the detail); hint: the hint");
	tu_conn_exec(c, "RESET client_min_messages");
	dal_log_set(NULL, NULL);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A result being streamed keeps the connection: another statement's
 * step, an exec, a ping, last_insert_id and BEGIN are refused with
 * DAL_EMISUSE (HY010; the step's error names the buffered option), a statement closed meanwhile is put aside until the
 * connection is free, the stream goes on intact, and afterwards the
 * connection serves the next statements. */
START_TEST(test_pgsql_streaming_result_keeps_the_connection)
{
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);

	tu_assert_stream_keeps_conn(c, "postgresql", DAL_EMISUSE);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* Without the statement cache, closed statements are deallocated on the
 * server in batches of 32, at a later prepare outside a transaction: 31
 * closed ones are still there, and the prepare after the 32nd sends their
 * DEALLOCATE. */
START_TEST(test_pgsql_closed_statements_are_deallocated_in_batches)
{
	char u[4200];
	dal_repo *r;
	dal_conn *c;
	const char *count = "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement "
	                    "LIKE 'SELECT 1000 +%'";
	char sql[64];
	dal_stmt *s;

	snprintf(u, sizeof u, "%s%sstatement_cache_size=0", url, strchr(url, '?') ? "&" : "?");
	r = tu_repo_open_url(u);
	c = tu_conn_acquire(r);
	for (int k = 0; k < 31; k++) {
		snprintf(sql, sizeof sql, "SELECT 1000 + %d", k);
		s = tu_stmt_prepare(c, sql);
		dal_stmt_close(s);
	}
	ck_assert_int_eq(tu_conn_int64(c, count), 31);
	/* tu_conn_int64() closed its statement too: the 32nd. */
	ck_assert_int_eq(tu_conn_int64(c, count), 0);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A value that does not fit the parameter's type is sent as text, for
 * the server to refuse, never truncated: an int64 beyond int4 or int2,
 * a double beyond float4's range (22003, DAL_EDATA). In range, the same
 * statements read back the value. */
START_TEST(test_pgsql_out_of_range_parameters_are_refused_not_truncated)
{
	static const struct {
		const char *sql;
		int is_double;
		int64_t i;
		double d;
	} bad[] = {
		{"SELECT CAST(? AS int4)", 0, INT64_C(5000000000), 0},
		{"SELECT CAST(? AS int2)", 0, 40000, 0},
		{"SELECT CAST(? AS float4)", 1, 0, 1e300},
	};
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s;
	int rc;

	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		s = tu_stmt_prepare(c, bad[k].sql);
		if (bad[k].is_double)
			ck_assert_int_eq(dal_stmt_bind_double(s, 1, bad[k].d), DAL_OK);
		else
			ck_assert_int_eq(dal_stmt_bind_int64(s, 1, bad[k].i), DAL_OK);
		rc = dal_stmt_step(s);
		ck_assert_msg(rc == DAL_EDATA, "%s: %s: %s", bad[k].sql, dal_code_name(rc),
		              dal_stmt_error(s)->message);
		ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "22003");
		ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);
		if (bad[k].is_double)
			ck_assert_int_eq(dal_stmt_bind_double(s, 1, 0.5), DAL_OK);
		else
			ck_assert_int_eq(dal_stmt_bind_int64(s, 1, -300), DAL_OK);
		tu_stmt_step_row(s);
		if (bad[k].is_double)
			ck_assert_double_eq(dal_stmt_column_double(s, 0), 0.5);
		else
			ck_assert_int_eq(dal_stmt_column_int64(s, 0), -300);
		dal_stmt_close(s);
	}
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* In a transaction aborted by an error: last_insert_id is refused (25P02)
 * rather than failing inside, and COMMIT, which the server turns into a
 * ROLLBACK, reports that nothing was committed; the row is not there. */
START_TEST(test_pgsql_aborted_transaction_commit_is_not_a_commit)
{
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);
	int64_t id = 0;
	int rc;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_tx", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cov_tx (id SERIAL PRIMARY KEY, v INT)");
	ck_assert_int_eq(dal_conn_begin(c), DAL_OK);
	tu_conn_exec(c, "INSERT INTO dal_cov_tx (v) VALUES (1)");
	ck_assert_int_eq(dal_conn_last_insert_id(c, &id), DAL_OK);
	ck_assert_int_eq(id, 1);
	ck_assert_int_eq(dal_conn_exec(c, "SELECT 1 / 0", NULL), DAL_EDATA);
	rc = dal_conn_last_insert_id(c, &id);
	ck_assert_msg(rc == DAL_EMISUSE, "%s", dal_code_name(rc));
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "25P02");
	tu_assert_has(dal_conn_error(c)->message, "roll it back first");
	rc = dal_conn_commit(c);
	ck_assert_msg(rc == DAL_EMISUSE, "%s", dal_code_name(rc));
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "25P02");
	tu_assert_has(dal_conn_error(c)->message, "nothing was committed");
	ck_assert_int_eq(tu_conn_int64(c, "SELECT COUNT(*) FROM dal_cov_tx"), 0);
	tu_conn_exec(c, "DROP TABLE dal_cov_tx");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* The options setting (libpq's options: -c name=value) reaches the
 * session. */
START_TEST(test_pgsql_options_setting_reaches_the_session)
{
	char u[4200];
	dal_repo *r;
	dal_conn *c;
	dal_stmt *s;

	snprintf(u, sizeof u, "%s%soptions=-c%%20search_path%%3Ddal_cov_nowhere", url,
	         strchr(url, '?') ? "&" : "?");
	r = tu_repo_open_url(u);
	c = tu_conn_acquire(r);
	s = tu_stmt_prepare(c, "SHOW search_path");
	tu_stmt_step_row(s);
	ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "dal_cov_nowhere");
	dal_stmt_close(s);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* TLS settings that cannot work against the test server (a certificate
 * from a throwaway CA): verify-full without a CA file, and none in the
 * home directory, is a configuration error naming the file libpq looked
 * for; a CA file that is not PEM is one too, naming it. No message shows
 * the password. */
START_TEST(test_pgsql_tls_settings_that_cannot_work)
{
	const char *tls = getenv("DAL_TEST_TLS_DIR");
	char q[4400], *junk;
	dal_error err;
	int rc;

	if (!tls || !*tls) {
		printf("SKIP: test_pgsql_tls_settings_that_cannot_work: the server has no TLS "
		       "(no DAL_TEST_TLS_DIR)\n");
		return;
	}
	setenv("HOME", "/nonexistent", 1); /* no ~/.postgresql/root.crt */
	rc = tu_connect_with(url, "max_retries=0&tls_mode=verify-full", &err);
	ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
	tu_assert_has(err.message, "/nonexistent/.postgresql/root.crt\" does not exist");
	tu_assert_lacks(err.message, "p@ss");

	junk = tu_write_file(NULL, "/tmp/dal-cov-junk-ca-pg.pem", "not a certificate\n");
	snprintf(q, sizeof q, "max_retries=0&tls_mode=verify-ca&tls_ca=%s", junk);
	rc = tu_connect_with(url, q, &err);
	unlink(junk);
	ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
	tu_assert_has(err.message, junk);
	tu_assert_has(err.message, "no certificate or crl found");
	tu_assert_lacks(err.message, "p@ss");
	free(junk);
}
END_TEST

/* A batch that goes by COPY carries every kind of value in COPY's text
 * format: booleans into an integer and a boolean column, NaN and the
 * infinities, text with the characters COPY gives a meaning (tab, newline,
 * carriage return, backslash), bytes, and NULLs of each kind. */
START_TEST(test_pgsql_copy_batch_carries_every_kind)
{
	static const int bools[3] = {1, 0, 1};
	static const double dbl[3] = {NAN, INFINITY, -INFINITY};
	static const char *const text[3] = {"a\tb\nc\rd\\e", NULL, ""};
	static const unsigned char b0[2] = {0x00, 0xff};
	static const void *const blobs[3] = {b0, NULL, b0};
	static const size_t blen[3] = {2, 0, 0};
	static const unsigned char nulls[3] = {0, 1, 0};
	dal_batch_column cols[5] = {
		{DAL_TYPE_BOOL, bools, NULL, NULL}, {DAL_TYPE_BOOL, bools, NULL, nulls},
		{DAL_TYPE_DOUBLE, dbl, NULL, NULL}, {DAL_TYPE_TEXT, text, NULL, NULL},
		{DAL_TYPE_BLOB, blobs, blen, NULL},
	};
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s;
	const unsigned char *p;
	size_t n;
	int rc;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_kinds", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cov_kinds (k SERIAL, i INT, b BOOLEAN, f FLOAT8, t TEXT, "
	           "y BYTEA)");
	s = tu_stmt_prepare(c, "INSERT INTO dal_cov_kinds (i, b, f, t, y) VALUES (?, ?, ?, ?, ?)");
	rc = dal_stmt_execute_batch(s, cols, 5, 3, NULL, NULL);
	ck_assert_msg(rc == DAL_OK, "%s: %s", dal_code_name(rc), dal_stmt_error(s)->message);
	dal_stmt_close(s);
	s = tu_stmt_prepare(c, "SELECT i, b, CAST(f AS text), t, y FROM dal_cov_kinds ORDER BY k");
	tu_stmt_step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_bool(s, 1), 1);
	ck_assert_str_eq(dal_stmt_column_text(s, 2, NULL), "NaN");
	ck_assert_str_eq(dal_stmt_column_text(s, 3, NULL), "a\tb\nc\rd\\e");
	p = dal_stmt_column_blob(s, 4, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(p, b0, 2);
	tu_stmt_step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 0);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 1), 1);
	ck_assert_str_eq(dal_stmt_column_text(s, 2, NULL), "Infinity");
	ck_assert_int_eq(dal_stmt_column_is_null(s, 3), 1);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 4), 1);
	tu_stmt_step_row(s);
	ck_assert_str_eq(dal_stmt_column_text(s, 2, NULL), "-Infinity");
	ck_assert_int_eq(dal_stmt_column_is_null(s, 3), 0);
	ck_assert_str_eq(dal_stmt_column_text(s, 3, NULL), "");
	ck_assert_int_eq(dal_stmt_column_is_null(s, 4), 0);
	dal_stmt_column_blob(s, 4, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	dal_stmt_close(s);
	tu_conn_exec(c, "DROP TABLE dal_cov_kinds");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* An error the server meets in the middle of a streamed result (division
 * by zero at the third row) comes after the rows before it, at the step
 * that reaches it (22012, DAL_EDATA); the connection serves the next
 * statement. */
START_TEST(test_pgsql_error_in_the_middle_of_a_streamed_result)
{
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s = tu_stmt_prepare(c, "SELECT 10 / (x - 3) FROM generate_series(1, 5) x");
	int64_t want[2] = {-5, -10};
	int rc, n = 0;

	while ((rc = dal_stmt_step(s)) == DAL_ROW) {
		ck_assert_int_lt(n, 2);
		ck_assert_int_eq(dal_stmt_column_int64(s, 0), want[n]);
		n++;
	}
	ck_assert_int_eq(n, 2);
	ck_assert_msg(rc == DAL_EDATA, "%s: %s", dal_code_name(rc), dal_stmt_error(s)->message);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "22012");
	tu_assert_has(dal_stmt_error(s)->message, "division by zero");
	dal_stmt_close(s);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 3"), 3);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* dal_row_insert() asked for the generated key on PostgreSQL (RETURNING)
 * needs the key's column: refused without it, nothing inserted; with it,
 * the key comes back. */
START_TEST(test_pgsql_row_insert_returning_needs_key_column)
{
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);
	const dal_field f[] = {DAL_FIELD_INT64("v", 5)};
	int64_t id = 0;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_ret", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cov_ret (id SERIAL PRIMARY KEY, v INT)");
	ck_assert_int_eq(dal_row_insert(c, "dal_cov_ret", f, 1, NULL, &id), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(c)->message, "key_column is needed to return the key");
	ck_assert_int_eq(tu_conn_int64(c, "SELECT COUNT(*) FROM dal_cov_ret"), 0);
	ck_assert_int_eq(dal_row_insert(c, "dal_cov_ret", f, 1, "id", &id), DAL_OK);
	ck_assert_int_eq(id, tu_conn_int64(c, "SELECT MAX(id) FROM dal_cov_ret"));
	tu_conn_exec(c, "DROP TABLE dal_cov_ret");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* Values bound to parameters of another declared type arrive as the
 * server converts them: a boolean into int4 (1) and text (PostgreSQL's
 * "t"), an int64
 * beyond 2^53 into float8 (rounded by the server, not by a binary cast),
 * a double that float4 cannot hold exactly (rounded to float4); and the
 * negative ends out of range (int4, int2, float4) are refused (22003). */
START_TEST(test_pgsql_parameters_convert_to_their_declared_types)
{
	dal_repo *r = open_repo();
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s;
	int rc;

	s = tu_stmt_prepare(c, "SELECT CAST(? AS int4), CAST(? AS text), CAST(? AS float8), "
	               "CAST(? AS float4), 4000000000::oid, CAST(1.5 AS float4), true");
	ck_assert_int_eq(dal_stmt_bind_bool(s, 1, 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_bool(s, 2, 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 3, (INT64_C(1) << 53) + 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_double(s, 4, 0.1), DAL_OK);
	tu_stmt_step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 1);
	ck_assert_str_eq(dal_stmt_column_text(s, 1, NULL), "t");
	ck_assert_double_eq(dal_stmt_column_double(s, 2), 9007199254740992.0);
	ck_assert_double_eq(dal_stmt_column_double(s, 3), (double)0.1f);
	ck_assert_int_eq(dal_stmt_column_int64(s, 4), 4000000000LL);
	ck_assert_double_eq(dal_stmt_column_double(s, 5), 1.5);
	ck_assert_int_eq(dal_stmt_column_bool(s, 6), 1);
	dal_stmt_close(s);

	s = tu_stmt_prepare(c, "SELECT CAST(? AS int4)");
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, INT64_MIN), DAL_OK);
	rc = dal_stmt_step(s);
	ck_assert_msg(rc == DAL_EDATA, "%s", dal_code_name(rc));
	dal_stmt_close(s);
	s = tu_stmt_prepare(c, "SELECT CAST(? AS int2)");
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, -40000), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_EDATA);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "22003");
	dal_stmt_close(s);
	s = tu_stmt_prepare(c, "SELECT CAST(? AS float4)");
	ck_assert_int_eq(dal_stmt_bind_double(s, 1, -1e300), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_EDATA);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "22003");
	dal_stmt_close(s);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	if (!(url = tu_server_url("pgsql")))
		return 77; /* scripts/test-servers.sh starts one */
	s = suite_create("cov_pgsql");
	tc = tcase_create("pgsql");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pgsql_batch_insert_forms);
	tcase_add_test(tc, test_pgsql_missing_database_is_not_found);
	tcase_add_test(tc, test_pgsql_special_doubles_bind_to_numeric);
	tcase_add_test(tc, test_pgsql_native_placeholder_is_refused);
	tcase_add_test(tc, test_pgsql_text_format_result_decodes_every_kind);
	tcase_add_test(tc, test_pgsql_notices_keep_their_level);
	tcase_add_test(tc, test_pgsql_streaming_result_keeps_the_connection);
	tcase_add_test(tc, test_pgsql_closed_statements_are_deallocated_in_batches);
	tcase_add_test(tc, test_pgsql_out_of_range_parameters_are_refused_not_truncated);
	tcase_add_test(tc, test_pgsql_aborted_transaction_commit_is_not_a_commit);
	tcase_add_test(tc, test_pgsql_options_setting_reaches_the_session);
	tcase_add_test(tc, test_pgsql_tls_settings_that_cannot_work);
	tcase_add_test(tc, test_pgsql_copy_batch_carries_every_kind);
	tcase_add_test(tc, test_pgsql_error_in_the_middle_of_a_streamed_result);
	tcase_add_test(tc, test_pgsql_row_insert_returning_needs_key_column);
	tcase_add_test(tc, test_pgsql_parameters_convert_to_their_declared_types);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
