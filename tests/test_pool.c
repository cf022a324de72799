/*
 * Check suite for the connection pool (core/pool.c), connections
 * (core/conn.c) and the transaction runner (core/transact.c): sizes and
 * timeouts, cleanup on release, zombie statements, recycling and pre-ping,
 * broken connections, retries, and many threads on one repository. On the
 * MySQL and PostgreSQL test servers (DAL_TEST_*_URL) it also counts the
 * server's own sessions. Failures come from the fault-injection layer, not
 * from a broken server. This suite also runs under ThreadSanitizer.
 */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dal/dal.h>

#include "fault.h"
#include "internal.h"
#include "testutil.h"

static char *dir;

static void setup(void)
{
	dir = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rmtree(dir);
	dir = NULL;
}

/* "sqlite:////<dir>/name?<query>" */
static char *file_url(const char *name, const char *query)
{
	char *u;
	ck_assert(asprintf(&u, "sqlite:///%s/%s%s%s", dir, name, query ? "?" : "",
	                   query ? query : "") > 0);
	return u;
}

static dal_repo *open_url(const char *url, const struct fault_rule *rules, size_t n)
{
	dal_repo *r = NULL;
	dal_error e;

	ck_assert_msg(repo_open_faulty(&r, NULL, NULL, url, rules, n, &e) == DAL_OK, "%s: %s",
	              url, e.message);
	return r;
}

static dal_conn *acquire(dal_repo *r)
{
	dal_conn *c = NULL;
	dal_error e;

	ck_assert_msg(dal_conn_acquire(r, &c, &e) == DAL_OK, "acquire: %s", e.message);
	return c;
}

static int64_t count_rows(dal_repo *r, const char *table)
{
	dal_conn *c = acquire(r);
	char sql[128];
	dal_stmt *s;
	int64_t n;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	ck_assert_msg(dal_stmt_prepare(c, sql, &s) == DAL_OK, "%s", dal_conn_error(c)->message);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	n = dal_stmt_column_int64(s, 0);
	dal_stmt_close(s);
	dal_conn_release(c);
	return n;
}

START_TEST(test_pool_size_and_timeout)
{
	char *url = file_url("a.db", "pool_size=2&max_overflow=1&pool_timeout=0.2");
	dal_repo *r = open_url(url, NULL, 0);
	dal_conn *c[3], *extra = (dal_conn *)1;
	dal_pool_stats ps;
	struct timespec t0, t1;
	double waited;
	dal_error e;

	for (int i = 0; i < 3; i++)
		c[i] = acquire(r);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_eq(ps.used, 3);
	ck_assert_uint_eq(ps.max, 3);
	ck_assert_uint_eq(ps.idle_max, 2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(dal_conn_acquire(r, &extra, &e), DAL_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(waited >= 0.19 && waited < 2, "waited %.3f s", waited);
	ck_assert_ptr_null(extra);
	ck_assert_msg(tu_contains(e.message, "repository 'main': no connection free within "
	                                     "pool_timeout = 0.2 s (pool_size 2 + max_overflow 1"),
	              "%s", e.message);
	ck_assert(dal_code_is_transient(e.code));
	/* Releasing one lets the next acquire through; the surplus (overflow)
	 * connection is closed on release rather than kept idle. */
	dal_conn_release(c[2]);
	c[2] = acquire(r);
	for (int i = 0; i < 3; i++)
		dal_conn_release(c[i]);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_eq(ps.idle, 2);
	ck_assert_uint_eq(ps.used, 0);
	ck_assert_uint_eq(ps.timeouts, 1);
	ck_assert_uint_eq(ps.closed, 1);
	ck_assert_uint_eq(ps.created, 3);
	dal_repo_close(r);
	free(url);
}
END_TEST

/* Nothing of one user's session survives into the next one's. */
START_TEST(test_release_rolls_back_and_orphans_statements)
{
	char *url = file_url("b.db", "pool_size=1");
	dal_repo *r = open_url(url, NULL, 0);
	dal_conn *c = acquire(r);
	dal_stmt *s, *open_select;

	ck_assert_int_eq(dal_conn_exec(c, "CREATE TABLE t (x INTEGER)", NULL), DAL_OK);
	ck_assert_int_eq(dal_conn_begin(c), DAL_OK);
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO t VALUES (1)", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT x FROM t", &open_select), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(open_select), DAL_ROW);
	dal_conn_release(c); /* open transaction, two open statements */

	/* The statements are zombies: every call is refused, none crashes. */
	ck_assert_int_eq(dal_stmt_step(s), DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "connection was released"), "%s",
	              dal_stmt_error(s)->message);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 1), DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_reset(s), DAL_EMISUSE);
	ck_assert(dal_stmt_column_is_null(open_select, 0));
	ck_assert_ptr_null(dal_stmt_column_name(open_select, 0));
	dal_stmt_close(s);
	dal_stmt_close(open_select);

	/* The same connection comes back (pool_size 1), without the insert. */
	ck_assert_int_eq(count_rows(r, "t"), 0);
	c = acquire(r);
	ck_assert_int_eq(dal_conn_begin(c), DAL_OK); /* no transaction left open */
	ck_assert_int_eq(dal_conn_rollback(c), DAL_OK);
	dal_conn_release(c);
	dal_repo_close(r);
	free(url);
}
END_TEST

