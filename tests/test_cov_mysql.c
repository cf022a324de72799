/*
 * MariaDB backend behaviour provoked for real against the test server
 * (docs/testing.md, "Coverage"): BIT and BIGINT UNSIGNED columns, a table
 * altered under a prepared statement (a column's type changed: followed; a
 * column added: refused, saying to prepare again), and a CALL of a
 * procedure that returns rows (refused, saying why). Without
 * DAL_TEST_MYSQL_URL the suite is skipped (exit 77).
 */
#define _GNU_SOURCE
#include <check.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"

static const char *url;

static dal_repo *open_url(const char *u)
{
	dal_repo *r = NULL;
	dal_error err;

	tu_clear_env();
	ck_assert_msg(dal_repo_open_url(&r, u, &err) == DAL_OK, "%s", err.message);
	return r;
}

static dal_conn *acquire(dal_repo *r)
{
	dal_conn *c = NULL;
	dal_error err;

	ck_assert_msg(dal_conn_acquire(r, &c, &err) == DAL_OK, "acquire: %s", err.message);
	return c;
}

static void exec_ok(dal_conn *c, const char *sql)
{
	int rc = dal_conn_exec(c, sql, NULL);

	ck_assert_msg(rc == DAL_OK, "%s: %s", sql, dal_conn_error(c)->message);
}

static dal_stmt *prepare(dal_conn *c, const char *sql)
{
	dal_stmt *s = NULL;

	ck_assert_msg(dal_stmt_prepare(c, sql, &s) == DAL_OK, "%s: %s", sql,
	              dal_conn_error(c)->message);
	return s;
}

static void step_row(dal_stmt *s)
{
	int rc = dal_stmt_step(s);

	ck_assert_msg(rc == DAL_ROW, "%s: %s", dal_code_name(rc), dal_stmt_error(s)->message);
}

/* BIT(n) reads as its bytes, big-endian; BIGINT UNSIGNED as an integer up
 * to INT64_MAX and above it as its exact decimal text. */
START_TEST(test_mysql_bit_and_unsigned_bigint_decode)
{
	static const unsigned char bits[2] = {0x02, 0x01};
	dal_repo *r = open_url(url);
	dal_conn *c = acquire(r);
	dal_stmt *s;
	const unsigned char *p;
	size_t n = 0;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_bits", NULL);
	exec_ok(c, "CREATE TABLE dal_cov_bits (k INT PRIMARY KEY, b BIT(10), u BIGINT UNSIGNED)");
	exec_ok(c, "INSERT INTO dal_cov_bits VALUES (1, b'1000000001', 18446744073709551615), "
	           "(2, b'0', 9223372036854775807), (3, NULL, 9223372036854775808)");
	s = prepare(c, "SELECT b, u FROM dal_cov_bits ORDER BY k");
	step_row(s);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_BLOB);
	p = dal_stmt_column_blob(s, 0, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(p, bits, 2);
	ck_assert_int_eq(dal_stmt_column_type(s, 1), DAL_TYPE_TEXT);
	ck_assert_str_eq(dal_stmt_column_text(s, 1, NULL), "18446744073709551615");
	step_row(s);
	p = dal_stmt_column_blob(s, 0, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(p[0] | p[1], 0);
	ck_assert_int_eq(dal_stmt_column_type(s, 1), DAL_TYPE_INT64);
	ck_assert_int_eq(dal_stmt_column_int64(s, 1), INT64_MAX);
	step_row(s);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	ck_assert_str_eq(dal_stmt_column_text(s, 1, NULL), "9223372036854775808");
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	dal_stmt_close(s);
	exec_ok(c, "DROP TABLE dal_cov_bits");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* The table under a prepared SELECT * changes between executions: a
 * column's new type is followed (the statement rebinds and reads the new
 * values), a new column is refused with DAL_EUNSUPPORTED (0A000) saying
 * to prepare again, and a new prepare reads both columns. */
START_TEST(test_mysql_table_altered_under_a_prepared_select)
{
	dal_repo *r = open_url(url);
	dal_conn *c = acquire(r);
	dal_stmt *s;
	int rc;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_shape", NULL);
	exec_ok(c, "CREATE TABLE dal_cov_shape (x INT)");
	exec_ok(c, "INSERT INTO dal_cov_shape VALUES (41)");
	s = prepare(c, "SELECT * FROM dal_cov_shape");
	step_row(s);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_INT64);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 41);
	ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);

	exec_ok(c, "ALTER TABLE dal_cov_shape MODIFY x VARCHAR(20)");
	exec_ok(c, "UPDATE dal_cov_shape SET x = 'forty-two'");
	step_row(s);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_TEXT);
	ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "forty-two");
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);

	exec_ok(c, "ALTER TABLE dal_cov_shape ADD COLUMN y INT DEFAULT 7");
	rc = dal_stmt_step(s);
	ck_assert_msg(rc == DAL_EUNSUPPORTED, "%s: %s", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "0A000");
	tu_assert_has(dal_stmt_error(s)->message, "different number of columns");
	tu_assert_has(dal_stmt_error(s)->message, "prepare it again");
	dal_stmt_close(s);

	s = prepare(c, "SELECT * FROM dal_cov_shape");
	step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 1), 7);
	dal_stmt_close(s);
	exec_ok(c, "DROP TABLE dal_cov_shape");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A CALL of a procedure that returns rows announces no result columns
 * when prepared: stepping it is refused with DAL_EUNSUPPORTED saying so
 * (docs/dal.1.md), not as a table altered, and the connection stays
 * usable for the next statement. */
