/*
 * Conformance: nested transactions and named savepoints
 * (DAL_CAP_SAVEPOINTS). An inner unit rolled back leaves the outer one
 * intact, at any depth and after a failed statement; named savepoints;
 * misuse; dal_repo_transact() with nested units.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

/* The n values of table t, ascending, as "1,3" into buf. */
static const char *values(dal_conn *c, const char *t, char *buf, size_t size)
{
	dal_stmt *s = prep(c, sqlf("SELECT n FROM %s ORDER BY n", t));
	size_t len = 0;
	int rc;

	buf[0] = '\0';
	while ((rc = dal_stmt_step(s)) == DAL_ROW)
		len += (size_t)snprintf(buf + len, size - len, "%s%lld", len ? "," : "",
		                        (long long)dal_stmt_column_int64(s, 0));
	ck_assert_int_eq(rc, DAL_DONE);
	dal_stmt_close(s);
	return buf;
}

static void insert(dal_conn *c, const char *t, int n)
{
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (%d)", t, n));
}

START_TEST(test_nested_rollback_keeps_outer)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64], buf[128];

	table_name(t, sizeof t, "nest");
	create_table(c, t, "n BIGINT");
	ck_assert_uint_eq(dal_conn_txn_depth(c), 0);
	CK_CONN(c, dal_conn_begin(c));
	insert(c, t, 1);
	CK_CONN(c, dal_conn_begin(c));
	ck_assert_uint_eq(dal_conn_txn_depth(c), 2);
	insert(c, t, 2);
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,2");
	CK_CONN(c, dal_conn_rollback(c));
	ck_assert_uint_eq(dal_conn_txn_depth(c), 1);
	/* Only the inner unit is gone; the outer one goes on. */
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1");
	insert(c, t, 3);
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_uint_eq(dal_conn_txn_depth(c), 0);
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,3");
	/* Commit of an inner unit keeps it in the outer one, which a rollback
	 * then undoes as a whole. */
	CK_CONN(c, dal_conn_begin(c));
	insert(c, t, 4);
	CK_CONN(c, dal_conn_begin(c));
	insert(c, t, 5);
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,3,4,5");
	CK_CONN(c, dal_conn_rollback(c));
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,3");
	ck_assert_int_eq(dal_conn_commit(c), DAL_EMISUSE);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_nested_depth_four)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64], buf[128];

	table_name(t, sizeof t, "deep");
	create_table(c, t, "n BIGINT");
	for (int d = 1; d <= 4; d++) {
		CK_CONN(c, dal_conn_begin(c));
		ck_assert_uint_eq(dal_conn_txn_depth(c), (unsigned)d);
		insert(c, t, d);
	}
	CK_CONN(c, dal_conn_rollback(c)); /* 4 */
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,2,3");
	CK_CONN(c, dal_conn_commit(c));   /* 3 into 2 */
	CK_CONN(c, dal_conn_begin(c));    /* a new unit at depth 3 */
	insert(c, t, 30);
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,2,3,30");
	CK_CONN(c, dal_conn_rollback(c)); /* 2, with 3 and 30 */
	ck_assert_uint_eq(dal_conn_txn_depth(c), 1);
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1");
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1");
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_nested_rollback_after_failed_statement)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64], buf[128];
	dal_error e;

	table_name(t, sizeof t, "nfail");
	create_table(c, t, "n BIGINT NOT NULL UNIQUE");
	CK_CONN(c, dal_conn_begin(c));
	insert(c, t, 1);
	CK_CONN(c, dal_conn_begin(c));
	insert(c, t, 2);
	/* A failing statement in the unit (PostgreSQL then refuses every
	 * statement of the transaction until a rollback). */
	ck_assert_int_eq(expect_failure(c, sqlf("INSERT INTO %s (n) VALUES (1)", t), &e),
	                 DAL_ECONSTRAINT);
	CK_CONN(c, dal_conn_rollback(c));
	/* The outer transaction is usable again and kept its row. */
	insert(c, t, 3);
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,3");
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_named_savepoints)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64], buf[128], longname[80];

	table_name(t, sizeof t, "named");
	create_table(c, t, "n BIGINT");
	/* Outside a transaction: misuse. */
	ck_assert_int_eq(dal_conn_savepoint(c, "a"), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "no transaction"), "%s",
	              dal_conn_error(c)->message);
	CK_CONN(c, dal_conn_begin(c));
	insert(c, t, 1);
	CK_CONN(c, dal_conn_savepoint(c, "before_two"));
	insert(c, t, 2);
	/* A reserved word works: names are quoted. */
	CK_CONN(c, dal_conn_savepoint(c, "select"));
	insert(c, t, 22);
	CK_CONN(c, dal_conn_savepoint_rollback(c, "before_two"));
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1");
	/* "select" was after it: gone. "before_two" stays. */
	ck_assert_int_eq(dal_conn_savepoint_release(c, "select"), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "no savepoint 'select'"), "%s",
	              dal_conn_error(c)->message);
	insert(c, t, 3);
	CK_CONN(c, dal_conn_savepoint_rollback(c, "before_two"));
	insert(c, t, 4);
	CK_CONN(c, dal_conn_savepoint_release(c, "before_two"));
	ck_assert_int_eq(dal_conn_savepoint_rollback(c, "before_two"), DAL_EMISUSE);
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,4");

	/* Names are checked, never spliced. */
	CK_CONN(c, dal_conn_begin(c));
	memset(longname, 'x', 64);
	longname[64] = '\0';
	{
		const char *bad[] = {"", "1a", "a-b", "a b", "x\"; DROP TABLE t; --", "dal_sp_2",
		                     longname, NULL};
		for (const char **b = bad; *b; b++) {
			ck_assert_int_eq(dal_conn_savepoint(c, *b), DAL_EMISUSE);
			ck_assert_msg(tu_contains(dal_conn_error(c)->message, "savepoint") ||
			              tu_contains(dal_conn_error(c)->message, "reserved"), "%s",
			              dal_conn_error(c)->message);
		}
	}
	ck_assert_int_eq(dal_conn_savepoint(c, NULL), DAL_EMISUSE);
	longname[63] = '\0';
	CK_CONN(c, dal_conn_savepoint(c, longname)); /* 63 is the limit */
	/* A savepoint under an open nested unit cannot be ended from under it. */
	CK_CONN(c, dal_conn_savepoint(c, "outer_sp"));
	CK_CONN(c, dal_conn_begin(c));
	CK_CONN(c, dal_conn_savepoint(c, "inner_sp"));
	insert(c, t, 5);
	ck_assert_int_eq(dal_conn_savepoint_rollback(c, "outer_sp"), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "nested unit"), "%s",
	              dal_conn_error(c)->message);
	/* Ending the unit ends the savepoints set inside it. */
	CK_CONN(c, dal_conn_rollback(c));
	ck_assert_int_eq(dal_conn_savepoint_release(c, "inner_sp"), DAL_EMISUSE);
	CK_CONN(c, dal_conn_savepoint_release(c, "outer_sp"));
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,4");
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

