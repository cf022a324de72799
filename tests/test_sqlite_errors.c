/*
 * Check suite for the SQLite backend's error mapping (plugins/sqlite/errors.c):
 * each class of SQLite error, provoked for real through the public API, comes
 * back with its libdal category, its SQLSTATE and SQLite's extended result
 * code as the native number. The portable cases (unique, not null, syntax,
 * missing table) are in the conformance suite for every backend; these are
 * the ones only SQLite produces, or produces in its own way.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"

static dal_repo *open_db(const char *file, const char *query)
{
	char url[512];
	dal_repo *r = NULL;
	dal_error err;
	int rc;

	snprintf(url, sizeof url, "sqlite:///%s/%s%s%s", tu_tmpdir, file, query ? "?" : "",
	         query ? query : "");
	rc = dal_repo_open_url(&r, url, &err);
	ck_assert_msg(rc == DAL_OK, "%s: %s", url, err.message);
	return r;
}

/* sql fails with code and sqlstate, and SQLite's extended code native (0: any
 * code whose primary part is primary). */
static void fails(dal_conn *c, const char *sql, int code, const char *state, long native,
                  int primary)
{
	int rc = dal_conn_exec(c, sql, NULL);
	const dal_error *e = dal_conn_error(c);

	ck_assert_msg(rc == code, "%s: got %s (%s), want %s", sql, dal_code_name(rc),
	              e->message, dal_code_name(code));
	ck_assert_msg(strcmp(e->sqlstate, state) == 0, "%s: sqlstate %s, want %s (%s)", sql,
	              e->sqlstate, state, e->message);
	if (native)
		ck_assert_msg(e->native == native, "%s: native %ld, want %ld", sql, e->native,
		              native);
	else
		ck_assert_msg((e->native & 0xff) == primary, "%s: native %ld, want primary %d",
		              sql, e->native, primary);
}