START_TEST(test_mysql_call_returning_rows_is_refused_clearly)
{
	dal_repo *r = open_url(url);
	dal_conn *c = acquire(r);
	dal_stmt *s, *q;
	int rc;

	dal_conn_exec(c, "DROP PROCEDURE IF EXISTS dal_cov_two", NULL);
	exec_ok(c, "CREATE PROCEDURE dal_cov_two() BEGIN SELECT 1 AS a UNION ALL SELECT 2; "
	           "SELECT 'second' AS b; END");
	s = prepare(c, "CALL dal_cov_two()");
	ck_assert_uint_eq(dal_stmt_column_count(s), 0);
	rc = dal_stmt_step(s);
	ck_assert_msg(rc == DAL_EUNSUPPORTED, "%s: %s", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "0A000");
	tu_assert_has(dal_stmt_error(s)->message, "announced none when prepared");
	tu_assert_lacks(dal_stmt_error(s)->message, "altered");
	dal_stmt_close(s);
	q = prepare(c, "SELECT 99");
	step_row(q);
	ck_assert_int_eq(dal_stmt_column_int64(q, 0), 99);
	dal_stmt_close(q);
	exec_ok(c, "DROP PROCEDURE dal_cov_two");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A MySQL executable comment (opened by slash, star, bang) hides a ? from
 * libdal's rewriter but not from the server: refused at prepare (07001)
 * naming both counts, and the connection stays usable. */
START_TEST(test_mysql_placeholder_in_executable_comment_is_refused)
{
	dal_repo *r = open_url(url);
	dal_conn *c = acquire(r);
	dal_stmt *s = NULL;
	int rc = dal_stmt_prepare(c, "SELECT 1 /*! + ? */", &s);

	ck_assert_msg(rc == DAL_EMISUSE, "%s", dal_code_name(rc));
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "07001");
	tu_assert_has(dal_conn_error(c)->message, "server sees 1 parameter(s) where 0");
	s = prepare(c, "SELECT 5");
	step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 5);
	dal_stmt_close(s);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* Open url with query appended; the code of the open or, when the
 * repository connects lazily, of the first acquire; err filled. */
static int connect_with(const char *query, dal_error *err)
{
	char u[8400];
	dal_repo *r = NULL;
	dal_conn *c;
	int rc;

	snprintf(u, sizeof u, "%s%s%s", url, strchr(url, '?') ? "&" : "?", query);
	tu_clear_env();
	rc = dal_repo_open_url(&r, u, err);
	if (rc == DAL_OK) {
		rc = dal_conn_acquire(r, &c, err);
		if (rc == DAL_OK)
			dal_conn_release(c);
		dal_repo_close(r);
	}
	return rc;
}