struct body {
	const char *t;
	int leave_open;
};

static int nested_body(dal_conn *c, void *ud)
{
	struct body *b = ud;
	int rc;

	if ((rc = dal_conn_exec(c, sqlf("INSERT INTO %s (n) VALUES (1)", b->t), NULL)) ||
	    (rc = dal_conn_begin(c)) ||
	    (rc = dal_conn_exec(c, sqlf("INSERT INTO %s (n) VALUES (2)", b->t), NULL)) ||
	    (rc = dal_conn_rollback(c)) ||
	    (rc = dal_conn_begin(c)) ||
	    (rc = dal_conn_exec(c, sqlf("INSERT INTO %s (n) VALUES (3)", b->t), NULL)))
		return rc;
	return b->leave_open ? DAL_OK : dal_conn_commit(c);
}

START_TEST(test_transact_with_nested_units)
{
	dal_repo *r = open_repo();
	struct body b;
	char t[64], buf[128];
	dal_conn *c;
	dal_error e;
	int rc;

	table_name(t, sizeof t, "tnest");
	c = acquire(r);
	create_table(c, t, "n BIGINT");
	dal_conn_release(c);
	b.t = t;
	b.leave_open = 0;
	CK_ERR(e, dal_repo_transact(r, nested_body, &b, &e));
	c = acquire(r);
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,3");
	exec_ok(c, sqlf("DELETE FROM %s", t));
	dal_conn_release(c);
	/* A body that leaves a unit open: nothing is committed. */
	b.leave_open = 1;
	rc = dal_repo_transact(r, nested_body, &b, &e);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_msg(tu_contains(e.message, "nested unit"), "%s", e.message);
	c = acquire(r);
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "");
	ck_assert_uint_eq(dal_conn_txn_depth(c), 0);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST


/* PostgreSQL refuses every statement of a transaction after a failure, the
 * savepoint commands too, until a rollback: a failed commit of a unit
 * leaves it open, and its rollback recovers. */
START_TEST(test_pgsql_failed_unit_commit_leaves_it_open)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64], buf[64];
	dal_error e;

	table_name(t, sizeof t, "pgsp");
	create_table(c, t, "n BIGINT");
	CK_CONN(c, dal_conn_begin(c));
	insert(c, t, 1);
	CK_CONN(c, dal_conn_begin(c));
	ck_assert_int_ne(expect_failure(c, "SELECT nope", &e), DAL_OK);
	ck_assert_int_ne(dal_conn_commit(c), DAL_OK);
	ck_assert_uint_eq(dal_conn_txn_depth(c), 2);
	/* A named savepoint cannot be set now either. */
	ck_assert_int_ne(dal_conn_savepoint(c, "later"), DAL_OK);
	ck_assert_uint_eq(dal_conn_txn_depth(c), 2);
	CK_CONN(c, dal_conn_rollback(c));
	insert(c, t, 2);
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_str_eq(values(c, t, buf, sizeof buf), "1,2");
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_nested_rollback_keeps_outer, DAL_CAP_TRANSACTIONS | DAL_CAP_SAVEPOINTS, 0, 0),
	CASE(test_nested_depth_four, DAL_CAP_TRANSACTIONS | DAL_CAP_SAVEPOINTS, 0, 0),
	CASE(test_nested_rollback_after_failed_statement,
	     DAL_CAP_TRANSACTIONS | DAL_CAP_SAVEPOINTS, 0, 0),
	CASE(test_named_savepoints, DAL_CAP_TRANSACTIONS | DAL_CAP_SAVEPOINTS, 0, 0),
	CASE(test_transact_with_nested_units, DAL_CAP_TRANSACTIONS | DAL_CAP_SAVEPOINTS, 0, 0),
	BACKEND_CASE("postgresql", test_pgsql_failed_unit_commit_leaves_it_open,
	             DAL_CAP_SAVEPOINTS, 0),
	{NULL},
};

const struct conf_area conf_savepoints = {"savepoints", cases};
