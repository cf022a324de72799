/*
 * The statement API's own rules, on SQLite in memory (docs/testing.md,
 * "Coverage"): value conversions between the column accessors, NULL
 * arguments, NULL pointers bound as SQL NULL, and a statement whose
 * connection was released, which refuses everything but dal_stmt_close().
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "testutil.h"

static dal_repo *repo;
static dal_conn *conn;

static void setup(void)
{
	dal_error err;

	tu_clear_env();
	repo = tu_repo_open("sqlite::memory:");
	ck_assert_int_eq(dal_conn_acquire(repo, &conn, &err), DAL_OK);
}

static void teardown(void)
{
	if (conn)
		dal_conn_release(conn);
	conn = NULL;
	dal_repo_close(repo);
	repo = NULL;
}

static void exec_ok(const char *sql)
{
	ck_assert_msg(dal_conn_exec(conn, sql, NULL) == DAL_OK, "%s: %s", sql,
	              dal_conn_error(conn)->message);
}

static dal_stmt *row_of(const char *sql)
{
	dal_stmt *s = NULL;

	ck_assert_msg(dal_stmt_prepare(conn, sql, &s) == DAL_OK, "%s: %s", sql,
	              dal_conn_error(conn)->message);
	ck_assert_msg(dal_stmt_step(s) == DAL_ROW, "%s: %s", sql, dal_stmt_error(s)->message);
	return s;
}

/* dal_stmt_column_bool() of a double (zero or not) and of text: t, y, on
 * and a non-zero number are true; f, n, off, 0 and other words false. */
START_TEST(test_stmt_column_bool_converts_doubles_and_words)
{
	static const struct {
		const char *text;
		int want;
	} words[] = {{"t", 1}, {"True", 1}, {"yes", 1}, {"Y", 1}, {"on", 1}, {"12", 1},
	             {"-1", 1}, {"f", 0}, {"no", 0}, {"off", 0}, {"0", 0}, {"o", 0},
	             {"maybe", 0}};
	dal_stmt *s = row_of("SELECT 0.5, 0.0, NULL");
	char sql[64];

	ck_assert_int_eq(dal_stmt_column_bool(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_bool(s, 1), 0);
	ck_assert_int_eq(dal_stmt_column_bool(s, 2), 0);
	dal_stmt_close(s);
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT '%s'", words[i].text);
		s = row_of(sql);
		ck_assert_msg(dal_stmt_column_bool(s, 0) == words[i].want, "'%s'", words[i].text);
		dal_stmt_close(s);
	}
}
END_TEST

/* dal_stmt_column_text() of a boolean is "true"/"false", of a double its
 * shortest exact form (%.17g), and dal_stmt_column_blob() of a number is
 * that text, of an empty text NULL with length 0. */
START_TEST(test_stmt_column_text_and_blob_convert)
{
	dal_stmt *s;
	const void *p;
	size_t n = 99;

	exec_ok("CREATE TABLE b (x BOOLEAN, y BOOLEAN)");
	exec_ok("INSERT INTO b VALUES (1, 0)");
	s = row_of("SELECT x, y FROM b");
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_BOOL);
	ck_assert_str_eq(dal_stmt_column_text(s, 0, &n), "true");
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(dal_stmt_column_text(s, 1, NULL), "false");
	dal_stmt_close(s);

	s = row_of("SELECT 0.1, 42, ''");
	ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "0.10000000000000001");
	p = dal_stmt_column_blob(s, 1, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(p, "42", 2);
	n = 99;
	ck_assert_ptr_null(dal_stmt_column_blob(s, 2, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 2), 0);
	dal_stmt_close(s);
}
END_TEST

/* NULL handles and arguments are DAL_EMISUSE, with a message where there
 * is an object to carry it; NULL data pointers bind SQL NULL. */