/* TLS settings that cannot work: verify-ca without a CA is a
 * configuration error before any connection; verify-full against the
 * system's CAs refuses the test server's certificate (from a throwaway CA)
 * and says what it checked against; a CA file that is not PEM is a local
 * configuration error naming the option. No message shows the password. */
START_TEST(test_mysql_tls_settings_that_cannot_work)
{
	const char *tls = getenv("DAL_TEST_TLS_DIR");
	dal_error err;
	char q[4400], *junk;
	int rc;

	rc = connect_with("max_retries=0&tls_mode=verify-ca", &err);
	ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
	tu_assert_has(err.message, "needs tls_ca");

	if (!tls || !*tls) {
		printf("SKIP: test_mysql_tls_settings_that_cannot_work: the server has no TLS "
		       "(no DAL_TEST_TLS_DIR)\n");
		return;
	}
	rc = connect_with("max_retries=0&tls_mode=verify-full", &err);
	ck_assert_msg(rc == DAL_EAUTH, "%s: %s", dal_code_name(rc), err.message);
	tu_assert_has(err.message, "against the system's CAs");
	tu_assert_lacks(err.message, "p@ss");

	junk = tu_write_file(NULL, "/tmp/dal-cov-junk-ca.pem", "not a certificate\n");
	snprintf(q, sizeof q, "max_retries=0&tls_mode=verify-ca&tls_ca=%s", junk);
	rc = connect_with(q, &err);
	unlink(junk);
	ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
	tu_assert_has(err.message, "a TLS file option is unusable");
	tu_assert_has(err.message, "no certificate or crl found");
	tu_assert_lacks(err.message, "p@ss");
	free(junk);
}
END_TEST

/* A host that is a path is the server's unix socket: the connection goes
 * there (the server sees the client as 'localhost', which the test
 * server's account may not be allowed from), and the socket is what the
 * connection, or its error, names. */
START_TEST(test_mysql_unix_socket_host)
{
	const char *tls = getenv("DAL_TEST_TLS_DIR");
	char dir[4096], sock[4200], u[16800], enc[8400];
	const char *at = strchr(url, '@'), *slash;
	dal_repo *r = NULL;
	dal_conn *c;
	dal_stmt *s;
	dal_error err;
	size_t k = 0;
	int rc;

	if (!tls || !*tls || !at || !(slash = strchr(at, '/'))) {
		printf("SKIP: test_mysql_unix_socket_host: no DAL_TEST_TLS_DIR to find the "
		       "test server's directory\n");
		return;
	}
	snprintf(dir, sizeof dir, "%s", tls);
	snprintf(sock, sizeof sock, "%s/mysql/mysqld.sock", dirname(dir));
	if (access(sock, F_OK) != 0) {
		printf("SKIP: test_mysql_unix_socket_host: no socket %s\n", sock);
		return;
	}
	for (const char *p = sock; *p && k + 4 < sizeof enc; p++)
		k += (size_t)(*p == '/' ? snprintf(enc + k, 4, "%%2F")
		                        : snprintf(enc + k, 2, "%c", *p));
	/* scheme://user:password@ + the socket + /database, no retries */
	snprintf(u, sizeof u, "%.*s%s%s%smax_retries=0", (int)(at + 1 - url), url, enc, slash,
	         strchr(slash, '?') ? "&" : "?");
	tu_clear_env();
	rc = dal_repo_open_url(&r, u, &err);
	if (rc == DAL_OK && (rc = dal_conn_acquire(r, &c, &err)) == DAL_OK) {
		s = prepare(c, "SELECT @@socket");
		step_row(s);
		ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), sock);
		dal_stmt_close(s);
		dal_conn_release(c);
	} else {
		ck_assert_msg(rc == DAL_EAUTH, "%s: %s", dal_code_name(rc), err.message);
		tu_assert_has(err.message, sock);
		tu_assert_has(err.message, "'dal'@'localhost'");
		tu_assert_lacks(err.message, "p@ss");
	}
	if (r)
		dal_repo_close(r);
}
END_TEST