/* dal_repo_close() with a connection still acquired: it lives until
 * released, then everything goes; statements closed last are safe. */
START_TEST(test_close_repo_before_connection_and_statements)
{
	char *url = file_url("c.db", NULL);
	dal_repo *r = open_url(url, NULL, 0);
	dal_conn *c = acquire(r);
	dal_stmt *s;

	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT 42", &s), DAL_OK);
	dal_repo_close(r);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW); /* the connection still works */
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 42);
	dal_conn_release(c);                        /* frees the repository */
	ck_assert_int_eq(dal_stmt_step(s), DAL_EMISUSE);
	dal_stmt_close(s);
	free(url);
}
END_TEST

START_TEST(test_memory_database_is_one_connection)
{
	dal_repo *r = open_url("sqlite:///:memory:?pool_size=5&pool_timeout=0.05", NULL, 0);
	dal_conn *c = acquire(r), *d = NULL;
	dal_pool_stats ps;
	dal_error e;

	ck_assert_int_eq(dal_conn_exec(c, "CREATE TABLE m (x)", NULL), DAL_OK);
	ck_assert_int_eq(dal_conn_acquire(r, &d, &e), DAL_ETIMEOUT);
	dal_conn_release(c);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_eq(ps.max, 1);
	ck_assert_int_eq(count_rows(r, "m"), 0); /* the same database */
	dal_repo_close(r);
}
END_TEST

START_TEST(test_idle_timeout_and_max_lifetime_recycle)
{
	char *url = file_url("d.db", "idle_timeout=0.05");
	char *url2 = file_url("d.db", "max_lifetime=0.05&idle_timeout=0");
	dal_repo *r = open_url(url, NULL, 0);
	dal_pool_stats ps;
	dal_conn *c;

	usleep(120000);
	c = acquire(r); /* the idle one from open is too old: replaced */
	dal_conn_release(c);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_eq(ps.created, 2);
	ck_assert_uint_eq(ps.closed, 1);
	dal_repo_close(r);

	r = open_url(url2, NULL, 0);
	c = acquire(r);
	dal_conn_release(c);
	usleep(120000);
	c = acquire(r);
	dal_conn_release(c);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_eq(ps.created, 2);
	ck_assert_uint_eq(ps.closed, 1);
	dal_repo_close(r);
	free(url);
	free(url2);
}
END_TEST

/* A pooled connection idle for a second or more is pinged first; one that
 * fails the ping is replaced without the caller noticing. */
START_TEST(test_pre_ping_replaces_stale_connection)
{
	const struct fault_rule rule = {FAULT_PING, 1, 1, DAL_ECONNECT};
	char *url = file_url("e.db", "pre_ping=on");
	dal_repo *r = open_url(url, &rule, 1);
	dal_pool_stats ps;
	dal_conn *c;

	sleep(1);
	usleep(100000);
	c = acquire(r);
	ck_assert_int_eq(dal_conn_ping(c, NULL), DAL_OK); /* ping call 2: passes */
	dal_conn_release(c);
	ck_assert_uint_eq(fault_calls(repo_fault(r), FAULT_PING), 2);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_eq(ps.created, 2);
	ck_assert_uint_eq(ps.closed, 1);
	dal_repo_close(r);
	free(url);
}
END_TEST

/* A statement that loses the connection: reported as transient, the
 * connection is discarded on release, and nothing is re-run. */
