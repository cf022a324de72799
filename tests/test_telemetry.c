/*
 * Check suite for the telemetry decorator (core/telemetry.c), on a real
 * SQLite repository: counts per operation, errors, rows, the slow-query log,
 * and that telemetry = off installs nothing.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

#include "testutil.h"

static dal_repo *open_cfg(const char *ini)
{
	dal_config *cfg;
	dal_repo *r;
	dal_error err;

	ck_assert_msg(dal_config_parse(&cfg, ini, NULL, &err) == DAL_OK, "%s", err.message);
	ck_assert_msg(dal_repo_open(&r, cfg, "main", NULL, &err) == DAL_OK, "%s", err.message);
	dal_config_free(cfg);
	return r;
}

/* Acquire a connection of r for statements and transactions. */
static dal_conn *acquire(dal_repo *r)
{
	dal_conn *c;
	dal_error err;

	ck_assert_msg(dal_conn_acquire(r, &c, &err) == DAL_OK, "%s", err.message);
	return c;
}

static dal_op_stats stats(dal_repo *r, dal_op op)
{
	dal_op_stats s;
	ck_assert_int_eq(dal_repo_stats(r, op, &s), DAL_OK);
	return s;
}

START_TEST(test_telemetry_on_by_default_counts_operations)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\n");
	dal_conn *c;
	dal_stmt *st;
	int64_t n;

	ck_assert_int_eq(dal_repo_telemetry_enabled(r), 1);
	/* The first connection is made by the open, and pooled. */
	ck_assert_uint_eq(stats(r, DAL_OP_CONNECT).calls, 1);
	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE t(x INTEGER)", NULL, NULL), DAL_OK);
	ck_assert_int_eq(dal_repo_exec(r, "INSERT INTO t VALUES (1),(2),(3)", &n, NULL), DAL_OK);
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(stats(r, DAL_OP_EXEC).calls, 2);
	ck_assert_uint_eq(stats(r, DAL_OP_EXEC).rows_affected, 3);

	c = acquire(r);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT x FROM t ORDER BY x", &st), DAL_OK);
	for (int rep = 0; rep < 2; rep++) {
		while (dal_stmt_step(st) == DAL_ROW)
			;
		dal_stmt_reset(st);
	}
	dal_stmt_close(st);
	ck_assert_uint_eq(stats(r, DAL_OP_PREPARE).calls, 1);
	ck_assert_uint_eq(stats(r, DAL_OP_EXECUTE).calls, 2);
	/* 3 rows per run: the first arrives with EXECUTE, the rest with FETCH. */
	ck_assert_uint_eq(stats(r, DAL_OP_EXECUTE).rows + stats(r, DAL_OP_FETCH).rows, 6);
	ck_assert_uint_eq(stats(r, DAL_OP_FETCH).calls, 6); /* 2 rows + DONE, twice */
	ck_assert_uint_ge(stats(r, DAL_OP_EXECUTE).total_ns, stats(r, DAL_OP_EXECUTE).max_ns);
	ck_assert_uint_gt(stats(r, DAL_OP_EXECUTE).max_ns, 0);

	ck_assert_int_eq(dal_conn_begin(c), DAL_OK);
	ck_assert_int_eq(dal_conn_rollback(c), DAL_OK);
	ck_assert_uint_eq(stats(r, DAL_OP_BEGIN).calls, 1);
	ck_assert_uint_eq(stats(r, DAL_OP_ROLLBACK).calls, 1);
	ck_assert_int_eq(dal_conn_ping(c, NULL), DAL_OK);
	ck_assert_uint_eq(stats(r, DAL_OP_PING).calls, 1);
	dal_conn_release(c);
	/* Every call reused the pooled connection: no second connect. */
	ck_assert_uint_eq(stats(r, DAL_OP_CONNECT).calls, 1);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_telemetry_counts_errors)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\n");
	dal_conn *c;
	dal_stmt *st;

	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE u(x INTEGER UNIQUE)", NULL, NULL), DAL_OK);
	c = acquire(r);
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO u VALUES (?)", &st), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(st, 1, 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(st), DAL_DONE);
	ck_assert_int_eq(dal_stmt_bind_int64(st, 1, 1), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(st), DAL_ECONSTRAINT);
	dal_stmt_close(st);
	ck_assert_uint_eq(stats(r, DAL_OP_EXECUTE).calls, 2);
	ck_assert_uint_eq(stats(r, DAL_OP_EXECUTE).errors, 1);
	ck_assert_int_ne(dal_stmt_prepare(c, "SELEKT 1", &st), DAL_OK);
	ck_assert_uint_eq(stats(r, DAL_OP_PREPARE).errors, 1);
	dal_repo_stats_reset(r);
	ck_assert_uint_eq(stats(r, DAL_OP_PREPARE).calls, 0);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_telemetry_off_installs_nothing)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\ntelemetry = off\n");
	dal_op_stats s;

	ck_assert_int_eq(dal_repo_telemetry_enabled(r), 0);
	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE t(x)", NULL, NULL), DAL_OK);
	/* Garbage in: dal_repo_stats() zeroes *out when telemetry is off. */
	memset(&s, 0xa5, sizeof s);
	ck_assert_int_eq(dal_repo_stats(r, DAL_OP_EXEC, &s), DAL_EUNSUPPORTED);
	ck_assert_uint_eq(s.calls, 0);
	ck_assert_uint_eq(s.errors, 0);
	ck_assert_uint_eq(s.n_buckets, 0);
	dal_repo_close(r);
}
END_TEST

