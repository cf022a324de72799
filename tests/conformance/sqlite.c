/*
 * Conformance cases that concern the sqlite backend alone (selected by
 * backend name): default and overridden pragmas, option errors, a file that
 * cannot be opened, a locked database as DAL_EBUSY, prepare refusing two
 * statements, and what SQLite adds to the generic cancel and
 * statement_timeout cases (cancel.c): the transaction an interrupted write
 * rolls back, how long a cancel holds, and the cost of the timeout check.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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
	                          DAL_CAP_MULTI_STATEMENT | DAL_CAP_EMBEDDED |
	                          DAL_CAP_CANCEL | DAL_CAP_SAVEPOINTS |
	                          DAL_CAP_UPSERT_CONFLICT);
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
	dal_repo *r = POISON;
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
		/* A file journal mode does not apply to an in-memory database
		 * (the shipped dal.ini's WAL under `dal -u sqlite::memory:`):
		 * skipped, not refused; the database keeps MEMORY. */
		dal_repo *mr;
		dal_conn *mc;
		char mode[32];
		ck_assert_msg(dal_repo_open_url(&mr, "sqlite:///:memory:?journal_mode=wal", &err) ==
		              DAL_OK, "%s", err.message);
		ck_assert_int_eq(dal_conn_acquire(mr, &mc, &err), DAL_OK);
		ck_assert_str_eq(query_text(mc, "PRAGMA journal_mode", mode, sizeof mode), "memory");
		dal_conn_release(mc);
		dal_repo_close(mr);
	}
}
END_TEST

START_TEST(test_sqlite_cannot_open)
{
	const char *path = "/nonexistent-dal-dir/sub/x.db";
	dal_repo *r = POISON;
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
	dal_stmt *s = POISON;
	int rc;

	c = open_conn(&r);
	rc = dal_stmt_prepare(c, "SELECT 1; SELECT 2", &s);
	ck_assert_int_eq(rc, DAL_ESYNTAX);
	ck_assert_ptr_null(s);
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

/* A recursive count: some 7 ns per row natively, minutes for 3 billion. */
#define COUNT_CTE(n) "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c " \
	             "WHERE n < " #n ") "
#define LONG_COUNT COUNT_CTE(3000000000) "SELECT count(*) FROM c"

/* Step s, expecting statement_timeout (200 ms) to stop it. */
static void step_times_out(dal_stmt *s)
{
	struct timespec t0;
	double took;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_stmt_step(s);
	took = elapsed_s(&t0);
	ck_assert_msg(rc == DAL_ETIMEOUT, "step -> %s: %s", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "57014");
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "statement_timeout expired"),
	              "message: %s", dal_stmt_error(s)->message);
	/* Counted from this execution's start, not from prepare or an
	 * earlier execution. */
	ck_assert_msg(took >= 0.19 && took < 60.0, "stopped after %.3f s", took);
}

/*
 * statement_timeout inside an explicit transaction. A read-only statement
 * it stops leaves the transaction open; a write it stops makes SQLite roll
 * the whole transaction back (as for any interrupted write), which the
 * error says, and COMMIT then reports that nothing was committed. The
 * connection stays usable either way, and each re-run gets its full time.
 */
START_TEST(test_sqlite_timeout_in_transaction)
{
	dal_repo *r;
	dal_conn *c;
	dal_stmt *s;
	char t[64], *u;
	int rc;

	u = url_with_query("statement_timeout=0.2");
	c = open_conn_url(u, &r);
	table_name(t, sizeof t, "tmo");
	create_table(c, t, "n BIGINT");

	/* exec() is timed as a whole. */
	rc = dal_conn_exec(c, sqlf("INSERT INTO %s " COUNT_CTE(3000000000) "SELECT n FROM c", t),
	                   NULL);
	ck_assert_msg(rc == DAL_ETIMEOUT, "exec -> %s: %s", dal_code_name(rc),
	              dal_conn_error(c)->message);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "statement_timeout expired"),
	              "message: %s", dal_conn_error(c)->message);
	ck_assert_int_eq(query_int(c, sqlf("SELECT count(*) FROM %s", t)), 0);

	CK_CONN(c, dal_conn_begin(c));
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (1)", t));
	s = prep(c, LONG_COUNT);
	step_times_out(s);
	CK_STMT(s, dal_stmt_reset(s));
	step_times_out(s);
	dal_stmt_close(s);
	/* Still inside the transaction, which sees its own row. */
	ck_assert_int_eq(query_int(c, sqlf("SELECT count(*) FROM %s", t)), 1);

	s = prep(c, sqlf("INSERT INTO %s " COUNT_CTE(3000000000) "SELECT n FROM c", t));
	step_times_out(s);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "SQLite rolled the transaction back"),
	              "message: %s", dal_stmt_error(s)->message);
	dal_stmt_close(s);
	rc = dal_conn_commit(c);
	ck_assert_msg(rc == DAL_EMISUSE, "commit -> %s: %s", dal_code_name(rc),
	              dal_conn_error(c)->message);
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "nothing was committed"),
	              "message: %s", dal_conn_error(c)->message);
	ck_assert_int_eq(query_int(c, sqlf("SELECT count(*) FROM %s", t)), 0);

	CK_CONN(c, dal_conn_begin(c));
	exec_ok(c, sqlf("INSERT INTO %s (n) VALUES (2)", t));
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_int_eq(query_int(c, sqlf("SELECT SUM(n) FROM %s", t)), 2);
	drop_table(c, t);
	close_conn(r, c);
	free(u);
}
END_TEST