START_TEST(test_lost_connection_is_discarded_not_retried)
{
	const struct fault_rule rule = {FAULT_STEP, 2, 1, DAL_ECONNECT};
	char *url = file_url("f.db", NULL);
	dal_repo *r = open_url(url, &rule, 1);
	dal_conn *c = acquire(r);
	dal_pool_stats ps;
	dal_stmt *s;

	ck_assert_int_eq(dal_conn_exec(c, "CREATE TABLE t (x INTEGER)", NULL), DAL_OK);
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO t VALUES (1)", &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);      /* step 1 */
	ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ECONNECT);  /* step 2: lost */
	ck_assert(dal_code_is_transient(dal_stmt_error(s)->code));
	ck_assert_int_eq(dal_conn_error(c)->code, DAL_ECONNECT);
	dal_stmt_close(s);
	dal_conn_release(c);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_eq(ps.closed, 1);
	ck_assert_uint_eq(ps.idle, 0);
	ck_assert_int_eq(count_rows(r, "t"), 1); /* one row: no silent re-run */
	ck_assert_uint_eq(fault_calls(repo_fault(r), FAULT_STEP), 3);
	dal_repo_close(r);
	free(url);
}
END_TEST

struct txn_ctx {
	int calls;
	int result; /* what the body returns after its insert */
};

static int insert_one(dal_conn *c, void *ud)
{
	struct txn_ctx *t = ud;
	int rc;

	t->calls++;
	rc = dal_conn_exec(c, "INSERT INTO t VALUES (1)", NULL);
	return rc != DAL_OK ? rc : t->result;
}

START_TEST(test_transact_retries_conflicts)
{
	const struct fault_rule rule = {FAULT_COMMIT, 1, 2, DAL_EBUSY};
	char *url = file_url("g.db", "max_retries=3&retry_max_delay=0.02");
	dal_repo *r = open_url(url, &rule, 1);
	struct txn_ctx t = {0, DAL_OK};
	dal_error e;

	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE t (x INTEGER)", NULL, &e), DAL_OK);
	ck_assert_msg(dal_repo_transact(r, insert_one, &t, &e) == DAL_OK, "%s", e.message);
	ck_assert_int_eq(t.calls, 3); /* two conflicts, then committed */
	/* The injected commit failures never reached SQLite; the runner rolled
	 * each attempt back, so exactly the committed one is there. */
	ck_assert_int_eq(count_rows(r, "t"), 1);
	dal_repo_close(r);
	free(url);
}
END_TEST

START_TEST(test_transact_gives_up_after_max_retries)
{
	const struct fault_rule rule = {FAULT_COMMIT, 1, 0, DAL_EBUSY};
	char *url = file_url("h.db", "max_retries=2&retry_max_delay=0.01");
	dal_repo *r = open_url(url, &rule, 1);
	struct txn_ctx t = {0, DAL_OK};
	dal_error e;

	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE t (x INTEGER)", NULL, &e), DAL_OK);
	ck_assert_int_eq(dal_repo_transact(r, insert_one, &t, &e), DAL_EBUSY);
	ck_assert_int_eq(t.calls, 3);
	ck_assert(tu_contains(e.message, "injected fault: commit"));
	ck_assert_int_eq(count_rows(r, "t"), 0);
	dal_repo_close(r);
	free(url);
}
END_TEST

/* Connection lost after the commit was sent: the outcome is unknown, said
 * with its own code, and the unit is not run again. */
START_TEST(test_transact_unknown_commit_outcome_not_retried)
{
	const struct fault_rule rule = {FAULT_COMMIT, 1, 1, DAL_EOUTCOME};
	char *url = file_url("i.db", "max_retries=5");
	dal_repo *r = open_url(url, &rule, 1);
	struct txn_ctx t = {0, DAL_OK};
	dal_error e;

	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE t (x INTEGER)", NULL, &e), DAL_OK);
	ck_assert_int_eq(dal_repo_transact(r, insert_one, &t, &e), DAL_EOUTCOME);
	ck_assert_int_eq(t.calls, 1);
	ck_assert(!dal_code_is_transient(DAL_EOUTCOME));
	ck_assert_msg(tu_contains(e.message, "may or may not be committed"), "%s", e.message);
	ck_assert_str_eq(dal_code_name(e.code), "DAL_EOUTCOME");
	dal_repo_close(r);
	free(url);
}
END_TEST

/* A commit that was not sent (DAL_ECONNECT) applied nothing: the unit runs
 * again, once, and its row is there once. So does a statement of the body
 * lost after sending (DAL_EOUTCOME): the transaction was not committed. */
