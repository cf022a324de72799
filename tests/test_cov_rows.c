/*
 * Row helpers (<dal/rows.h>) on SQLite in memory, for the paths the main
 * suites leave out (docs/testing.md, "Coverage"): dal_row_insert_many()
 * with double and boolean columns and NULLs (the batch path), with a
 * column of mixed types (the row-at-a-time path), and with a bad value in
 * either, which names the row and inserts nothing.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>
#include <dal/rows.h>

#include "testutil.h"

static dal_repo *repo;
static dal_conn *conn;

static void exec_ok(const char *sql)
{
	ck_assert_msg(dal_conn_exec(conn, sql, NULL) == DAL_OK, "%s: %s", sql,
	              dal_conn_error(conn)->message);
}

static void setup(void)
{
	dal_error err;

	tu_clear_env();
	repo = tu_repo_open("sqlite::memory:");
	ck_assert_int_eq(dal_conn_acquire(repo, &conn, &err), DAL_OK);
	exec_ok("CREATE TABLE m (k INTEGER PRIMARY KEY, d REAL, b BOOLEAN, v)");
}

static void teardown(void)
{
	dal_conn_release(conn);
	conn = NULL;
	dal_repo_close(repo);
	repo = NULL;
}

static int64_t scalar(const char *sql)
{
	int64_t n;
	dal_stmt *s;

	ck_assert_msg(dal_stmt_prepare(conn, sql, &s) == DAL_OK, "%s", dal_conn_error(conn)->message);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	n = dal_stmt_column_int64(s, 0);
	dal_stmt_close(s);
	return n;
}

static const char *const cols[] = {"k", "d", "b", "v"};

/* Doubles, booleans and NULLs, one type per column: every row arrives with
 * its values. */
START_TEST(test_insert_many_doubles_booleans_and_nulls)
{
	const dal_param rows[] = {
		DAL_PARAM_INT64(1), DAL_PARAM_DOUBLE(0.25), DAL_PARAM_BOOL(1), DAL_PARAM_TEXT("a"),
		DAL_PARAM_INT64(2), DAL_PARAM_NULL,         DAL_PARAM_BOOL(0), DAL_PARAM_NULL,
		DAL_PARAM_INT64(3), DAL_PARAM_DOUBLE(-2.5), DAL_PARAM_NULL,    DAL_PARAM_TEXT("c"),
	};
	int64_t n = 0;

	ck_assert_msg(dal_row_insert_many(conn, "m", cols, 4, rows, 3, &n) == DAL_OK, "%s",
	              dal_conn_error(conn)->message);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(scalar("SELECT SUM(d * 4) FROM m"), -9);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM m WHERE d IS NULL AND k = 2"), 1);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM m WHERE b = 1"), 1);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM m WHERE b = 0"), 1);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM m WHERE b IS NULL"), 1);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM m WHERE v IS NULL"), 1);
}
END_TEST

/* A column whose values are of several types goes row by row, in one
 * transaction: each value keeps its type. */
START_TEST(test_insert_many_mixed_types_go_row_by_row)
{
	const dal_param rows[] = {
		DAL_PARAM_INT64(1), DAL_PARAM_DOUBLE(1.5), DAL_PARAM_BOOL(1), DAL_PARAM_INT64(10),
		DAL_PARAM_INT64(2), DAL_PARAM_DOUBLE(2.5), DAL_PARAM_BOOL(0), DAL_PARAM_TEXT("ten"),
		DAL_PARAM_INT64(3), DAL_PARAM_INT64(3),    DAL_PARAM_BOOL(1), DAL_PARAM_DOUBLE(0.5),
	};
	int64_t n = 0;

	ck_assert_msg(dal_row_insert_many(conn, "m", cols, 4, rows, 3, &n) == DAL_OK, "%s",
	              dal_conn_error(conn)->message);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM m WHERE typeof(v) = 'integer'"), 1);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM m WHERE typeof(v) = 'text'"), 1);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM m WHERE typeof(v) = 'real'"), 1);
	ck_assert_int_eq(scalar("SELECT SUM(d * 2) FROM m"), 14);
}
END_TEST

/* A text value without bytes (NULL pointer) is a misuse: the call names
 * the row, in the batch path and in the row-by-row one, and no row stays. */
START_TEST(test_insert_many_bad_value_names_the_row)
{
	const dal_param same[] = {
		DAL_PARAM_INT64(1), DAL_PARAM_DOUBLE(1), DAL_PARAM_BOOL(1), DAL_PARAM_TEXT("x"),
		DAL_PARAM_INT64(2), DAL_PARAM_DOUBLE(2), DAL_PARAM_BOOL(1), DAL_PARAM_TEXT(NULL),
	};
	const dal_param mixed[] = {
		DAL_PARAM_INT64(1), DAL_PARAM_DOUBLE(1), DAL_PARAM_BOOL(1), DAL_PARAM_INT64(4),
		DAL_PARAM_INT64(2), DAL_PARAM_DOUBLE(2), DAL_PARAM_BOOL(1), DAL_PARAM_TEXT(NULL),
	};
	int64_t n = 0;

	ck_assert_int_eq(dal_row_insert_many(conn, "m", cols, 4, same, 2, &n), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(conn)->message, "row 2 of 2");
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM m"), 0);
	ck_assert_int_eq(dal_row_insert_many(conn, "m", cols, 4, mixed, 2, &n), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(conn)->message, "row 2 of 2");
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM m"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_rows");
	TCase *tc = tcase_create("rows");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_insert_many_doubles_booleans_and_nulls);
	tcase_add_test(tc, test_insert_many_mixed_types_go_row_by_row);
	tcase_add_test(tc, test_insert_many_bad_value_names_the_row);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