/* The session is killed (KILL from another one) while the connection is
 * idle in the pool's hands: a batch finds it gone before sending anything
 * (DAL_ECONNECT, safe to retry), and the pool's next connection works. */
START_TEST(test_mysql_batch_on_a_killed_session_is_not_sent)
{
	static const int64_t ids[3] = {1, 2, 3};
	dal_batch_column col = {DAL_TYPE_INT64, ids, NULL, NULL};
	dal_repo *r = open_url(url);
	dal_conn *c = acquire(r), *killer;
	dal_stmt *s;
	char sql[64];
	int rc;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_kill", NULL);
	exec_ok(c, "CREATE TABLE dal_cov_kill (id INT)");
	s = prepare(c, "SELECT CONNECTION_ID()");
	step_row(s);
	snprintf(sql, sizeof sql, "KILL %lld", (long long)dal_stmt_column_int64(s, 0));
	dal_stmt_close(s);
	s = prepare(c, "INSERT INTO dal_cov_kill (id) VALUES (?)");
	killer = acquire(r);
	exec_ok(killer, sql);
	dal_conn_release(killer);
	usleep(200000); /* the server closes the socket after KILL returns */
	rc = dal_stmt_execute_batch(s, &col, 1, 3, NULL, NULL);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	tu_assert_has(dal_stmt_error(s)->message, "closed the connection while it was idle");
	tu_assert_has(dal_stmt_error(s)->message, "the request was not sent");
	dal_stmt_close(s);
	dal_conn_release(c);
	c = acquire(r);
	s = prepare(c, "SELECT COUNT(*) FROM dal_cov_kill");
	step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 0);
	dal_stmt_close(s);
	exec_ok(c, "DROP TABLE dal_cov_kill");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A result being streamed keeps the connection: another statement's
 * step, an exec, a ping and BEGIN are refused with DAL_EMISUSE (HY010;
 * the step's error names the buffered option), a statement closed meanwhile is put aside until the
 * connection is free, the stream goes on intact, and afterwards the
 * connection serves the next statements. */
START_TEST(test_mysql_streaming_result_keeps_the_connection)
{
	dal_repo *r = open_url(url);
	dal_conn *c = acquire(r);
	dal_stmt *s1, *s2, *s3;
	int64_t sum = 0, id = 0;
	int rc;

	s1 = prepare(c, "SELECT 7");
	s2 = prepare(c, "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3");
	s3 = prepare(c, "SELECT 8");
	step_row(s2);
	sum += dal_stmt_column_int64(s2, 0);
	rc = dal_stmt_step(s1);
	ck_assert_msg(rc == DAL_EMISUSE, "%s", dal_code_name(rc));
	ck_assert_str_eq(dal_stmt_error(s1)->sqlstate, "HY010");
	tu_assert_has(dal_stmt_error(s1)->message, "connection busy with an unfinished result");
	tu_assert_has(dal_stmt_error(s1)->message, "mysql option buffered = on");
	ck_assert_int_eq(dal_conn_exec(c, "SELECT 1", NULL), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(c)->message, "exec: connection busy");
	ck_assert_int_eq(dal_conn_ping(c, NULL), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(c)->message, "ping: connection busy");
	/* The last insert id is kept by the client: answered at once. */
	ck_assert_int_eq(dal_conn_last_insert_id(c, &id), DAL_OK);
	ck_assert_int_eq(dal_conn_begin(c), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(c)->message, "connection busy");
	dal_stmt_close(s1);
	while ((rc = dal_stmt_step(s2)) == DAL_ROW)
		sum += dal_stmt_column_int64(s2, 0);
	ck_assert_int_eq(rc, DAL_DONE);
	ck_assert_int_eq(sum, 6);
	step_row(s3);
	ck_assert_int_eq(dal_stmt_column_int64(s3, 0), 8);
	ck_assert_int_eq(dal_stmt_step(s3), DAL_DONE);
	exec_ok(c, "SELECT 1");
	dal_stmt_close(s2);
	dal_stmt_close(s3);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* An error the server meets in the middle of a streamed result (a
 * subquery that returns two rows for the third row) comes after the rows
 * before it, at the step that reaches it (21000, DAL_EDATA); the
 * connection serves the next statement. */
START_TEST(test_mysql_error_in_the_middle_of_a_streamed_result)
{
	dal_repo *r = open_url(url);
	dal_conn *c = acquire(r);
	dal_stmt *s;
	int rc, n = 0;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_mid", NULL);
	exec_ok(c, "CREATE TABLE dal_cov_mid (k INT, g INT)");
	exec_ok(c, "INSERT INTO dal_cov_mid VALUES (1, 1), (2, 2), (3, 3), (4, 3), (5, 5)");
	s = prepare(c, "SELECT k, (SELECT m.k FROM dal_cov_mid m WHERE m.g = t.k) "
	               "FROM dal_cov_mid t ORDER BY k");
	while ((rc = dal_stmt_step(s)) == DAL_ROW)
		ck_assert_int_eq(dal_stmt_column_int64(s, 0), ++n);
	ck_assert_int_eq(n, 2);
	ck_assert_msg(rc == DAL_EDATA, "%s: %s", dal_code_name(rc), dal_stmt_error(s)->message);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "21000");
	tu_assert_has(dal_stmt_error(s)->message, "error 1242");
	dal_stmt_close(s);
	exec_ok(c, "DROP TABLE dal_cov_mid");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A batch of CALLs: MariaDB refuses CALL in bulk (error 1295), so the
 * rows run one at a time instead, all in one transaction: every call is
 * made; when one fails, none stays. */
START_TEST(test_mysql_batch_of_calls_runs_row_by_row)
{
	static const int64_t ids[3] = {1, 2, 3}, bad[3] = {4, -1, 5};
	dal_batch_column col = {DAL_TYPE_INT64, ids, NULL, NULL};
	dal_repo *r = open_url(url);
	dal_conn *c = acquire(r);
	dal_stmt *s;
	int64_t affected = -1;
	size_t failed = 99;
	int rc;

	dal_conn_exec(c, "DROP PROCEDURE IF EXISTS dal_cov_ins", NULL);
	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_calls", NULL);
	exec_ok(c, "CREATE TABLE dal_cov_calls (id INT, CHECK (id > 0))");
	exec_ok(c, "CREATE PROCEDURE dal_cov_ins(IN v INT) INSERT INTO dal_cov_calls VALUES (v)");
	s = prepare(c, "CALL dal_cov_ins(?)");
	rc = dal_stmt_execute_batch(s, &col, 1, 3, &affected, &failed);
	ck_assert_msg(rc == DAL_OK, "%s: %s", dal_code_name(rc), dal_stmt_error(s)->message);
	col.values = bad;
	rc = dal_stmt_execute_batch(s, &col, 1, 3, NULL, &failed);
	ck_assert_msg(rc == DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	ck_assert_uint_eq(failed, 1);
	dal_stmt_close(s);
	s = prepare(c, "SELECT COUNT(*), SUM(id) FROM dal_cov_calls");
	step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 3);
	ck_assert_int_eq(dal_stmt_column_int64(s, 1), 6);
	dal_stmt_close(s);
	exec_ok(c, "DROP PROCEDURE dal_cov_ins");
	exec_ok(c, "DROP TABLE dal_cov_calls");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A killed session, found dead by a ping (which the connector answers by
 * closing the handle): a statement, an exec and a batch after it are
 * refused as not sent (DAL_ECONNECT, safe to retry), never as an unknown
 * outcome, and the batch left no row. */
START_TEST(test_mysql_requests_after_a_failed_ping_are_not_sent)
{
	static const int64_t ids[2] = {1, 2};
	dal_batch_column col = {DAL_TYPE_INT64, ids, NULL, NULL};
	dal_repo *r = open_url(url);
	dal_conn *c = acquire(r), *other;
	dal_stmt *s, *b;
	char sql[64];
	int rc;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_gone", NULL);
	exec_ok(c, "CREATE TABLE dal_cov_gone (id INT)");
	s = prepare(c, "SELECT CONNECTION_ID()");
	step_row(s);
	snprintf(sql, sizeof sql, "KILL %lld", (long long)dal_stmt_column_int64(s, 0));
	dal_stmt_close(s);
	s = prepare(c, "SELECT 5");
	b = prepare(c, "INSERT INTO dal_cov_gone (id) VALUES (?)");
	other = acquire(r);
	exec_ok(other, sql);
	usleep(200000); /* the server closes the socket after KILL returns */
	ck_assert_int_eq(dal_conn_ping(c, NULL), DAL_ECONNECT);
	rc = dal_stmt_step(s);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc), dal_stmt_error(s)->message);
	tu_assert_has(dal_stmt_error(s)->message, "the request was not sent");
	rc = dal_conn_exec(c, "SELECT 1", NULL);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc), dal_conn_error(c)->message);
	tu_assert_has(dal_conn_error(c)->message, "the request was not sent");
	rc = dal_stmt_execute_batch(b, &col, 1, 2, NULL, NULL);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc), dal_stmt_error(b)->message);
	tu_assert_has(dal_stmt_error(b)->message, "the request was not sent");
	dal_stmt_close(s);
	dal_stmt_close(b);
	dal_conn_release(c);
	s = prepare(other, "SELECT COUNT(*) FROM dal_cov_gone");
	step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 0);
	dal_stmt_close(s);
	exec_ok(other, "DROP TABLE dal_cov_gone");
	dal_conn_release(other);
	dal_repo_close(r);
}
END_TEST

