/*
 * Conformance cases that concern the sqlite backend alone (selected by
 * backend name): default and overridden pragmas, option errors, a file that
 * cannot be opened, a locked database as DAL_EBUSY, and prepare refusing
 * two statements.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "common.h"

/* sqlite::memory: (each open is a new, private database). */
static int memory_db(void)
{
	return tu_contains(conf.url, ":memory:");
}

START_TEST(test_sqlite_default_pragmas)
{
	dal_repo *r;
	dal_conn *c;
	char buf[32];

	c = open_conn(&r);
	ck_assert_str_eq(dal_repo_server_kind(r), "sqlite");
	ck_assert_uint_eq(dal_repo_capabilities(r),
	                  DAL_CAP_TRANSACTIONS | DAL_CAP_TRANSACTIONAL_DDL |
	                          DAL_CAP_LAST_INSERT_ID | DAL_CAP_STREAMING |
	                          DAL_CAP_MULTI_STATEMENT | DAL_CAP_EMBEDDED);
	ck_assert_str_eq(query_text(c, "PRAGMA journal_mode", buf, sizeof buf),
	                 memory_db() ? "memory" : "wal");
	ck_assert_int_eq(query_int(c, "PRAGMA synchronous"), 1); /* NORMAL */
	ck_assert_int_eq(query_int(c, "PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(query_int(c, "PRAGMA busy_timeout"), 30000);
	close_conn(r, c);
}
END_TEST

START_TEST(test_sqlite_options_override)
{
	dal_repo *r;
	dal_conn *c;
	char *u, buf[32];

	u = url_with_query(memory_db() ? "synchronous=full&busy_timeout=1234&foreign_keys=off"
	                                 "&cache_size=-4000"
	                               : "journal_mode=delete&synchronous=full&busy_timeout=1234"
	                                 "&foreign_keys=off&cache_size=-4000");
	c = open_conn_url(u, &r);
	if (!memory_db())
		ck_assert_str_eq(query_text(c, "PRAGMA journal_mode", buf, sizeof buf), "delete");
	ck_assert_int_eq(query_int(c, "PRAGMA synchronous"), 2);
	ck_assert_int_eq(query_int(c, "PRAGMA busy_timeout"), 1234);
	ck_assert_int_eq(query_int(c, "PRAGMA foreign_keys"), 0);
	ck_assert_int_eq(query_int(c, "PRAGMA cache_size"), -4000);
	close_conn(r, c);
	free(u);
}
END_TEST

/* Open with a bad option; return the error for the caller to check. */
static int sqlite_open_bad(const char *query, dal_error *err)
{
	dal_repo *r = NULL;
	char *u = url_with_query(query);
	int rc = dal_repo_open(&r, NULL, NULL, u, err);

	free(u);
	ck_assert_ptr_null(r);
	return rc;
}

START_TEST(test_sqlite_bad_options)
{
	dal_error err;

	ck_assert_int_eq(sqlite_open_bad("jurnal_mode=WAL", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "unknown sqlite option 'jurnal_mode'") &&
	                      tu_contains(err.message, "url"),
	              "message: %s", err.message);
	ck_assert_int_eq(sqlite_open_bad("journal_mode=FAST", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "journal_mode = 'FAST' is not one of DELETE"),
	              "message: %s", err.message);
	ck_assert_int_eq(sqlite_open_bad("synchronous=sometimes", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "synchronous = 'sometimes'"), "message: %s",
	              err.message);
	ck_assert_int_eq(sqlite_open_bad("busy_timeout=soon", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "busy_timeout = 'soon' is not an integer"),
	              "message: %s", err.message);
	ck_assert_int_eq(sqlite_open_bad("busy_timeout=-1", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "out of range"), "message: %s", err.message);
	ck_assert_int_eq(sqlite_open_bad("foreign_keys=maybe", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "foreign_keys = 'maybe' is not a boolean"),
	              "message: %s", err.message);
	ck_assert_int_eq(sqlite_open_bad("transaction_mode=lazy", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "DEFERRED, IMMEDIATE, EXCLUSIVE"),
	              "message: %s", err.message);
	if (memory_db()) {
		ck_assert_int_eq(sqlite_open_bad("journal_mode=wal", &err), DAL_EBACKEND);
		ck_assert_msg(tu_contains(err.message, "journal mode stayed 'memory'"),
		              "message: %s", err.message);
	}
}
END_TEST

START_TEST(test_sqlite_cannot_open)
{
	const char *path = "/nonexistent-dal-dir/sub/x.db";
	dal_repo *r = NULL;
	dal_error err;
	int rc;

	rc = dal_repo_open(&r, NULL, NULL, "sqlite:////nonexistent-dal-dir/sub/x.db", &err);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(rc, DAL_ECONNECT);
	ck_assert_str_eq(err.sqlstate, "08001");
	ck_assert_msg(tu_contains(err.message, path) &&
	                      tu_contains(err.message, "No such file or directory"),
	              "message: %s", err.message);
}
END_TEST

START_TEST(test_sqlite_locked_is_busy)
{
	dal_repo *ra, *rb;
	dal_conn *a, *b;
	struct timespec t0;
	char t[64], *u;
	dal_error err;
	double took;
	int rc;

	a = open_conn(&ra);
	u = url_with_query("busy_timeout=200");
	b = open_conn_url(u, &rb);
	table_name(t, sizeof t, "lock");
	create_table(a, t, "n BIGINT");
	CK_CONN(a, dal_conn_begin(a));
	exec_ok(a, sqlf("INSERT INTO %s (n) VALUES (1)", t));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = expect_failure(b, sqlf("INSERT INTO %s (n) VALUES (2)", t), &err);
	took = elapsed_s(&t0);
	ck_assert_msg(rc == DAL_EBUSY, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_int_eq(dal_code_is_transient(rc), 1);
	ck_assert_str_eq(err.sqlstate, "40001");
	ck_assert_msg(tu_contains(err.message, "busy_timeout = 200 ms"), "message: %s",
	              err.message);
	ck_assert_msg(took >= 0.15 && took < 5.0, "waited %.3f s", took);

	CK_CONN(a, dal_conn_commit(a));
	exec_ok(b, sqlf("INSERT INTO %s (n) VALUES (2)", t));
	ck_assert_int_eq(query_int(a, sqlf("SELECT SUM(n) FROM %s", t)), 3);
	drop_table(a, t);
	close_conn(ra, a);
	close_conn(rb, b);
	free(u);
}
END_TEST

START_TEST(test_sqlite_prepare_refuses_two_statements)
{
	dal_repo *r;
	dal_conn *c;
	dal_stmt *s = NULL;
	int rc;

	c = open_conn(&r);
	rc = dal_stmt_prepare(c, "SELECT 1; SELECT 2", &s);
	ck_assert_int_eq(rc, DAL_ESYNTAX);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "more than one statement"),
	              "message: %s", dal_conn_error(c)->message);
	/* Trailing comments are not a statement. */
	s = prep(c, "SELECT 1; -- done");
	dal_stmt_close(s);
	rc = dal_stmt_prepare(c, "  /* nothing */ ", &s);
	ck_assert_int_eq(rc, DAL_ESYNTAX);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "no statement"), "message: %s",
	              dal_conn_error(c)->message);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	BACKEND_CASE("sqlite", test_sqlite_default_pragmas, 0, 0),
	BACKEND_CASE("sqlite", test_sqlite_options_override, 0, 0),
	BACKEND_CASE("sqlite", test_sqlite_bad_options, 0, 0),
	BACKEND_CASE("sqlite", test_sqlite_cannot_open, 0, 0),
	/* Two connections to one database file. */
	BACKEND_CASE("sqlite", test_sqlite_locked_is_busy, DAL_CAP_TRANSACTIONS, NEED_SHARED_DB),
	BACKEND_CASE("sqlite", test_sqlite_prepare_refuses_two_statements, 0, 0),
	{NULL},
};

const struct conf_area conf_sqlite = {"sqlite", cases};
