/*
 * Conformance: errors. The dal_code, SQLSTATE class and message of syntax
 * errors (through exec and prepare), constraint violations (unique, not
 * null, foreign key), missing tables and columns; a statement and a
 * repository stay usable after a failure.
 */
#include <string.h>

#include "common.h"

START_TEST(test_exec_errors_are_reported)
{
	dal_repo *r = open_repo();
	int64_t n = 7;
	int rc;

	rc = dal_repo_exec(r, "CREATE TABLOID nothing (x INT)", &n);
	ck_assert_int_eq(rc, DAL_ESYNTAX);
	ck_assert_int_eq(dal_repo_error(r)->code, DAL_ESYNTAX);
	ck_assert_str_eq(dal_repo_error(r)->sqlstate, dal_repo_error(r)->sqlstate);
	ck_assert_msg(strncmp(dal_repo_error(r)->sqlstate, "42", 2) == 0, "sqlstate %s",
	              dal_repo_error(r)->sqlstate);
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "TABLOID"),
	              "message does not point at the error: %s", dal_repo_error(r)->message);
	ck_assert_int_eq(n, 0);
	/* The repository stays usable and the error is cleared by success. */
	CK_REPO(r, dal_repo_ping(r, NULL));
	ck_assert_int_eq(dal_repo_error(r)->code, DAL_OK);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_unique_violation)
{
	dal_repo *r = open_repo();
	dal_stmt *s;
	char t[64];
	int rc;

	table_name(t, sizeof t, "uniq");
	create_table(r, t, "k VARCHAR(20) NOT NULL UNIQUE, n BIGINT");
	s = prep(r, sqlf("INSERT INTO %s (k, n) VALUES (?, ?)", t));
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
	rc = dal_repo_exec(r, sqlf("INSERT INTO %s (k, n) VALUES ('dup', 3)", t), NULL);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_msg(strncmp(dal_repo_error(r)->sqlstate, "23", 2) == 0, "sqlstate %s",
	              dal_repo_error(r)->sqlstate);
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", t)), 2);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_not_null_and_foreign_key_violations)
{
	dal_repo *r = open_repo();
	char p[64], c[64];
	dal_error err;
	int rc;

	table_name(p, sizeof p, "par");
	table_name(c, sizeof c, "chi");
	create_table(r, p, "id BIGINT PRIMARY KEY");
	create_table(r, c, sqlf("id BIGINT NOT NULL, pid BIGINT REFERENCES %s (id)", p));
	exec_ok(r, sqlf("INSERT INTO %s (id) VALUES (1)", p));
	exec_ok(r, sqlf("INSERT INTO %s (id, pid) VALUES (1, 1)", c));

	rc = expect_failure(r, sqlf("INSERT INTO %s (id, pid) VALUES (NULL, 1)", c), &err);
	ck_assert_msg(rc == DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "23", 2) == 0, "sqlstate %s", err.sqlstate);
	rc = expect_failure(r, sqlf("INSERT INTO %s (id, pid) VALUES (2, 99)", c), &err);
	ck_assert_msg(rc == DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "23", 2) == 0, "sqlstate %s", err.sqlstate);
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", c)), 1);
	drop_table(r, c);
	drop_table(r, p);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_syntax_error)
{
	dal_repo *r = open_repo();
	dal_error err;
	int rc;

	rc = expect_failure(r, "SELEC 1", &err);
	ck_assert_msg(rc == DAL_ESYNTAX, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "42", 2) == 0, "sqlstate %s", err.sqlstate);
	ck_assert_msg(tu_contains(err.message, "SELEC"), "message: %s", err.message);
	ck_assert_int_eq(dal_code_is_transient(rc), 0);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_missing_table_and_column)
{
	dal_repo *r = open_repo();
	dal_error err;
	char t[64];
	int rc;

	table_name(t, sizeof t, "missing");
	rc = expect_failure(r, sqlf("SELECT * FROM %s", t), &err);
	ck_assert_msg(rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, t), "message does not name %s: %s", t,
	              err.message);
	ck_assert_msg(strncmp(err.sqlstate, "42", 2) == 0, "sqlstate %s", err.sqlstate);

	create_table(r, t, "n BIGINT");
	rc = expect_failure(r, sqlf("SELECT nosuchcolumn FROM %s", t), &err);
	ck_assert_msg(rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, "nosuchcolumn"), "message: %s", err.message);
	drop_table(r, t);
	dal_repo_close(r);
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
