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

/* The statement that kills c's session, into sql[size]. */
static void kill_sql(dal_conn *c, char *sql, size_t size)
{
	snprintf(sql, size, "KILL %lld", (long long)tu_conn_int64(c, "SELECT CONNECTION_ID()"));
}

/* BIT(n) reads as its bytes, big-endian; BIGINT UNSIGNED as an integer up
 * to INT64_MAX and above it as its exact decimal text. */
START_TEST(test_mysql_bit_and_unsigned_bigint_decode)
{
	static const unsigned char bits[2] = {0x02, 0x01};
	dal_repo *r = tu_repo_open_url(url);
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s;
	const unsigned char *p;
	size_t n = 0;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_bits", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cov_bits (k INT PRIMARY KEY, b BIT(10), u BIGINT UNSIGNED)");
	tu_conn_exec(c, "INSERT INTO dal_cov_bits VALUES (1, b'1000000001', 18446744073709551615), "
	           "(2, b'0', 9223372036854775807), (3, NULL, 9223372036854775808)");
	s = tu_stmt_prepare(c, "SELECT b, u FROM dal_cov_bits ORDER BY k");
	tu_stmt_step_row(s);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_BLOB);
	p = dal_stmt_column_blob(s, 0, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(p, bits, 2);
	ck_assert_int_eq(dal_stmt_column_type(s, 1), DAL_TYPE_TEXT);
	ck_assert_str_eq(dal_stmt_column_text(s, 1, NULL), "18446744073709551615");
	tu_stmt_step_row(s);
	p = dal_stmt_column_blob(s, 0, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(p[0] | p[1], 0);
	ck_assert_int_eq(dal_stmt_column_type(s, 1), DAL_TYPE_INT64);
	ck_assert_int_eq(dal_stmt_column_int64(s, 1), INT64_MAX);
	tu_stmt_step_row(s);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	ck_assert_str_eq(dal_stmt_column_text(s, 1, NULL), "9223372036854775808");
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	dal_stmt_close(s);
	tu_conn_exec(c, "DROP TABLE dal_cov_bits");
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
	dal_repo *r = tu_repo_open_url(url);
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s;
	int rc;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_shape", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cov_shape (x INT)");
	tu_conn_exec(c, "INSERT INTO dal_cov_shape VALUES (41)");
	s = tu_stmt_prepare(c, "SELECT * FROM dal_cov_shape");
	tu_stmt_step_row(s);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_INT64);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 41);
	ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);

	tu_conn_exec(c, "ALTER TABLE dal_cov_shape MODIFY x VARCHAR(20)");
	tu_conn_exec(c, "UPDATE dal_cov_shape SET x = 'forty-two'");
	tu_stmt_step_row(s);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_TEXT);
	ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "forty-two");
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);

	tu_conn_exec(c, "ALTER TABLE dal_cov_shape ADD COLUMN y INT DEFAULT 7");
	rc = dal_stmt_step(s);
	ck_assert_msg(rc == DAL_EUNSUPPORTED, "%s: %s", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "0A000");
	tu_assert_has(dal_stmt_error(s)->message, "different number of columns");
	tu_assert_has(dal_stmt_error(s)->message, "prepare it again");
	dal_stmt_close(s);

	s = tu_stmt_prepare(c, "SELECT * FROM dal_cov_shape");
	tu_stmt_step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 1), 7);
	dal_stmt_close(s);
	tu_conn_exec(c, "DROP TABLE dal_cov_shape");
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
	dal_repo *r = tu_repo_open_url(url);
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s, *q;
	int rc;

	dal_conn_exec(c, "DROP PROCEDURE IF EXISTS dal_cov_two", NULL);
	tu_conn_exec(c, "CREATE PROCEDURE dal_cov_two() BEGIN SELECT 1 AS a UNION ALL SELECT 2; "
	           "SELECT 'second' AS b; END");
	s = tu_stmt_prepare(c, "CALL dal_cov_two()");
	ck_assert_uint_eq(dal_stmt_column_count(s), 0);
	rc = dal_stmt_step(s);
	ck_assert_msg(rc == DAL_EUNSUPPORTED, "%s: %s", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "0A000");
	tu_assert_has(dal_stmt_error(s)->message, "announced none when prepared");
	tu_assert_lacks(dal_stmt_error(s)->message, "altered");
	dal_stmt_close(s);
	q = tu_stmt_prepare(c, "SELECT 99");
	tu_stmt_step_row(q);
	ck_assert_int_eq(dal_stmt_column_int64(q, 0), 99);
	dal_stmt_close(q);
	tu_conn_exec(c, "DROP PROCEDURE dal_cov_two");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A MySQL executable comment (opened by slash, star, bang) hides a ? from
 * libdal's rewriter but not from the server: refused at prepare (07001)
 * naming both counts, and the connection stays usable. */