START_TEST(test_transact_retries_unsent_commit_and_lost_statement)
{
	const struct fault_rule rules[] = {
		{FAULT_COMMIT, 1, 1, DAL_ECONNECT},
		{FAULT_EXEC, 3, 1, DAL_EOUTCOME},
	};
	char *url = file_url("i2.db", "max_retries=5&retry_max_delay=0.01");
	dal_repo *r = open_url(url, rules, 2);
	struct txn_ctx t = {0, DAL_OK};
	dal_error e;

	/* exec call 1: CREATE; 2: first body (commit not sent); 3: second body
	 * (lost after sending); 4: third body, committed. */
	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE t (x INTEGER)", NULL, &e), DAL_OK);
	ck_assert_msg(dal_repo_transact(r, insert_one, &t, &e) == DAL_OK, "%s", e.message);
	ck_assert_int_eq(t.calls, 3);
	ck_assert_int_eq(count_rows(r, "t"), 1);
	dal_repo_close(r);
	free(url);
}
END_TEST

START_TEST(test_transact_body_error_rolls_back)
{
	char *url = file_url("j.db", NULL);
	dal_repo *r = open_url(url, NULL, 0);
	struct txn_ctx t = {0, DAL_ECONSTRAINT};
	dal_error e;

	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE t (x INTEGER)", NULL, &e), DAL_OK);
	ck_assert_int_eq(dal_repo_transact(r, insert_one, &t, &e), DAL_ECONSTRAINT);
	ck_assert_int_eq(t.calls, 1);
	ck_assert_int_eq(count_rows(r, "t"), 0);
	dal_repo_close(r);
	free(url);
}
END_TEST

/* Many threads, one repository. Run under TSan too. */
#define THREADS 8
#define ROUNDS 150

struct worker {
	dal_repo *r;
	int id, failures;
};

static int insert_numbered(dal_conn *c, void *ud)
{
	const struct worker *w = ud;
	dal_stmt *s;
	int rc;

	if ((rc = dal_stmt_prepare(c, "INSERT INTO n (w) VALUES (?)", &s)) != DAL_OK)
		return rc;
	dal_stmt_bind_int64(s, 1, w->id);
	rc = dal_stmt_step(s);
	dal_stmt_close(s);
	return rc == DAL_DONE ? DAL_OK : rc;
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < ROUNDS; i++) {
		dal_error e;
		if (i % 3 == 0) {
			if (dal_repo_transact(w->r, insert_numbered, w, &e) != DAL_OK)
				w->failures++;
		} else {
			dal_conn *c;
			if (dal_conn_acquire(w->r, &c, &e) != DAL_OK) {
				w->failures++;
				continue;
			}
			if (insert_numbered(c, w) != DAL_OK)
				w->failures++;
			dal_conn_release(c);
		}
	}
	return NULL;
}

START_TEST(test_threads_share_one_repository)
{
	char *url = file_url("k.db", "pool_size=3&max_overflow=1&pool_timeout=30&max_retries=50");
	dal_repo *r = open_url(url, NULL, 0);
	struct worker w[THREADS];
	pthread_t th[THREADS];
	dal_op_stats st;
	dal_pool_stats ps;
	dal_error e;

	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE n (w INTEGER)", NULL, &e), DAL_OK);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){r, i, 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	ck_assert_int_eq(count_rows(r, "n"), THREADS * ROUNDS);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_le(ps.created - ps.closed, 4);
	ck_assert_uint_eq(ps.used, 0);
	/* Every insert was counted once, across the per-connection shards. */
	ck_assert_int_eq(dal_repo_stats(r, DAL_OP_EXECUTE, &st), DAL_OK);
	ck_assert_uint_ge(st.calls, (uint64_t)THREADS * ROUNDS);
	ck_assert_uint_eq(st.rows_affected, (uint64_t)THREADS * ROUNDS);
	dal_repo_close(r);
	free(url);
}
END_TEST

START_TEST(test_stats_reset_and_export_include_pool)
{
	char *url = file_url("l.db", "pool_size=2");
	dal_repo *r = open_url(url, NULL, 0);
	char buf[32768];
	dal_op_stats st;
	dal_error e;

	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE t (x)", NULL, &e), DAL_OK);
	ck_assert_int_gt(dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, buf, sizeof buf), 0);
	ck_assert_msg(tu_contains(buf, "db_client_connections{db_client_connection_pool_name="
	                               "\"main\",db_client_connection_state=\"idle\"} 1"), "%s", buf);
	ck_assert(tu_contains(buf, "db_client_connection_max{db_client_connection_pool_name=\"main\"} 12"));
	ck_assert(tu_contains(buf, "db_client_connection_wait_time_seconds_count"));
	ck_assert(tu_contains(buf, "db_client_connection_timeouts_total"));
	ck_assert_int_gt(dal_repo_metrics_format(r, DAL_METRICS_JSON, buf, sizeof buf), 0);
	ck_assert_msg(tu_contains(buf, "\"pool\":{\"max\":12,\"idle_max\":2,\"idle\":1,\"used\":0"),
	              "%s", buf);
	dal_repo_stats_reset(r);
	ck_assert_int_eq(dal_repo_stats(r, DAL_OP_EXEC, &st), DAL_OK);
	ck_assert_uint_eq(st.calls, 0);
	ck_assert_int_eq(dal_repo_exec(r, "INSERT INTO t VALUES (1)", NULL, &e), DAL_OK);
	ck_assert_int_eq(dal_repo_stats(r, DAL_OP_EXEC, &st), DAL_OK);
	ck_assert_uint_eq(st.calls, 1);
	dal_repo_close(r);
	free(url);
}
END_TEST