static char logged[4096];

static void capture(dal_log_level level, const char *msg, void *ud)
{
	(void)ud;
	if (level >= DAL_LOG_WARN) {
		strncat(logged, msg, sizeof logged - strlen(logged) - 2);
		strcat(logged, "\n");
	}
}

START_TEST(test_telemetry_slow_query_logged_without_values)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\nslow_query_ms = 1\n");
	dal_conn *c = acquire(r);
	dal_stmt *st;

	logged[0] = '\0';
	dal_log_set(capture, NULL);
	/* A recursive count that takes well over 1 ms, with a bound parameter
	 * whose value must not reach the log. */
	ck_assert_int_eq(dal_stmt_prepare(c,
		"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
		"SELECT count(*) FROM c", &st), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_int64(st, 1, 987654), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(st), DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(st, 0), 987654);
	dal_stmt_close(st);
	dal_log_set(NULL, NULL);
	ck_assert_msg(tu_contains(logged, "slow query on main (sqlite)"), "%s", logged);
	ck_assert_msg(tu_contains(logged, "WITH RECURSIVE c(i)"), "%s", logged);
	ck_assert_msg(!tu_contains(logged, "987654"), "%s", logged);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_telemetry_histogram_uses_otel_default_buckets)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\n");
	dal_op_stats s;
	uint64_t sum = 0;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(dal_repo_exec(r, "SELECT 1", NULL, NULL), DAL_OK);
	s = stats(r, DAL_OP_EXEC);
	ck_assert_uint_eq(s.n_buckets, 9);
	ck_assert_double_eq(s.bucket_bounds[0], 0.001);
	ck_assert_double_eq(s.bucket_bounds[8], 10.0);
	for (unsigned b = 0; b <= s.n_buckets; b++)
		sum += s.bucket_counts[b];
	ck_assert_uint_eq(sum, 5);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_telemetry_configured_finer_buckets)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\n"
	                       "latency_buckets = 0.00001, 0.0001,0.001 , 0.01\n");
	dal_op_stats s;
	uint64_t sum = 0;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(dal_repo_exec(r, "SELECT 1", NULL, NULL), DAL_OK);
	s = stats(r, DAL_OP_EXEC);
	ck_assert_uint_eq(s.n_buckets, 4);
	ck_assert_double_eq(s.bucket_bounds[0], 0.00001);
	ck_assert_double_eq(s.bucket_bounds[3], 0.01);
	for (unsigned b = 0; b <= s.n_buckets; b++)
		sum += s.bucket_counts[b];
	ck_assert_uint_eq(sum, 3);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_telemetry_errors_by_type)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\n");
	dal_op_stats s;

	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE u(x UNIQUE)", NULL, NULL), DAL_OK);
	ck_assert_int_eq(dal_repo_exec(r, "INSERT INTO u VALUES (1)", NULL, NULL), DAL_OK);
	ck_assert_int_eq(dal_repo_exec(r, "INSERT INTO u VALUES (1)", NULL, NULL), DAL_ECONSTRAINT);
	ck_assert_int_eq(dal_repo_exec(r, "SELEKT", NULL, NULL), DAL_ESYNTAX);
	s = stats(r, DAL_OP_EXEC);
	ck_assert_uint_eq(s.errors, 2);
	ck_assert_uint_eq(s.errors_by_code[-DAL_ECONSTRAINT], 1);
	ck_assert_uint_eq(s.errors_by_code[-DAL_ESYNTAX], 1);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_telemetry_prometheus_export)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\n");
	char buf[65536];
	long n;

	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE t(x)", NULL, NULL), DAL_OK);
	ck_assert_int_eq(dal_repo_exec(r, "INSERT INTO t VALUES (1)", NULL, NULL), DAL_OK);
	ck_assert_int_eq(dal_repo_exec(r, "INSERT INTO nope VALUES (1)", NULL, NULL), DAL_ENOTFOUND);
	n = dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (long)sizeof buf);
	ck_assert_msg(tu_contains(buf, "# TYPE db_client_operation_duration_seconds histogram\n"), "%s", buf);
	ck_assert_msg(tu_contains(buf,
		"db_client_operation_duration_seconds_count{db_system_name=\"sqlite\","
		"db_namespace=\":memory:\",db_operation_name=\"exec\",dal_repository=\"main\"} 3\n"), "%s", buf);
	ck_assert_msg(tu_contains(buf, "db_operation_name=\"exec\",dal_repository=\"main\",le=\"+Inf\"} 3\n"), "%s", buf);
	ck_assert_msg(tu_contains(buf, "le=\"0.001\"}"), "%s", buf);
	ck_assert_msg(tu_contains(buf, "error_type=\"notfound\"} 1\n"), "%s", buf);
	ck_assert_msg(tu_contains(buf, "db_client_response_affected_rows_total{"), "%s", buf);
	/* snprintf semantics: a short buffer gets a truncated, terminated copy
	 * and the full length. */
	ck_assert_int_eq(dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, buf, 10), n);
	ck_assert_uint_eq(strlen(buf), 9);
	ck_assert_int_eq(dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, NULL, 0), n);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_telemetry_json_export)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\n");
	char buf[65536];

	ck_assert_int_eq(dal_repo_exec(r, "SELECT 1", NULL, NULL), DAL_OK);
	ck_assert_int_gt(dal_repo_metrics_format(r, DAL_METRICS_JSON, buf, sizeof buf), 0);
	ck_assert_msg(strncmp(buf, "{\"repository\":\"main\",\"db.system.name\":\"sqlite\"", 46) == 0, "%s", buf);
	ck_assert_msg(tu_contains(buf, "\"exec\":{\"calls\":1,\"errors\":0"), "%s", buf);
	ck_assert_msg(tu_contains(buf, "{\"le\":\"+Inf\",\"count\":0}"), "%s", buf);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_telemetry_export_refused_when_off)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\ntelemetry = off\n");
	dal_trace_hooks h = {0};
	char buf[64];

	ck_assert_int_eq(dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, buf, sizeof buf),
	                 DAL_EUNSUPPORTED);
	ck_assert_int_eq(dal_repo_trace_set(r, &h, NULL), DAL_EUNSUPPORTED);
	/* The message "telemetry is off for repository 'main'" was checked in
	 * dal_repo_error(); the repository has no error slot any more and
	 * dal_repo_trace_set() takes no dal_error, so only the code is left to
	 * check. */
	dal_repo_close(r);
}
END_TEST