START_TEST(test_mysql_placeholder_in_executable_comment_is_refused)
{
	dal_repo *r = tu_repo_open_url(url);
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s = NULL;
	int rc = dal_stmt_prepare(c, "SELECT 1 /*! + ? */", &s);

	ck_assert_msg(rc == DAL_EMISUSE, "%s", dal_code_name(rc));
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "07001");
	tu_assert_has(dal_conn_error(c)->message, "server sees 1 parameter(s) where 0");
	s = tu_stmt_prepare(c, "SELECT 5");
	tu_stmt_step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 5);
	dal_stmt_close(s);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

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

	rc = tu_connect_with(url, "max_retries=0&tls_mode=verify-ca", &err);
	ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
	tu_assert_has(err.message, "needs tls_ca");

	if (!tls || !*tls) {
		printf("SKIP: test_mysql_tls_settings_that_cannot_work: the server has no TLS "
		       "(no DAL_TEST_TLS_DIR)\n");
		return;
	}
	rc = tu_connect_with(url, "max_retries=0&tls_mode=verify-full", &err);
	ck_assert_msg(rc == DAL_EAUTH, "%s: %s", dal_code_name(rc), err.message);
	tu_assert_has(err.message, "against the system's CAs");
	tu_assert_lacks(err.message, "p@ss");

	junk = tu_write_file(NULL, "/tmp/dal-cov-junk-ca.pem", "not a certificate\n");
	snprintf(q, sizeof q, "max_retries=0&tls_mode=verify-ca&tls_ca=%s", junk);
	rc = tu_connect_with(url, q, &err);
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
		s = tu_stmt_prepare(c, "SELECT @@socket");
		tu_stmt_step_row(s);
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
	dal_repo *r = tu_repo_open_url(url);
	dal_conn *c = tu_conn_acquire(r), *killer;
	dal_stmt *s;
	char sql[64];
	int rc;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_kill", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cov_kill (id INT)");
	kill_sql(c, sql, sizeof sql);
	s = tu_stmt_prepare(c, "INSERT INTO dal_cov_kill (id) VALUES (?)");
	killer = tu_conn_acquire(r);
	tu_conn_exec(killer, sql);
	dal_conn_release(killer);
	usleep(200000); /* the server closes the socket after KILL returns */
	rc = dal_stmt_execute_batch(s, &col, 1, 3, NULL, NULL);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	tu_assert_has(dal_stmt_error(s)->message, "closed the connection while it was idle");
	tu_assert_has(dal_stmt_error(s)->message, "the request was not sent");
	dal_stmt_close(s);
	dal_conn_release(c);
	c = tu_conn_acquire(r);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT COUNT(*) FROM dal_cov_kill"), 0);
	tu_conn_exec(c, "DROP TABLE dal_cov_kill");
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
	dal_repo *r = tu_repo_open_url(url);
	dal_conn *c = tu_conn_acquire(r);

	/* The last insert id is kept by the client: answered at once. */
	tu_assert_stream_keeps_conn(c, "mysql", DAL_OK);
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
	dal_repo *r = tu_repo_open_url(url);
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s;
	int rc, n = 0;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_mid", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cov_mid (k INT, g INT)");
	tu_conn_exec(c, "INSERT INTO dal_cov_mid VALUES (1, 1), (2, 2), (3, 3), (4, 3), (5, 5)");
	s = tu_stmt_prepare(c, "SELECT k, (SELECT m.k FROM dal_cov_mid m WHERE m.g = t.k) "
	               "FROM dal_cov_mid t ORDER BY k");
	while ((rc = dal_stmt_step(s)) == DAL_ROW)
		ck_assert_int_eq(dal_stmt_column_int64(s, 0), ++n);
	ck_assert_int_eq(n, 2);
	ck_assert_msg(rc == DAL_EDATA, "%s: %s", dal_code_name(rc), dal_stmt_error(s)->message);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "21000");
	tu_assert_has(dal_stmt_error(s)->message, "error 1242");
	dal_stmt_close(s);
	tu_conn_exec(c, "DROP TABLE dal_cov_mid");
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
	dal_repo *r = tu_repo_open_url(url);
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *s;
	int64_t affected = -1;
	size_t failed = 99;
	int rc;

	dal_conn_exec(c, "DROP PROCEDURE IF EXISTS dal_cov_ins", NULL);
	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_calls", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cov_calls (id INT, CHECK (id > 0))");
	tu_conn_exec(c, "CREATE PROCEDURE dal_cov_ins(IN v INT) INSERT INTO dal_cov_calls VALUES (v)");
	s = tu_stmt_prepare(c, "CALL dal_cov_ins(?)");
	rc = dal_stmt_execute_batch(s, &col, 1, 3, &affected, &failed);
	ck_assert_msg(rc == DAL_OK, "%s: %s", dal_code_name(rc), dal_stmt_error(s)->message);
	col.values = bad;
	rc = dal_stmt_execute_batch(s, &col, 1, 3, NULL, &failed);
	ck_assert_msg(rc == DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	ck_assert_uint_eq(failed, 1);
	dal_stmt_close(s);
	s = tu_stmt_prepare(c, "SELECT COUNT(*), SUM(id) FROM dal_cov_calls");
	tu_stmt_step_row(s);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 3);
	ck_assert_int_eq(dal_stmt_column_int64(s, 1), 6);
	dal_stmt_close(s);
	tu_conn_exec(c, "DROP PROCEDURE dal_cov_ins");
	tu_conn_exec(c, "DROP TABLE dal_cov_calls");
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
	dal_repo *r = tu_repo_open_url(url);
	dal_conn *c = tu_conn_acquire(r), *other;
	dal_stmt *s, *b;
	char sql[64];
	int rc;

	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cov_gone", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cov_gone (id INT)");
	kill_sql(c, sql, sizeof sql);
	s = tu_stmt_prepare(c, "SELECT 5");
	b = tu_stmt_prepare(c, "INSERT INTO dal_cov_gone (id) VALUES (?)");
	other = tu_conn_acquire(r);
	tu_conn_exec(other, sql);
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
	ck_assert_int_eq(tu_conn_int64(other, "SELECT COUNT(*) FROM dal_cov_gone"), 0);
	tu_conn_exec(other, "DROP TABLE dal_cov_gone");
	dal_conn_release(other);
	dal_repo_close(r);
}
END_TEST

/* dal_conn_cancel() of a result still being streamed whose session was
 * killed meanwhile (KILL from another session): the server has no such
 * session left to stop, which is not an error for a cancel. */
START_TEST(test_mysql_cancel_of_a_killed_session_is_not_an_error)
{
	dal_repo *r = tu_repo_open_url(url);
	dal_conn *c = tu_conn_acquire(r), *killer;
	dal_stmt *s;
	char sql[64];
	int rc;

	kill_sql(c, sql, sizeof sql);
	s = tu_stmt_prepare(c, "SELECT seq FROM seq_1_to_100000");
	tu_stmt_step_row(s);
	killer = tu_conn_acquire(r);
	tu_conn_exec(killer, sql);
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

	if (!(url = tu_server_url("mysql")))
		return 77; /* scripts/test-servers.sh starts one */
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