START_TEST(test_backoff_full_jitter_within_cap)
{
	unsigned seen_low = 0, seen_high = 0;

	for (int i = 0; i < 2000; i++) {
		unsigned ms = backoff_ms(100, 1000, 3); /* 100 * 4 = 400 */
		ck_assert_uint_le(ms, 400);
		seen_low |= ms < 100;
		seen_high |= ms > 300;
	}
	ck_assert(seen_low && seen_high);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_le(backoff_ms(100, 1000, 30), 1000);
	ck_assert_uint_eq(backoff_ms(0, 1000, 3), 0);
}
END_TEST

/* pool_size decides how many sessions the server sees: each acquired
 * connection is a distinct server session, and no more are made. */
static void server_sessions(const char *env, const char *id_sql)
{
	const char *base = getenv(env);
	char url[1024];
	dal_conn *c[3], *extra;
	int64_t ids[3];
	dal_error e;
	dal_repo *r;

	if (!base || !*base)
		return;
	snprintf(url, sizeof url, "%s%spool_size=3&max_overflow=0&pool_timeout=0.2", base,
	         strchr(base, '?') ? "&" : "?");
	r = open_url(url, NULL, 0);
	for (int i = 0; i < 3; i++) {
		dal_stmt *s;
		c[i] = acquire(r);
		ck_assert_int_eq(dal_stmt_prepare(c[i], id_sql, &s), DAL_OK);
		ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
		ids[i] = dal_stmt_column_int64(s, 0);
		dal_stmt_close(s);
	}
	ck_assert(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
	ck_assert_int_eq(dal_conn_acquire(r, &extra, &e), DAL_ETIMEOUT);
	for (int i = 0; i < 3; i++)
		dal_conn_release(c[i]);
	dal_repo_close(r);
}

START_TEST(test_pool_size_is_server_sessions_mysql)
{
	server_sessions("DAL_TEST_MYSQL_URL", "SELECT CONNECTION_ID()");
}
END_TEST

START_TEST(test_pool_size_is_server_sessions_pgsql)
{
	server_sessions("DAL_TEST_PGSQL_URL", "SELECT pg_backend_pid()");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");
	SRunner *sr;
	int failed;

	tu_clear_env();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pool_size_and_timeout);
	tcase_add_test(tc, test_release_rolls_back_and_orphans_statements);
	tcase_add_test(tc, test_close_repo_before_connection_and_statements);
	tcase_add_test(tc, test_memory_database_is_one_connection);
	tcase_add_test(tc, test_idle_timeout_and_max_lifetime_recycle);
	tcase_add_test(tc, test_pre_ping_replaces_stale_connection);
	tcase_add_test(tc, test_lost_connection_is_discarded_not_retried);
	tcase_add_test(tc, test_transact_retries_conflicts);
	tcase_add_test(tc, test_transact_gives_up_after_max_retries);
	tcase_add_test(tc, test_transact_unknown_commit_outcome_not_retried);
	tcase_add_test(tc, test_transact_retries_unsent_commit_and_lost_statement);
	tcase_add_test(tc, test_transact_body_error_rolls_back);
	tcase_add_test(tc, test_threads_share_one_repository);
	tcase_add_test(tc, test_stats_reset_and_export_include_pool);
	tcase_add_test(tc, test_backoff_full_jitter_within_cap);
	if (getenv("DAL_TEST_MYSQL_URL") && *getenv("DAL_TEST_MYSQL_URL"))
		tcase_add_test(tc, test_pool_size_is_server_sessions_mysql);
	else
		fprintf(stderr, "test_pool: DAL_TEST_MYSQL_URL not set: MySQL session count not run\n");
	if (getenv("DAL_TEST_PGSQL_URL") && *getenv("DAL_TEST_PGSQL_URL"))
		tcase_add_test(tc, test_pool_size_is_server_sessions_pgsql);
	else
		fprintf(stderr, "test_pool: DAL_TEST_PGSQL_URL not set: PostgreSQL session count not run\n");
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