/* dal_conn_cancel() of a result still being streamed whose session was
 * killed meanwhile (KILL from another session): the server has no such
 * session left to stop, which is not an error for a cancel. */
START_TEST(test_mysql_cancel_of_a_killed_session_is_not_an_error)
{
	dal_repo *r = open_url(url);
	dal_conn *c = acquire(r), *killer;
	dal_stmt *s;
	char sql[64];
	int rc;

	s = prepare(c, "SELECT CONNECTION_ID()");
	step_row(s);
	snprintf(sql, sizeof sql, "KILL %lld", (long long)dal_stmt_column_int64(s, 0));
	dal_stmt_close(s);
	s = prepare(c, "SELECT seq FROM seq_1_to_100000");
	step_row(s);
	killer = acquire(r);
	exec_ok(killer, sql);
	dal_conn_release(killer);
	usleep(200000); /* the killed session's thread ends */
	rc = dal_conn_cancel(c);
	ck_assert_msg(rc == DAL_OK, "%s: %s", dal_code_name(rc), dal_conn_error(c)->message);
	dal_stmt_close(s);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	url = getenv("DAL_TEST_MYSQL_URL");
	if (!url || !*url) {
		printf("SKIP: no DAL_TEST_MYSQL_URL (scripts/test-servers.sh)\n");
		return 77;
	}
	s = suite_create("cov_mysql");
	tc = tcase_create("mysql");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_mysql_bit_and_unsigned_bigint_decode);
	tcase_add_test(tc, test_mysql_table_altered_under_a_prepared_select);
	tcase_add_test(tc, test_mysql_call_returning_rows_is_refused_clearly);
	tcase_add_test(tc, test_mysql_placeholder_in_executable_comment_is_refused);
	tcase_add_test(tc, test_mysql_tls_settings_that_cannot_work);
	tcase_add_test(tc, test_mysql_unix_socket_host);
	tcase_add_test(tc, test_mysql_batch_on_a_killed_session_is_not_sent);
	tcase_add_test(tc, test_mysql_streaming_result_keeps_the_connection);
	tcase_add_test(tc, test_mysql_error_in_the_middle_of_a_streamed_result);
	tcase_add_test(tc, test_mysql_batch_of_calls_runs_row_by_row);
	tcase_add_test(tc, test_mysql_requests_after_a_failed_ping_are_not_sent);
	tcase_add_test(tc, test_mysql_cancel_of_a_killed_session_is_not_an_error);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
