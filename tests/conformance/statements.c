/*
 * Conformance: statements from prepare to close. exec() with rows affected
 * and several statements at once, column metadata and value conversions,
 * rows affected by prepared statements, last_insert_id(), reset and rebind,
 * bind errors, step after DONE, and statements left unfinished at close.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

/* ------------------------------------------------------------------------ */
/* exec                                                                      */
/* ------------------------------------------------------------------------ */

START_TEST(test_exec_ddl_and_affected)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64];
	int64_t n = -1;

	table_name(t, sizeof t, "exec");
	create_table(c, t, "n BIGINT, s VARCHAR(20)");
	CK_CONN(c, dal_conn_exec(c, sqlf("INSERT INTO %s (n, s) VALUES (1, 'a'), (2, 'b'), (3, 'c')", t), &n));
	ck_assert_int_eq(n, 3);
	CK_CONN(c, dal_conn_exec(c, sqlf("UPDATE %s SET s = 'x' WHERE n >= 2", t), &n));
	ck_assert_int_eq(n, 2);
	CK_CONN(c, dal_conn_exec(c, sqlf("DELETE FROM %s WHERE n = 99", t), &n));
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s WHERE s = 'x'", t)), 2);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_exec_multi_statement)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64];

	table_name(t, sizeof t, "multi");
	create_table(c, t, "n BIGINT");
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (1); INSERT INTO %s (n) VALUES (2)", t, t));
	ck_assert_int_eq(query_int(c, sqlf("SELECT SUM(n) FROM %s", t)), 3);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Columns                                                                   */
/* ------------------------------------------------------------------------ */

START_TEST(test_column_metadata)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "meta");
	create_table(c, t, "i BIGINT, s VARCHAR(10), d DOUBLE PRECISION");
	exec_ok(c, sqlf("INSERT INTO %s (i, s, d) VALUES (1, NULL, 0.5)", t));

	s = prep(c, sqlf("SELECT i AS alpha, s AS beta, d AS gamma FROM %s", t));
	/* Known after prepare, before any step. */
	ck_assert_uint_eq(dal_stmt_column_count(s), 3);
	ck_assert_str_eq(dal_stmt_column_name(s, 0), "alpha");
	ck_assert_str_eq(dal_stmt_column_name(s, 1), "beta");
	ck_assert_str_eq(dal_stmt_column_name(s, 2), "gamma");
	ck_assert_ptr_null(dal_stmt_column_name(s, 3));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_INT64);
	ck_assert_int_eq(dal_stmt_column_type(s, 1), DAL_TYPE_NULL);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 1), 1);
	ck_assert_int_eq(dal_stmt_column_type(s, 2), DAL_TYPE_DOUBLE);
	/* Out of range columns read as NULL, never crash. */
	ck_assert_int_eq(dal_stmt_column_type(s, 3), DAL_TYPE_NULL);
	ck_assert_int_eq(dal_stmt_column_int64(s, 77), 0);
	ck_assert_ptr_null(dal_stmt_column_text(s, 77, NULL));
	ck_assert_ptr_null(dal_stmt_column_blob(s, 77, NULL));
	CK_STEP(s, DAL_DONE);
	/* Names stay valid until close, after the rows are gone. */
	ck_assert_str_eq(dal_stmt_column_name(s, 1), "beta");
	dal_stmt_close(s);

	s = prep(c, sqlf("UPDATE %s SET i = 2", t));
	ck_assert_uint_eq(dal_stmt_column_count(s), 0);
	ck_assert_ptr_null(dal_stmt_column_name(s, 0));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_column_conversions)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];
	size_t len;

	table_name(t, sizeof t, "conv");
	create_table(c, t, "i BIGINT, s VARCHAR(30), d DOUBLE PRECISION, n BIGINT");
	exec_ok(c, sqlf("INSERT INTO %s (i, s, d, n) VALUES "
	                "(-9223372036854775807, '123', 2.5, NULL)", t));
	exec_ok(c, sqlf("UPDATE %s SET i = i - 1", t));

	s = prep(c, sqlf("SELECT i, s, d, n FROM %s", t));
	CK_STEP(s, DAL_ROW);
	/* integer as text: decimal */
	ck_assert_str_eq(dal_stmt_column_text(s, 0, &len), "-9223372036854775808");
	ck_assert_uint_eq(len, 20);
	ck_assert(dal_stmt_column_double(s, 0) == -9223372036854775808.0);
	/* text as numbers */
	ck_assert_int_eq(dal_stmt_column_int64(s, 1), 123);
	ck_assert(dal_stmt_column_double(s, 1) == 123.0);
	/* double as text and integer */
	ck_assert(strtod(dal_stmt_column_text(s, 2, NULL), NULL) == 2.5);
	ck_assert_int_eq(dal_stmt_column_int64(s, 2), 2);
	/* NULL as anything */
	ck_assert_int_eq(dal_stmt_column_int64(s, 3), 0);
	ck_assert(dal_stmt_column_double(s, 3) == 0.0);
	ck_assert_ptr_null(dal_stmt_column_text(s, 3, NULL));
	/* The native type is still reported. */
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_INT64);
	ck_assert_int_eq(dal_stmt_column_type(s, 1), DAL_TYPE_TEXT);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	exec_ok(c, sqlf("UPDATE %s SET s = 'abc'", t));
	s = prep(c, sqlf("SELECT s FROM %s", t));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 0); /* not a number */
	dal_stmt_close(s);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Prepared statements                                                       */
