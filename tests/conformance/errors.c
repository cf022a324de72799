/*
 * Conformance: errors. The dal_code, SQLSTATE class and message of syntax
 * errors (through exec and prepare), constraint violations (unique, not
 * null, foreign key), missing tables and columns, on a connection and through
 * the one-shot calls of the repository; a statement and a connection stay
 * usable after a failure.
 */
#include <string.h>

#include "common.h"

START_TEST(test_exec_errors_are_reported)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_error err;
	char sqlstate[6];
	long native;
	int64_t n = 7;
	int rc;

	rc = dal_conn_exec(c, "CREATE TABLOID nothing (x INT)", &n);
	ck_assert_int_eq(rc, DAL_ESYNTAX);
	ck_assert_int_eq(dal_conn_error(c)->code, DAL_ESYNTAX);
	ck_assert_msg(strncmp(dal_conn_error(c)->sqlstate, "42", 2) == 0, "sqlstate %s",
	              dal_conn_error(c)->sqlstate);
	ck_assert_uint_eq(strlen(dal_conn_error(c)->sqlstate), 5);
	/* Kept to compare with the one-shot call below: the same error. */
	memcpy(sqlstate, dal_conn_error(c)->sqlstate, sizeof sqlstate);
	native = dal_conn_error(c)->native;
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "TABLOID"),
	              "message does not point at the error: %s", dal_conn_error(c)->message);
	ck_assert_int_eq(n, 0);
	/* The connection stays usable and the error is cleared by success. */
	CK_CONN(c, dal_conn_ping(c, NULL));
	ck_assert_int_eq(dal_conn_error(c)->code, DAL_OK);
	dal_conn_release(c);

	/* The one-shot call on the repository reports into its dal_error. */
	n = 7;
	rc = dal_repo_exec(r, "CREATE TABLOID nothing (x INT)", &n, &err);
	ck_assert_int_eq(rc, DAL_ESYNTAX);
	ck_assert_int_eq(err.code, DAL_ESYNTAX);
	/* The same SQLSTATE and native code as through the connection. */
	ck_assert_str_eq(err.sqlstate, sqlstate);
	ck_assert_int_eq(err.native, native);
	ck_assert_msg(tu_contains(err.message, "TABLOID"),
	              "message does not point at the error: %s", err.message);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLOID nothing (x INT)", NULL, NULL),
	                 DAL_ESYNTAX);
	CK_ERR(err, dal_repo_ping(r, NULL, &err));
	ck_assert_int_eq(err.code, DAL_OK);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_unique_violation)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];
	int rc;

	table_name(t, sizeof t, "uniq");
	create_table(c, t, "k VARCHAR(20) NOT NULL UNIQUE, n BIGINT");
	s = prep(c, sqlf("INSERT INTO %s (k, n) VALUES (?, ?)", t));
	CK_STMT(s, dal_stmt_bind_text(s, 1, "dup", -1));
	CK_STMT(s, dal_stmt_bind_int64(s, 2, 1));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 2, 2));
	rc = dal_stmt_step(s);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_ECONSTRAINT);
	ck_assert_msg(strncmp(dal_stmt_error(s)->sqlstate, "23", 2) == 0, "sqlstate %s",
	              dal_stmt_error(s)->sqlstate);
	ck_assert_int_eq(dal_code_is_transient(rc), 0);
	/* A backend with native error numbers reports one (PostgreSQL has only
	 * the SQLSTATE). */
	if (dl->native_codes)
		ck_assert_int_ne(dal_stmt_error(s)->native, 0);
	ck_assert_msg(strlen(dal_stmt_error(s)->message) > 0, "empty message");
	/* The statement is reusable after the failure. */
	CK_STMT(s, dal_stmt_bind_text(s, 1, "other", -1));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	/* Through exec as well. */
	rc = dal_conn_exec(c, sqlf("INSERT INTO %s (k, n) VALUES ('dup', 3)", t), NULL);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_msg(strncmp(dal_conn_error(c)->sqlstate, "23", 2) == 0, "sqlstate %s",
	              dal_conn_error(c)->sqlstate);
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s", t)), 2);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

START_TEST(test_not_null_and_foreign_key_violations)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	char par[64], chi[64];
	dal_error err;
	int rc;

	table_name(par, sizeof par, "par");
	table_name(chi, sizeof chi, "chi");
	create_table(c, par, "id BIGINT PRIMARY KEY");
	create_table(c, chi, sqlf("id BIGINT NOT NULL, pid BIGINT REFERENCES %s (id)", par));
	exec_ok(c, sqlf("INSERT INTO %s (id) VALUES (1)", par));
	exec_ok(c, sqlf("INSERT INTO %s (id, pid) VALUES (1, 1)", chi));

	rc = expect_failure(c, sqlf("INSERT INTO %s (id, pid) VALUES (NULL, 1)", chi), &err);
	ck_assert_msg(rc == DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "23", 2) == 0, "sqlstate %s", err.sqlstate);
	rc = expect_failure(c, sqlf("INSERT INTO %s (id, pid) VALUES (2, 99)", chi), &err);
	ck_assert_msg(rc == DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "23", 2) == 0, "sqlstate %s", err.sqlstate);
	ck_assert_int_eq(query_int(c, sqlf("SELECT COUNT(*) FROM %s", chi)), 1);
	drop_table(c, chi);
	drop_table(c, par);
	close_conn(r, c);
}
END_TEST

START_TEST(test_syntax_error)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_error err;
	int rc;

	rc = expect_failure(c, "SELEC 1", &err);
	ck_assert_msg(rc == DAL_ESYNTAX, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "42", 2) == 0, "sqlstate %s", err.sqlstate);
	ck_assert_msg(tu_contains(err.message, "SELEC"), "message: %s", err.message);
	ck_assert_int_eq(dal_code_is_transient(rc), 0);
	close_conn(r, c);
}
END_TEST

START_TEST(test_missing_table_and_column)
{
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_error err;
	char t[64];
	int rc;

	table_name(t, sizeof t, "missing");
	rc = expect_failure(c, sqlf("SELECT * FROM %s", t), &err);
	ck_assert_msg(rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, t), "message does not name %s: %s", t,
	              err.message);
	ck_assert_msg(strncmp(err.sqlstate, "42", 2) == 0, "sqlstate %s", err.sqlstate);

	create_table(c, t, "n BIGINT");
	rc = expect_failure(c, sqlf("SELECT nosuchcolumn FROM %s", t), &err);
	ck_assert_msg(rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, "nosuchcolumn"), "message: %s", err.message);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_exec_errors_are_reported, 0, 0, 0),
	CASE(test_unique_violation, 0, 0, 0),
	CASE(test_not_null_and_foreign_key_violations, 0, 0, 0),
	CASE(test_syntax_error, 0, 0, 0),
	CASE(test_missing_table_and_column, 0, 0, 0),
	{NULL},
};

const struct conf_area conf_errors = {"errors", cases};