struct canceller {
	dal_conn *c;
	pthread_t thread;
	int rc;
};

static void *cancel_later(void *arg)
{
	struct canceller *k = arg;

	usleep(100 * 1000);
	k->rc = dal_conn_cancel(k->c);
	return NULL;
}

/*
 * SQLite keeps a cancel (sqlite3_interrupt()) in effect until no statement
 * of the connection is running, and one with unread rows counts: while it
 * is open, statements started after the cancel fail too (DAL_ECANCELED,
 * never DAL_ETIMEOUT), and so does its own next step. Once it is reset,
 * the connection works again.
 */
START_TEST(test_sqlite_cancel_holds_while_a_statement_is_open)
{
	struct canceller k;
	dal_repo *r;
	dal_conn *c;
	dal_stmt *open, *s, *x = NULL;
	int rc;

	c = open_conn(&r);
	open = prep(c, COUNT_CTE(1000) "SELECT n FROM c");
	CK_STEP(open, DAL_ROW);
	s = prep(c, LONG_COUNT);
	k.c = c;
	ck_assert_int_eq(pthread_create(&k.thread, NULL, cancel_later, &k), 0);
	CK_STEP(s, DAL_ECANCELED);
	ck_assert_int_eq(pthread_join(k.thread, NULL), 0);
	ck_assert_int_eq(k.rc, DAL_OK);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "57014");

	CK_STMT(s, dal_stmt_reset(s));
	CK_STEP(s, DAL_ECANCELED);
	CK_STMT(s, dal_stmt_reset(s));
	rc = dal_stmt_prepare(c, "SELECT 1", &x);
	ck_assert_msg(rc == DAL_ECANCELED, "prepare -> %s: %s", dal_code_name(rc),
	              dal_conn_error(c)->message);
	CK_STEP(open, DAL_ECANCELED);

	CK_STMT(open, dal_stmt_reset(open));
	ck_assert_int_eq(query_int(c, "SELECT 7"), 7);
	CK_STEP(open, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(open, 0), 1);
	dal_stmt_close(open);
	dal_stmt_close(s);
	close_conn(r, c);
}
END_TEST

/* CPU seconds to run s (one row) to the end, then reset it. */
static double cpu_run(dal_stmt *s)
{
	struct timespec a, b;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	CK_STEP(s, DAL_ROW);
	CK_STEP(s, DAL_DONE);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	CK_STMT(s, dal_stmt_reset(s));
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/*
 * The statement_timeout check (a clock read every PROGRESS_OPS virtual
 * machine instructions) must not slow a long statement down measurably:
 * some 0.03% of its instructions (callgrind). A statement that never
 * reaches the check, like a point select, only pays one clock read at its
 * start; with statement_timeout = 0 no check is installed at all. The
 * margin here only catches a check made far too often.
 */
START_TEST(test_sqlite_timeout_check_is_cheap)
{
	const char *sql = COUNT_CTE(200000) "SELECT count(*) FROM c";
	double plain = 1e9, timed = 1e9;
	dal_repo *r0, *r1;
	dal_conn *c0, *c1;
	dal_stmt *s0, *s1;
	char *u;

	c0 = open_conn(&r0);
	u = url_with_query("statement_timeout=86400");
	c1 = open_conn_url(u, &r1);
	s0 = prep(c0, sql);
	s1 = prep(c1, sql);
	for (int i = 0; i < 5; i++) {
		double a = cpu_run(s0), b = cpu_run(s1);

		if (a < plain)
			plain = a;
		if (b < timed)
			timed = b;
	}
	ck_assert_msg(timed <= plain * 1.25 + 0.002,
	              "statement_timeout check: %.4f s against %.4f s without", timed, plain);
	dal_stmt_close(s0);
	dal_stmt_close(s1);
	close_conn(r0, c0);
	close_conn(r1, c1);
	free(u);
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
	BACKEND_CASE("sqlite", test_sqlite_timeout_in_transaction,
	             DAL_CAP_CANCEL | DAL_CAP_TRANSACTIONS, 0),
	BACKEND_CASE("sqlite", test_sqlite_cancel_holds_while_a_statement_is_open, DAL_CAP_CANCEL,
	             0),
	BACKEND_CASE("sqlite", test_sqlite_timeout_check_is_cheap, DAL_CAP_CANCEL, 0),
	{NULL},
};

const struct conf_area conf_sqlite = {"sqlite", cases};