/* ------------------------------------------------------------------------ */

START_TEST(test_rows_affected)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "aff");
	create_table(c, t, "n BIGINT, s VARCHAR(10)");
	exec_ok(c, sqlf("INSERT INTO %s (n, s) VALUES (1,'a'),(2,'a'),(3,'a'),(4,'a'),(5,'a')", t));

	s = prep(c, sqlf("UPDATE %s SET s = ? WHERE n <= ?", t));
	CK_STMT(s, dal_stmt_bind_text(s, 1, "b", -1));
	CK_STMT(s, dal_stmt_bind_int64(s, 2, 3));
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 3);
	CK_STMT(s, dal_stmt_bind_text(s, 1, "c", -1));
	CK_STMT(s, dal_stmt_bind_int64(s, 2, 0));
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 0);
	dal_stmt_close(s);

	s = prep(c, sqlf("DELETE FROM %s WHERE n > ?", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 3));
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 2);
	dal_stmt_close(s);

	/* A query reports no changed rows, whatever ran before it. */
	s = prep(c, sqlf("SELECT n FROM %s", t));
	while (dal_stmt_step(s) == DAL_ROW)
		;
	ck_assert_int_eq(dal_stmt_rows_affected(s), 0);
	dal_stmt_close(s);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_last_insert_id)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	int64_t id1 = -1, id2 = -1;
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "lid");
	create_table(c, t, sqlf("id %s, s VARCHAR(10)", dl->serial));
	s = prep(c, sqlf("INSERT INTO %s (s) VALUES (?)", t));
	CK_STMT(s, dal_stmt_bind_text(s, 1, "one", -1));
	CK_STEP(s, DAL_DONE);
	CK_CONN(c, dal_conn_last_insert_id(c, &id1));
	CK_STMT(s, dal_stmt_bind_text(s, 1, "two", -1));
	CK_STEP(s, DAL_DONE);
	CK_CONN(c, dal_conn_last_insert_id(c, &id2));
	dal_stmt_close(s);
	ck_assert_int_gt(id1, 0);
	ck_assert_int_gt(id2, id1);
	ck_assert_int_eq(query_int(c, sqlf("SELECT id FROM %s WHERE s = 'one'", t)), id1);
	ck_assert_int_eq(query_int(c, sqlf("SELECT id FROM %s WHERE s = 'two'", t)), id2);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_reset_and_rebind_many_times)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *ins, *sel;
	char t[64], buf[32];

	table_name(t, sizeof t, "rebind");
	create_table(c, t, "n BIGINT, s VARCHAR(20)");
	ins = prep(c, sqlf("INSERT INTO %s (n, s) VALUES (?, ?)", t));
	CK_CONN(c, dal_conn_begin(c));
	for (int i = 0; i < 500; i++) {
		snprintf(buf, sizeof buf, "v%d", i);
		CK_STMT(ins, dal_stmt_bind_int64(ins, 1, i));
		CK_STMT(ins, dal_stmt_bind_text(ins, 2, buf, -1));
		CK_STEP(ins, DAL_DONE);
		CK_STMT(ins, dal_stmt_reset(ins));
	}
	CK_CONN(c, dal_conn_commit(c));
	dal_stmt_close(ins);

	sel = prep(c, sqlf("SELECT s FROM %s WHERE n = ?", t));
	for (int i = 0; i < 500; i += 7) {
		snprintf(buf, sizeof buf, "v%d", i);
		CK_STMT(sel, dal_stmt_bind_int64(sel, 1, i));
		CK_STEP(sel, DAL_ROW);
		ck_assert_str_eq(dal_stmt_column_text(sel, 0, NULL), buf);
		CK_STEP(sel, DAL_DONE);
		/* A reset without new binds runs the same query again. */
		CK_STMT(sel, dal_stmt_reset(sel));
		CK_STEP(sel, DAL_ROW);
		ck_assert_str_eq(dal_stmt_column_text(sel, 0, NULL), buf);
		/* Reset in the middle of a result discards the rest. */
		CK_STMT(sel, dal_stmt_reset(sel));
	}
	dal_stmt_close(sel);
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s", t)), 500);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_bind_index_out_of_range)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];
	int rc;

	table_name(t, sizeof t, "bidx");
	create_table(c, t, "a BIGINT, b BIGINT");
	s = prep(c, sqlf("INSERT INTO %s (a, b) VALUES (?, :b)", t));
	rc = dal_stmt_bind_int64(s, 0, 1);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "index 0") &&
	                      tu_contains(dal_stmt_error(s)->message, "2 parameters"),
	              "message: %s", dal_stmt_error(s)->message);
	rc = dal_stmt_bind_text(s, 3, "x", -1);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "index 3"), "message: %s",
	              dal_stmt_error(s)->message);
	rc = dal_stmt_bind_named_int64(s, "nosuch", 1);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, ":nosuch"), "message: %s",
	              dal_stmt_error(s)->message);
	/* The statement is still fine. */
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_named_int64(s, "b", 2));
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_OK);
	dal_stmt_close(s);
	ck_assert_int_eq(query_int(c, sqlf("SELECT a + b FROM %s", t)), 3);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_step_after_done)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "sad");
	create_table(c, t, "n BIGINT");
	s = prep(c, sqlf("INSERT INTO %s (n) VALUES (1)", t));
	CK_STEP(s, DAL_DONE);
	/* Not run again: still one row. */
	CK_STEP(s, DAL_DONE);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s", t)), 1);

	s = prep(c, sqlf("SELECT n FROM %s", t));
	CK_STEP(s, DAL_ROW);
	CK_STEP(s, DAL_DONE);
	CK_STEP(s, DAL_DONE);
	/* No current row after DONE. */
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_NULL);
	dal_stmt_close(s);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

