/*
 * Conformance: transactions (DAL_CAP_TRANSACTIONS). Commit, rollback, nested
 * begin and commit without a transaction as misuse, and isolation of
 * uncommitted rows from a second connection.
 */
#include "common.h"

START_TEST(test_transactions)
{
	dal_repo *r = open_repo();
	char t[64];
	int rc;

	table_name(t, sizeof t, "txn");
	create_table(r, t, "n BIGINT");

	CK_REPO(r, dal_repo_begin(r));
	exec_ok(r, sqlf("INSERT INTO %s (n) VALUES (1)", t));
	CK_REPO(r, dal_repo_commit(r));
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", t)), 1);

	CK_REPO(r, dal_repo_begin(r));
	exec_ok(r, sqlf("INSERT INTO %s (n) VALUES (2)", t));
	/* Visible inside the transaction... */
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", t)), 2);
	CK_REPO(r, dal_repo_rollback(r));
	/* ...and gone after the rollback. */
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", t)), 1);

	CK_REPO(r, dal_repo_begin(r));
	rc = dal_repo_begin(r);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "already"), "message: %s",
	              dal_repo_error(r)->message);
	/* The outer transaction is intact. */
	exec_ok(r, sqlf("INSERT INTO %s (n) VALUES (3)", t));
	CK_REPO(r, dal_repo_commit(r));
	ck_assert_int_eq(query_int(r, sqlf("SELECT SUM(n) FROM %s", t)), 4);

	rc = dal_repo_commit(r);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "without an open transaction"),
	              "message: %s", dal_repo_error(r)->message);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_transaction_isolated_from_other_connection)
{
	dal_repo *a, *b;
	char t[64];

	a = open_repo();
	b = open_repo();
	table_name(t, sizeof t, "iso");
	create_table(a, t, "n BIGINT");
	CK_REPO(a, dal_repo_begin(a));
	exec_ok(a, sqlf("INSERT INTO %s (n) VALUES (1)", t));
	/* Uncommitted: b does not see it (and is not blocked reading). */
	ck_assert_int_eq(query_int(b, sqlf("SELECT COUNT(*) FROM %s", t)), 0);
	CK_REPO(a, dal_repo_commit(a));
	ck_assert_int_eq(query_int(b, sqlf("SELECT COUNT(*) FROM %s", t)), 1);
	drop_table(a, t);
	dal_repo_close(a);
	dal_repo_close(b);
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
