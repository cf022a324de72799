/*
 * Check suite for the statement cache (setting statement_cache_size,
 * core/stmt_cache.c), through the public API on every backend: SQLite with
 * the cache turned on (a temporary file), MariaDB and PostgreSQL with the
 * default (DAL_TEST_MYSQL_URL, DAL_TEST_PGSQL_URL; a backend without its
 * URL is skipped with a line saying so). Each case runs once per backend
 * (loop index: enum be).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"

enum be { BE_SQLITE, BE_MYSQL, BE_PGSQL, BE__COUNT };
static const char *const be_names[BE__COUNT] = {"sqlite", "mysql", "pgsql"};
static char *tmpdir;

/* Open backend b's repository with extra settings (a URL query without
 * '?', may be NULL), or NULL when its server is not configured. SQLite has
 * the cache turned on. */
static dal_repo *open_be(int b, const char *query)
{
	char url[4200];

	snprintf(url, sizeof url, "sqlite:///%s/cache.db?statement_cache_size=8", tmpdir);
	return tu_backend_open(be_names[b], url, query);
}

/* How many statements the server has prepared for this session so far
 * (SQLite: -1, not asked). */
static int64_t server_prepares(dal_conn *c, int b)
{
	dal_stmt *s;
	int64_t v;

	if (b == BE_SQLITE)
		return -1;
	/* Asked with the cache's own statements: they are hits, not new
	 * prepares, once warm. */
	if (b == BE_MYSQL) {
		ck_assert_int_eq(dal_stmt_prepare(c, "SHOW SESSION STATUS LIKE 'Com_stmt_prepare'",
		                                  &s), DAL_OK);
		ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
		v = dal_stmt_column_int64(s, 1);
	} else {
		ck_assert_int_eq(dal_stmt_prepare(c, "SELECT COUNT(*) FROM pg_prepared_statements",
		                                  &s), DAL_OK);
		ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
		v = dal_stmt_column_int64(s, 0);
	}
	dal_stmt_close(s);
	return v;
}

static void stats(dal_repo *r, uint64_t *hits, uint64_t *misses)
{
	ck_assert_int_eq(dal_repo_statement_cache_stats(r, hits, misses), DAL_OK);
}

/* Preparing the same SQL again reuses the server's statement, with its
 * parameters NULL again, also after the connection went back to the pool. */