/* Binding while rows are unread is refused (they would be dropped unseen);
 * a failed step must be reset (or bound again) before stepping again, and
 * never reports DAL_DONE as if it had worked. */
START_TEST(test_bind_with_unread_rows_and_step_after_failure)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "bur");
	create_table(c, t, "n BIGINT PRIMARY KEY");
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (1), (2)", t));
	s = prep(c, sqlf("SELECT n FROM %s WHERE n >= ? ORDER BY n", t));
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 1), DAL_OK);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 2), DAL_EMISUSE);
	ck_assert_msg(strstr(dal_stmt_error(s)->message, "unread rows"), "%s",
	              dal_stmt_error(s)->message);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 1); /* the row is still there */
	ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 2), DAL_OK);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 2);
	CK_STEP(s, DAL_DONE);
	/* After DONE, binding starts the next execution. */
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 1), DAL_OK);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 1);
	dal_stmt_close(s);

	s = prep(c, sqlf("INSERT INTO %s (n) VALUES (?)", t));
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ECONSTRAINT);
	ck_assert_int_eq(dal_stmt_step(s), DAL_EMISUSE); /* not a silent DAL_DONE */
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 3), DAL_OK);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s", t)), 3);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_unfinished_statement_at_close)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s, *idle;
	char t[64];

	table_name(t, sizeof t, "unf");
	create_table(c, t, "n BIGINT");
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (1), (2), (3)", t));
	s = prep(c, sqlf("SELECT n FROM %s ORDER BY n", t));
	CK_STEP(s, DAL_ROW);
	CK_STMT(s, dal_stmt_reset(s)); /* stop mid-result, no leak */
	CK_STEP(s, DAL_ROW);
	dal_stmt_close(s);
	drop_table(c, t);

	/* Left open on purpose: releasing the connection finalizes them and
	 * leaves their handles as zombies that refuse every call until
	 * dal_stmt_close() (valgrind checks that nothing leaks). */
	create_table(c, t, "n BIGINT");
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (1), (2), (3)", t));
	/* idle is prepared first: a streaming server backend refuses a new
	 * statement while a result is still being read. */
	idle = prep(c, sqlf("SELECT n FROM %s", t));
	s = prep(c, sqlf("SELECT n FROM %s ORDER BY n", t));
	CK_STEP(s, DAL_ROW);
	dal_conn_release(c);
	ck_assert_int_eq(dal_stmt_step(s), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_reset(s), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_step(idle), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_NULL);
	/* The connection went back to the pool clean: the next user can
	 * prepare and read at once. */
	c = acquire(r);
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s", t)), 3);
	dal_conn_release(c);
	dal_repo_close(r);
	/* Zombies outlive the repository until closed. */
	dal_stmt_close(s);
	dal_stmt_close(idle);

	/* The repository closed while a connection with an unfinished result
	 * is still acquired: the connection is closed when released. */
	c = open_conn(&r);
	if (!(conf.have & NEED_SHARED_DB)) {
		create_table(c, t, "n BIGINT");
		exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (1), (2), (3)", t));
	}
	s = prep(c, sqlf("SELECT n FROM %s ORDER BY n", t));
	CK_STEP(s, DAL_ROW);
	dal_repo_close(r);
	dal_conn_release(c);
	ck_assert_int_eq(dal_stmt_step(s), DAL_EMISUSE);
	dal_stmt_close(s);

	c = open_conn(&r);
	if (conf.have & NEED_SHARED_DB)
		drop_table(c, t);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_exec_ddl_and_affected, 0, 0, 0),
	CASE(test_exec_multi_statement, DAL_CAP_MULTI_STATEMENT, 0, 0),
	CASE(test_column_metadata, 0, 0, 0),
	CASE(test_column_conversions, 0, 0, 0),
	CASE(test_rows_affected, 0, 0, 0),
	CASE(test_last_insert_id, DAL_CAP_LAST_INSERT_ID, 0, 0),
	/* Inserts its 500 rows in one transaction. */
	CASE(test_reset_and_rebind_many_times, DAL_CAP_TRANSACTIONS, 0, 0),
	CASE(test_bind_index_out_of_range, 0, 0, 0),
	CASE(test_step_after_done, 0, 0, 0),
	CASE(test_bind_with_unread_rows_and_step_after_failure, 0, 0, 0),
	CASE(test_unfinished_statement_at_close, 0, 0, 0),
	{NULL},
};

const struct conf_area conf_statements = {"statements", cases};
