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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
