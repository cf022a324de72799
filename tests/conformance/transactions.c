/*
 * Conformance: transactions (DAL_CAP_TRANSACTIONS). Commit, rollback, nested
 * begin and commit without a transaction as misuse, and isolation of
 * uncommitted rows from a second connection.
 */
#include "common.h"

START_TEST(test_transactions)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char t[64];
	int rc;

	table_name(t, sizeof t, "txn");
	create_table(c, t, "n BIGINT");

	CK_CONN(c, dal_conn_begin(c));
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (1)", t));
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s", t)), 1);

	CK_CONN(c, dal_conn_begin(c));
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (2)", t));
	/* Visible inside the transaction... */
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s", t)), 2);
	CK_CONN(c, dal_conn_rollback(c));
	/* ...and gone after the rollback. */
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s", t)), 1);

	CK_CONN(c, dal_conn_begin(c));
	/* Nested begin without savepoints: misuse (savepoints.c covers the
	 * backends that declare them). */
	if (!(conf.caps & DAL_CAP_SAVEPOINTS)) {
		rc = dal_conn_begin(c);
		ck_assert_int_eq(rc, DAL_EMISUSE);
		ck_assert_msg(tu_contains(dal_conn_error(c)->message, "already"), "message: %s",
		              dal_conn_error(c)->message);
	}
	/* The outer transaction is intact. */
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (3)", t));
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_int_eq(query_int(c, sqlf("SELECT SUM(n) FROM %s", t)), 4);

	rc = dal_conn_commit(c);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "without an open transaction"),
	              "message: %s", dal_conn_error(c)->message);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_transaction_isolated_from_other_connection)
{
	dal_repo *ra, *rb;
	dal_conn *a, *b;
	char t[64];

	a = open_conn(&ra);
	b = open_conn(&rb);
	table_name(t, sizeof t, "iso");
	create_table(a, t, "n BIGINT");
	CK_CONN(a, dal_conn_begin(a));
	exec_ok(a, sqlf("INSERT INTO %s (n) VALUES (1)", t));
	/* Uncommitted: b does not see it (and is not blocked reading). */
	ck_assert_int_eq(query_int(b, sqlf("SELECT COUNT(*) FROM %s", t)), 0);
	CK_CONN(a, dal_conn_commit(a));
	ck_assert_int_eq(query_int(b, sqlf("SELECT COUNT(*) FROM %s", t)), 1);
	drop_table(a, t);
	close_conn(ra, a);
	close_conn(rb, b);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_transactions, DAL_CAP_TRANSACTIONS, 0, 0),
	/* A second connection must see the same database. */
	CASE(test_transaction_isolated_from_other_connection, DAL_CAP_TRANSACTIONS, 0,
	     NEED_SHARED_DB),
	{NULL},
};

const struct conf_area conf_transactions = {"transactions", cases};