START_TEST(test_cache_reuses_the_prepared_statement)
{
	dal_repo *r = open_be(_i, "pool_size=1&max_overflow=0");
	static const char sql[] = "SELECT ?, 'cache-test'";
	uint64_t h0, m0, h1, m1;
	int64_t before, after;
	dal_conn *c;
	dal_stmt *s;

	if (!r)
		return;
	c = tu_conn_acquire(r);
	/* Warm the probe's own statement. */
	server_prepares(c, _i);
	ck_assert_int_eq(dal_stmt_prepare(c, sql, &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 42), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 42);
	dal_stmt_close(s);
	before = server_prepares(c, _i);
	stats(r, &h0, &m0);

	ck_assert_int_eq(dal_stmt_prepare(c, sql, &s), DAL_OK);
	stats(r, &h1, &m1);
	ck_assert_uint_eq(h1, h0 + 1);
	ck_assert_uint_eq(m1, m0);
	/* A fresh statement's parameters are NULL: so are a reused one's. */
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert(dal_stmt_column_is_null(s, 0));
	ck_assert_str_eq(dal_stmt_column_text(s, 1, NULL), "cache-test");
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	dal_stmt_close(s);
	after = server_prepares(c, _i);
	/* No new server-side statement (the probe itself is a hit too). */
	ck_assert_int_eq(after, before);

	/* Released and acquired again: pool_size 1, the same connection. */
	dal_conn_release(c);
	c = tu_conn_acquire(r);
	ck_assert_int_eq(dal_stmt_prepare(c, sql, &s), DAL_OK);
	stats(r, &h0, &m0);
	ck_assert_uint_eq(h0, h1 + (_i == BE_SQLITE ? 1 : 2)); /* the probe (servers), sql */
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 7), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 7);
	/* Closed with a row unread: the next user starts from the top. */
	dal_stmt_close(s);
	ck_assert_int_eq(dal_stmt_prepare(c, sql, &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(s, 1, 8), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 8);
	dal_stmt_close(s);
	ck_assert_int_eq(server_prepares(c, _i), before);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* ALTER TABLE between two uses: the second use sees the new columns, also
 * when the ALTER ran on another connection of the repository. */
START_TEST(test_cache_follows_schema_changes)
{
	dal_repo *r = open_be(_i, "pool_size=2&max_overflow=0");
	static const char sel[] = "SELECT * FROM dal_cache_t";
	uint64_t h0, m0, h1, m1;
	dal_conn *c, *c2;
	dal_stmt *s;

	if (!r)
		return;
	c = tu_conn_acquire(r);
	dal_conn_exec(c, "DROP TABLE IF EXISTS dal_cache_t", NULL);
	tu_conn_exec(c, "CREATE TABLE dal_cache_t (a INTEGER)");
	tu_conn_exec(c, "INSERT INTO dal_cache_t (a) VALUES (1)");
	ck_assert_int_eq(dal_stmt_prepare(c, sel, &s), DAL_OK);
	ck_assert_uint_eq(dal_stmt_column_count(s), 1);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	dal_stmt_close(s);

	tu_conn_exec(c, "ALTER TABLE dal_cache_t ADD COLUMN b INTEGER");
	tu_conn_exec(c, "UPDATE dal_cache_t SET b = 2");
	stats(r, &h0, &m0);
	ck_assert_int_eq(dal_stmt_prepare(c, sel, &s), DAL_OK);
	stats(r, &h1, &m1);
	ck_assert_uint_eq(h1, h0);
	ck_assert_uint_eq(m1, m0 + 1);
	ck_assert_uint_eq(dal_stmt_column_count(s), 2);
	ck_assert_str_eq(dal_stmt_column_name(s, 1), "b");
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_int64(s, 1), 2);
	dal_stmt_close(s);

	/* The ALTER on a second connection; the first reuses nothing stale. */
	c2 = tu_conn_acquire(r);
	/* In a script, behind comments: still seen. */
	tu_conn_exec(c2, "UPDATE dal_cache_t SET a = a; /* next */ -- the change\n"
	            "  ALTER TABLE dal_cache_t ADD COLUMN c INTEGER");
	dal_conn_release(c2);
	ck_assert_int_eq(dal_stmt_prepare(c, sel, &s), DAL_OK);
	ck_assert_uint_eq(dal_stmt_column_count(s), 3);
	ck_assert_str_eq(dal_stmt_column_name(s, 2), "c");
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	ck_assert(dal_stmt_column_is_null(s, 2));
	dal_stmt_close(s);
	/* And a prepared ALTER (not through exec) counts too. */
	ck_assert_int_eq(dal_stmt_prepare(c, "ALTER TABLE dal_cache_t ADD COLUMN d INTEGER", &s),
	                 DAL_OK);
	ck_assert_int_eq(dal_stmt_step(s), DAL_DONE);
	dal_stmt_close(s);
	ck_assert_int_eq(dal_stmt_prepare(c, sel, &s), DAL_OK);
	ck_assert_uint_eq(dal_stmt_column_count(s), 4);
	dal_stmt_close(s);
	tu_conn_exec(c, "DROP TABLE dal_cache_t");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* A replaced connection (max_lifetime passed) starts with an empty cache;
 * the cache keeps at most statement_cache_size statements, dropping the
 * least recently closed. */
START_TEST(test_cache_replaced_connection_and_size)
{
	dal_repo *r = open_be(_i, _i == BE_SQLITE ? "max_lifetime=0.2&pool_size=1"
	                                          : "max_lifetime=0.2&pool_size=1&"
	                                            "statement_cache_size=2");
	uint64_t h0, m0, h1, m1;
	dal_conn *c;
	dal_stmt *s;
	unsigned size = _i == BE_SQLITE ? 8 : 2;
	char sql[64];

	if (!r)
		return;
	c = tu_conn_acquire(r);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 11"), 11);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 11"), 11);
	stats(r, &h0, &m0);
	dal_conn_release(c);
	usleep(300000);
	c = tu_conn_acquire(r); /* past max_lifetime: a new connection */
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 11"), 11);
	stats(r, &h1, &m1);
	ck_assert_uint_eq(h1, h0);
	ck_assert_uint_eq(m1, m0 + 1);

	/* size + 1 statements: the first one closed is gone. */
	for (unsigned i = 0; i <= size; i++) {
		snprintf(sql, sizeof sql, "SELECT %u", 100 + i);
		ck_assert_int_eq(tu_conn_int64(c, sql), 100 + i);
	}
	stats(r, &h0, &m0);
	snprintf(sql, sizeof sql, "SELECT %u", 100 + size);
	ck_assert_int_eq(tu_conn_int64(c, sql), 100 + size);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 100"), 100);
	stats(r, &h1, &m1);
	ck_assert_uint_eq(h1, h0 + 1);
	ck_assert_uint_eq(m1, m0 + 1);
	(void)s;
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* statement_cache_size = 0 turns it off; the counters are exported. */
START_TEST(test_cache_off_and_metrics)
{
	dal_repo *r = open_be(_i, "statement_cache_size=0");
	char buf[65536];
	uint64_t h, m;
	dal_conn *c;

	if (!r)
		return;
	c = tu_conn_acquire(r);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 5"), 5);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 5"), 5);
	stats(r, &h, &m);
	ck_assert_uint_eq(h, 0);
	ck_assert_uint_eq(m, 0);
	dal_conn_release(c);
	dal_repo_close(r);

	r = open_be(_i, NULL);
	c = tu_conn_acquire(r);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 6"), 6);
	ck_assert_int_eq(tu_conn_int64(c, "SELECT 6"), 6);
	dal_conn_release(c);
	ck_assert_int_gt(dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, buf, sizeof buf), 0);
	ck_assert_msg(tu_contains(buf, "# TYPE dal_statement_cache_hits_total counter"), "%s", buf);
	ck_assert_msg(tu_contains(buf, "dal_statement_cache_misses_total{"), "%s", buf);
	stats(r, &h, &m);
	{
		char want[64];
		snprintf(want, sizeof want, "} %llu\n# HELP dal_statement_cache_misses_total",
		         (unsigned long long)h);
		ck_assert_msg(h >= 1 && tu_contains(buf, want), "%s", buf);
	}
	ck_assert_int_gt(dal_repo_metrics_format(r, DAL_METRICS_JSON, buf, sizeof buf), 0);
	ck_assert_msg(tu_contains(buf, "\"statement_cache\":{\"hits\":"), "%s", buf);
	dal_repo_close(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stmt_cache");
	TCase *tc = tcase_create("stmt_cache");
	int rc;

	tu_clear_env();
	if (!(tmpdir = tu_mkdtemp_main()))
		return 99;
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_cache_reuses_the_prepared_statement, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_cache_follows_schema_changes, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_cache_replaced_connection_and_size, 0, BE__COUNT);
	tcase_add_loop_test(tc, test_cache_off_and_metrics, 0, BE__COUNT);
	suite_add_tcase(s, tc);
	rc = tu_run_suite(s);
	tu_rmtree(tmpdir);
	return rc;
}