START_TEST(test_stmt_null_arguments)
{
	dal_stmt *s = NULL;

	ck_assert_int_eq(dal_stmt_prepare(NULL, "SELECT 1", &s), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_prepare(conn, "SELECT 1", NULL), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(conn)->message, "dal_stmt_prepare: out is NULL");
	ck_assert_int_eq(dal_stmt_prepare(conn, NULL, &s), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(conn)->message, "dal_stmt_prepare: sql is NULL");
	ck_assert_ptr_null(s);
	ck_assert_int_eq(dal_stmt_step(NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_reset(NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_bind_int64(NULL, 1, 1), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_bind_text_static(NULL, 1, "x", -1), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_rows_affected(NULL), 0);
	/* The connection and repository calls around statements. */
	{
		dal_conn *c2 = (dal_conn *)1;
		dal_error err;
		int64_t id;

		ck_assert_int_eq(dal_conn_acquire(repo, NULL, &err), DAL_EMISUSE);
		tu_assert_has(err.message, "dal_conn_acquire: out is NULL");
		ck_assert_int_eq(dal_conn_acquire(NULL, &c2, &err), DAL_EMISUSE);
		tu_assert_has(err.message, "dal_conn_acquire: repo is NULL");
		ck_assert_ptr_null(c2);
		ck_assert_int_eq(dal_conn_exec(conn, NULL, NULL), DAL_EMISUSE);
		tu_assert_has(dal_conn_error(conn)->message, "dal_conn_exec: sql is NULL");
		ck_assert_int_eq(dal_conn_last_insert_id(conn, NULL), DAL_EMISUSE);
		tu_assert_has(dal_conn_error(conn)->message, "dal_conn_last_insert_id: out is NULL");
		ck_assert_int_eq(dal_repo_ping(NULL, NULL, &err), DAL_EMISUSE);
		ck_assert_int_eq(dal_repo_exec(NULL, "SELECT 1", &id, &err), DAL_EMISUSE);
		ck_assert_int_eq(id, 0);
	}

	ck_assert_int_eq(dal_stmt_prepare(conn, "SELECT ?, ?, ?, ?", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_text(s, 1, NULL, 5), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_blob(s, 2, NULL, 5), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_text_static(s, 3, NULL, -1), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_blob_static(s, 4, NULL, 3), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	for (unsigned col = 0; col < 4; col++)
		ck_assert_msg(dal_stmt_column_is_null(s, col), "column %u", col);
	dal_stmt_close(s);
}
END_TEST

/* After dal_conn_release() a statement refuses every call but close,
 * saying why (HY010), and reads as empty. */
START_TEST(test_stmt_of_a_released_connection_refuses_everything)
{
	static const int64_t v[2] = {1, 2};
	dal_batch_column col = {DAL_TYPE_INT64, v, NULL, NULL};
	dal_stmt *s, *w;
	const dal_error *e;

	exec_ok("CREATE TABLE t (x INTEGER)");
	s = row_of("SELECT 1 AS one");
	ck_assert_int_eq(dal_stmt_prepare(conn, "INSERT INTO t VALUES (?)", &w), DAL_OK);
	dal_conn_release(conn);
	conn = NULL;

	ck_assert_uint_eq(dal_stmt_column_count(s), 0);
	ck_assert_ptr_null(dal_stmt_column_name(s, 0));
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_NULL);
	ck_assert_int_eq(dal_stmt_step(s), DAL_EMISUSE);
	e = dal_stmt_error(s);
	ck_assert_str_eq(e->sqlstate, "HY010");
	tu_assert_has(e->message, "connection was released");
	ck_assert_int_eq(dal_stmt_reset(s), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_bind_int64(w, 1, 5), DAL_EMISUSE);
	tu_assert_has(dal_stmt_error(w)->message, "only dal_stmt_close() is allowed");
	ck_assert_int_eq(dal_stmt_bind_text_static(w, 1, "x", -1), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_execute_batch(w, &col, 1, 2, NULL, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_rows_affected(w), 0);
	dal_stmt_close(s);
	dal_stmt_close(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_stmt");
	TCase *tc = tcase_create("stmt");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_stmt_column_bool_converts_doubles_and_words);
	tcase_add_test(tc, test_stmt_column_text_and_blob_convert);
	tcase_add_test(tc, test_stmt_null_arguments);
	tcase_add_test(tc, test_stmt_of_a_released_connection_refuses_everything);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