struct spans {
	int starts, ends;
	char log[8192];
};

static void on_start(const dal_span *sp, void *ud, void **ctx)
{
	struct spans *s = ud;
	s->starts++;
	*ctx = s; /* handed back to end() */
	(void)sp;
}

static void on_end(const dal_span *sp, void *ud, void *ctx)
{
	struct spans *s = ud;
	char line[512];

	ck_assert_ptr_eq(ctx, s);
	s->ends++;
	snprintf(line, sizeof line, "%s|%s|%s|%s|%s|%s|%s\n", sp->operation_name,
	         sp->system_name, sp->db_namespace ? sp->db_namespace : "-",
	         sp->collection_name ? sp->collection_name : "-",
	         sp->query_text ? sp->query_text : "-", sp->error_type ? sp->error_type : "-",
	         sp->status_code ? sp->status_code : "-");
	strncat(s->log, line, sizeof s->log - strlen(s->log) - 1);
}

START_TEST(test_telemetry_trace_hooks_attributes)
{
	dal_repo *r = open_cfg("[main]\ntype = sqlite\npath = :memory:\n");
	dal_trace_hooks h = {.start = on_start, .end = on_end};
	struct spans s = {0};
	dal_conn *c;
	dal_stmt *st;

	ck_assert_int_eq(dal_repo_trace_set(r, &h, &s), DAL_OK);
	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE IF NOT EXISTS items(x UNIQUE)", NULL, NULL),
	                 DAL_OK);
	c = acquire(r);
	ck_assert_int_eq(dal_stmt_prepare(c, "INSERT INTO items VALUES (?)", &st), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_text(st, 1, "secret-value", -1), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(st), DAL_DONE);
	ck_assert_int_eq(dal_stmt_bind_text(st, 1, "secret-value", -1), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(st), DAL_ECONSTRAINT);
	dal_stmt_close(st);
	ck_assert_int_eq(s.starts, 4);
	ck_assert_int_eq(s.ends, 4);
	/* Without the opt-in there is no query text. */
	ck_assert_msg(tu_contains(s.log, "exec|sqlite|:memory:|items|-|-|-\n"), "%s", s.log);
	ck_assert_msg(tu_contains(s.log, "prepare|sqlite|:memory:|items|-|-|-\n"), "%s", s.log);
	ck_assert_msg(tu_contains(s.log, "execute|sqlite|:memory:|items|-|constraint|23505\n"), "%s", s.log);

	/* With the opt-in: the parameterised text, never the values. */
	s.log[0] = '\0';
	h.include_query_text = 1;
	ck_assert_int_eq(dal_repo_trace_set(r, &h, &s), DAL_OK);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT x FROM items WHERE x = ?", &st), DAL_OK);
	ck_assert_int_eq(dal_stmt_bind_text(st, 1, "secret-value", -1), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(st), DAL_ROW);
	dal_stmt_close(st);
	ck_assert_msg(tu_contains(s.log, "execute|sqlite|:memory:|items|SELECT x FROM items WHERE x = ?|-|-\n"), "%s", s.log);
	ck_assert_msg(!tu_contains(s.log, "secret-value"), "%s", s.log);

	/* Removing the hooks stops the calls. */
	ck_assert_int_eq(dal_repo_trace_set(r, NULL, NULL), DAL_OK);
	s.ends = 0;
	ck_assert_int_eq(dal_conn_ping(c, NULL), DAL_OK);
	ck_assert_int_eq(s.ends, 0);
	dal_conn_release(c);
	ck_assert_int_eq(dal_repo_ping(r, NULL, NULL), DAL_OK);
	ck_assert_int_eq(s.ends, 0);
	dal_repo_close(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("telemetry");
	TCase *tc = tcase_create("telemetry");
	SRunner *sr;
	int failed;

	tu_clear_env();
	tcase_add_test(tc, test_telemetry_on_by_default_counts_operations);
	tcase_add_test(tc, test_telemetry_counts_errors);
	tcase_add_test(tc, test_telemetry_off_installs_nothing);
	tcase_add_test(tc, test_telemetry_slow_query_logged_without_values);
	tcase_add_test(tc, test_telemetry_histogram_uses_otel_default_buckets);
	tcase_add_test(tc, test_telemetry_configured_finer_buckets);
	tcase_add_test(tc, test_telemetry_errors_by_type);
	tcase_add_test(tc, test_telemetry_prometheus_export);
	tcase_add_test(tc, test_telemetry_json_export);
	tcase_add_test(tc, test_telemetry_export_refused_when_off);
	tcase_add_test(tc, test_telemetry_trace_hooks_attributes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