START_TEST(test_sqlite_constraint_kinds)
{
	dal_repo *r = open_db("c.db", "foreign_keys=on");
	dal_conn *c = tu_conn_acquire(r);

	tu_conn_exec(c, "CREATE TABLE p (id INTEGER PRIMARY KEY)");
	tu_conn_exec(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL, "
	      "k INT CHECK (k > 0), f INT REFERENCES p(id))");
	tu_conn_exec(c, "INSERT INTO p VALUES (1)");
	tu_conn_exec(c, "INSERT INTO t VALUES (1, 'a', 'x', 1, 1)");
	fails(c, "INSERT INTO t VALUES (2, 'a', 'x', 1, 1)", DAL_ECONSTRAINT, "23505",
	      2067 /* SQLITE_CONSTRAINT_UNIQUE */, 0);
	fails(c, "INSERT INTO t VALUES (1, 'b', 'x', 1, 1)", DAL_ECONSTRAINT, "23505",
	      1555 /* SQLITE_CONSTRAINT_PRIMARYKEY */, 0);
	fails(c, "INSERT INTO t VALUES (3, 'c', NULL, 1, 1)", DAL_ECONSTRAINT, "23502",
	      1299 /* SQLITE_CONSTRAINT_NOTNULL */, 0);
	fails(c, "INSERT INTO t VALUES (4, 'd', 'x', 0, 1)", DAL_ECONSTRAINT, "23514",
	      275 /* SQLITE_CONSTRAINT_CHECK */, 0);
	fails(c, "INSERT INTO t VALUES (5, 'e', 'x', 1, 99)", DAL_ECONSTRAINT, "23503",
	      787 /* SQLITE_CONSTRAINT_FOREIGNKEY */, 0);
	/* A trigger's RAISE(ABORT): a constraint with no finer class. */
	tu_conn_exec(c, "CREATE TRIGGER no_p BEFORE INSERT ON p BEGIN SELECT RAISE(ABORT, 'no'); END");
	fails(c, "INSERT INTO p VALUES (2)", DAL_ECONSTRAINT, "23000",
	      1811 /* SQLITE_CONSTRAINT_TRIGGER */, 0);
	/* A STRICT table refuses a value of the wrong type: bad data. */
	tu_conn_exec(c, "CREATE TABLE s (a INTEGER) STRICT");
	fails(c, "INSERT INTO s VALUES ('abc')", DAL_EDATA, "22000",
	      3091 /* SQLITE_CONSTRAINT_DATATYPE */, 0);
	/* A rowid that is not an integer. */
	fails(c, "INSERT INTO p VALUES ('abc')", DAL_EDATA, "22000", 20 /* SQLITE_MISMATCH */, 0);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_sqlite_lookup_and_syntax_errors)
{
	dal_repo *r = open_db("s.db", NULL);
	dal_conn *c = tu_conn_acquire(r);

	tu_conn_exec(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
	fails(c, "SELEC 1", DAL_ESYNTAX, "42601", 1, 0);
	fails(c, "SELECT 'open", DAL_ESYNTAX, "42601", 1, 0);
	fails(c, "SELECT * FROM missing", DAL_ENOTFOUND, "42P01", 1, 0);
	fails(c, "SELECT nope FROM t", DAL_ENOTFOUND, "42703", 1, 0);
	fails(c, "SELECT nofunc(1)", DAL_ENOTFOUND, "42883", 1, 0);
	fails(c, "DROP INDEX missing_idx", DAL_ENOTFOUND, "42704", 1, 0);
	fails(c, "CREATE TABLE t (x)", DAL_ESYNTAX, "42P07", 1, 0);
	fails(c, "SELECT id FROM t, t AS u", DAL_ESYNTAX, "42702", 1, 0);
	/* Transaction control through exec, not through dal_conn_begin(). */
	fails(c, "COMMIT", DAL_EMISUSE, "25P01", 1, 0);
	tu_conn_exec(c, "BEGIN");
	fails(c, "BEGIN", DAL_EMISUSE, "25001", 1, 0);
	tu_conn_exec(c, "ROLLBACK");
	/* SQLITE_ERROR with no finer class. */
	fails(c, "SELECT json_extract('{', '$')", DAL_EBACKEND, "HY000", 1, 0);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_sqlite_limits_and_states)
{
	dal_repo *r = open_db("l.db", NULL);
	dal_conn *c = tu_conn_acquire(r);

	tu_conn_exec(c, "CREATE TABLE b (v BLOB)");
	/* Over SQLITE_MAX_LENGTH, refused before anything is allocated. */
	fails(c, "SELECT zeroblob(2000000000)", DAL_EDATA, "22001", 18 /* SQLITE_TOOBIG */, 0);
	/* query_only: every write is refused as a read-only database. */
	tu_conn_exec(c, "PRAGMA query_only = 1");
	fails(c, "INSERT INTO b VALUES (1)", DAL_EREADONLY, "25006", 0, 8 /* SQLITE_READONLY */);
	tu_conn_exec(c, "PRAGMA query_only = 0");
	/* A database that may not grow: full. */
	tu_conn_exec(c, "PRAGMA max_page_count = 3");
	fails(c, "INSERT INTO b VALUES (zeroblob(100000))", DAL_EBACKEND, "53100",
	      13 /* SQLITE_FULL */, 0);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* Two connections of one pool on one file: a writer waiting for another's
 * lock gives up after busy_timeout with DAL_EBUSY (retry the transaction)
 * and says how long it waited. */
START_TEST(test_sqlite_busy_names_timeout)
{
	dal_repo *r = open_db("b.db", "busy_timeout=20&journal_mode=delete");
	dal_conn *a = tu_conn_acquire(r), *b = tu_conn_acquire(r);
	const dal_error *e;

	tu_conn_exec(a, "CREATE TABLE t (v INT)");
	tu_conn_exec(a, "BEGIN IMMEDIATE");
	tu_conn_exec(a, "INSERT INTO t VALUES (1)");
	ck_assert_int_eq(dal_conn_exec(b, "INSERT INTO t VALUES (2)", NULL), DAL_EBUSY);
	e = dal_conn_error(b);
	ck_assert_str_eq(e->sqlstate, "40001");
	ck_assert_int_eq(e->native & 0xff, 5 /* SQLITE_BUSY */);
	ck_assert_msg(strstr(e->message, "busy_timeout = 20 ms"), "%s", e->message);
	tu_conn_exec(a, "COMMIT");
	tu_conn_exec(b, "INSERT INTO t VALUES (2)");
	dal_conn_release(a);
	dal_conn_release(b);
	dal_repo_close(r);
}
END_TEST

/* A file that is not a database: the error names it as such, whether the
 * open or the first statement finds out. */
START_TEST(test_sqlite_not_a_database)
{
	char url[512], *path = tu_write_file(tu_tmpdir, "junk.db",
	                                     "this is not an SQLite database file, at all....\n");
	dal_repo *r = NULL;
	dal_conn *c = NULL;
	dal_error err;
	int rc;

	snprintf(url, sizeof url, "sqlite:///%s?journal_mode=delete", path);
	rc = dal_repo_open_url(&r, url, &err);
	if (rc == DAL_OK) {
		rc = dal_conn_acquire(r, &c, &err);
		if (rc == DAL_OK) {
			rc = dal_conn_exec(c, "SELECT * FROM sqlite_master", NULL);
			err = *dal_conn_error(c);
			dal_conn_release(c);
		}
		dal_repo_close(r);
	}
	ck_assert_msg(rc == DAL_EBACKEND, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_str_eq(err.sqlstate, "XX001");
	ck_assert_int_eq(err.native & 0xff, 26 /* SQLITE_NOTADB */);
	free(path);
}
END_TEST

/* Processes opening one new database at once all switch it to WAL: the
 * switch needs an exclusive lock, and SQLite answers SQLITE_BUSY without
 * waiting when two connections race for it, so the backend retries the
 * switch until busy_timeout. Several rounds, since the race is a race. */
START_TEST(test_sqlite_wal_switch_race)
{
	enum { ROUNDS = 25, PROCS = 4 };
	int round, i, failures = 0;

	for (round = 0; round < ROUNDS; round++) {
		char url[512];
		pid_t pid[PROCS];
		int go[2];

		snprintf(url, sizeof url, "sqlite:///%s/race%d.db?journal_mode=wal", tu_tmpdir, round);
		ck_assert_int_eq(pipe(go), 0);
		for (i = 0; i < PROCS; i++) {
			pid[i] = fork();
			ck_assert_int_ne(pid[i], -1);
			if (pid[i] == 0) {
				dal_repo *r = NULL;
				dal_conn *c = NULL;
				dal_error err;
				char b;
				int rc;

				close(go[1]);
				(void)!read(go[0], &b, 1); /* EOF: everyone starts */
				rc = dal_repo_open_url(&r, url, &err);
				if (rc == DAL_OK && (rc = dal_conn_acquire(r, &c, &err)) == DAL_OK) {
					rc = dal_conn_exec(c, "CREATE TABLE IF NOT EXISTS t (v INT)", NULL);
					if (rc)
						err = *dal_conn_error(c);
					dal_conn_release(c);
				}
				if (rc)
					fprintf(stderr, "round %d: %s\n", round, err.message);
				dal_repo_close(r);
				_exit(rc ? 1 : 0);
			}
		}
		close(go[0]);
		close(go[1]);
		for (i = 0; i < PROCS; i++) {
			int st;

			ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
			failures += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
	}
	ck_assert_int_eq(failures, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sqlite_errors");
	TCase *tc = tcase_create("errors");

	tu_clear_env();
	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_add_test(tc, test_sqlite_constraint_kinds);
	tcase_add_test(tc, test_sqlite_lookup_and_syntax_errors);
	tcase_add_test(tc, test_sqlite_limits_and_states);
	tcase_add_test(tc, test_sqlite_busy_names_timeout);
	tcase_add_test(tc, test_sqlite_not_a_database);
	tcase_add_test(tc, test_sqlite_wal_switch_race);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
