/*
 * bench_batch's read tests (see the header comment of bench_batch.c): the
 * statement cache (prepare + point select + close per query) and, on
 * PostgreSQL, pipelines of point selects.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_batch.h"

/* ---- the statement cache test ------------------------------------------ */

static const char cache_sql[] = "SELECT score FROM bench_t WHERE id = ?";
static int64_t *cache_keys;
static long cache_queries;
static dal_repo *cache_repo[2]; /* without and with the cache */
static double cache_sum;

static void cache_check(double sum, const char *stack)
{
	if (sum != cache_sum)
		bench_fail(&g.c, "%s: sum of scores %.17g, expected %.17g", stack, sum, cache_sum);
}

static void dal_each(int cached)
{
	dal_conn *c;
	dal_error err;
	double sum = 0;

	/* A connection per round, as a request handler acquires one. */
	if (dal_conn_acquire(cache_repo[cached], &c, &err) != DAL_OK)
		dal_fail("acquire", &err);
	for (long i = 0; i < cache_queries; i++) {
		dal_stmt *s;

		if (dal_stmt_prepare(c, cache_sql, &s) != DAL_OK)
			dal_fail("prepare", dal_conn_error(c));
		dal_stmt_bind_int64(s, 1, cache_keys[i]);
		if (dal_stmt_step(s) != DAL_ROW)
			dal_fail("point select", dal_stmt_error(s));
		sum += dal_stmt_column_double(s, 0);
		dal_stmt_close(s);
	}
	dal_conn_release(c);
	cache_check(sum, cached ? "dal-cache" : "dal-nocache");
}

static void dal_nocache(void)
{
	dal_each(0);
}

static void dal_cache(void)
{
	dal_each(1);
}

static double lite_point(sqlite3_stmt *st, int64_t id)
{
	double v;

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		bench_fail(&g.c, "point select: %s", sqlite3_errmsg(g.lite));
	v = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	return v;
}

static sqlite3_stmt *lite_prep(void)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(g.lite, cache_sql, -1, &st, NULL) != SQLITE_OK)
		bench_fail(&g.c, "prepare: %s", sqlite3_errmsg(g.lite));
	return st;
}

static MYSQL_STMT *my_point_prepare(MYSQL_BIND *p, MYSQL_BIND *res, long long *id, double *v)
{
	MYSQL_STMT *st = mysql_stmt_init(g.my);

	if (!st || mysql_stmt_prepare(st, cache_sql, strlen(cache_sql)))
		bench_fail(&g.c, "prepare: %s", mysql_error(g.my));
	memset(p, 0, sizeof *p);
	p->buffer_type = MYSQL_TYPE_LONGLONG;
	p->buffer = id;
	memset(res, 0, sizeof *res);
	res->buffer_type = MYSQL_TYPE_DOUBLE;
	res->buffer = v;
	if (mysql_stmt_bind_param(st, p) || mysql_stmt_bind_result(st, res))
		bench_fail(&g.c, "bind: %s", mysql_stmt_error(st));
	return st;
}

static double my_point_run(MYSQL_STMT *st, const double *v)
{
	if (mysql_stmt_execute(st) || mysql_stmt_fetch(st))
		bench_fail(&g.c, "point select: %s", mysql_stmt_error(st));
	mysql_stmt_free_result(st);
	return *v;
}

static double pg_point_result(PGresult *r)
{
	uint64_t bits;
	double v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		bench_fail(&g.c, "point select: %s", PQerrorMessage(g.pg));
	memcpy(&bits, PQgetvalue(r, 0, 0), 8);
	bits = be64toh(bits);
	memcpy(&v, &bits, 8);
	PQclear(r);
	return v;
}

static void raw_point(int each)
{
	static const Oid types[1] = {20};
	static const int fmt[1] = {1};
	double sum = 0, v = 0;
	long long id = 0;

	switch (g.c.backend) {
	case BENCH_SQLITE: {
		sqlite3_stmt *st = each ? NULL : lite_prep();

		for (long i = 0; i < cache_queries; i++) {
			if (each)
				st = lite_prep();
			sum += lite_point(st, cache_keys[i]);
			if (each)
				sqlite3_finalize(st);
		}
		if (!each)
			sqlite3_finalize(st);
		break;
	}
	case BENCH_MYSQL: {
		MYSQL_BIND p, res;
		MYSQL_STMT *st = each ? NULL : my_point_prepare(&p, &res, &id, &v);

		for (long i = 0; i < cache_queries; i++) {
			if (each)
				st = my_point_prepare(&p, &res, &id, &v);
			id = cache_keys[i];
			sum += my_point_run(st, &v);
			if (each)
				mysql_stmt_close(st);
		}
		if (!each)
			mysql_stmt_close(st);
		break;
	}
	case BENCH_PGSQL: {
		char *pgsql = strdup(bench_sql_numbered(cache_sql, "$"));

		if (!each) {
			PGresult *r = PQprepare(g.pg, "pt", pgsql, 1, types);
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				bench_fail(&g.c, "prepare: %s", PQerrorMessage(g.pg));
			PQclear(r);
		}
		for (long i = 0; i < cache_queries; i++) {
			uint64_t be = htobe64((uint64_t)cache_keys[i]);
			const char *val[1] = {(const char *)&be};
			int len[1] = {8};

			sum += pg_point_result(
				each ? PQexecParams(g.pg, pgsql, 1, types, val, len, fmt, 1)
				     : PQexecPrepared(g.pg, "pt", 1, val, len, fmt, 1));
		}
		if (!each)
			PQclear(PQexec(g.pg, "DEALLOCATE pt"));
		free(pgsql);
		break;
	}
	}
	cache_check(sum, each ? "raw-each" : "raw-held");
}

static void raw_held(void)
{
	raw_point(0);
}

static void raw_each(void)
{
	raw_point(1);
}

/* ---- the pipeline test (PostgreSQL) ------------------------------------- */

#define PIPE_DEPTH 100 /* point selects per pipeline */
static dal_stmt *pipe_stmt[PIPE_DEPTH];

static void pipe_check(double sum, const char *stack)
{
	cache_check(sum, stack);
}

static void pg_seq(void)
{
	static const int fmt[1] = {1};
	double sum = 0;

	for (long i = 0; i < cache_queries; i++) {
		uint64_t be = htobe64((uint64_t)cache_keys[i]);
		const char *val[1] = {(const char *)&be};
		int len[1] = {8};

		sum += pg_point_result(PQexecPrepared(g.pg, "pt", 1, val, len, fmt, 1));
	}
	pipe_check(sum, "raw-seq");
}

static void pg_pipe(void)
{
	static const int fmt[1] = {1};
	double sum = 0;

	for (long i = 0; i < cache_queries; i += PIPE_DEPTH) {
		long n = cache_queries - i < PIPE_DEPTH ? cache_queries - i : PIPE_DEPTH;
		uint64_t be[PIPE_DEPTH];

		if (!PQenterPipelineMode(g.pg))
			bench_fail(&g.c, "pipeline: %s", PQerrorMessage(g.pg));
		for (long k = 0; k < n; k++) {
			const char *val[1] = {(const char *)&be[k]};
			int len[1] = {8};

			be[k] = htobe64((uint64_t)cache_keys[i + k]);
			if (!PQsendQueryPrepared(g.pg, "pt", 1, val, len, fmt, 1))
				bench_fail(&g.c, "send: %s", PQerrorMessage(g.pg));
		}
		/* 100 short results fit the socket buffers: blocking is safe. */
		if (!PQpipelineSync(g.pg))
			bench_fail(&g.c, "sync: %s", PQerrorMessage(g.pg));
		for (long k = 0; k < n; k++) {
			PGresult *r = PQgetResult(g.pg);

			sum += pg_point_result(r);
			if ((r = PQgetResult(g.pg)))
				bench_fail(&g.c, "pipeline: a second result");
		}
		{
			PGresult *r = PQgetResult(g.pg);
			if (PQresultStatus(r) != PGRES_PIPELINE_SYNC)
				bench_fail(&g.c, "pipeline: no sync");
			PQclear(r);
		}
		PQexitPipelineMode(g.pg);
	}
	pipe_check(sum, "raw-pipeline");
}

static void dal_seq(void)
{
	dal_stmt *s = pipe_stmt[0];
	double sum = 0;

	for (long i = 0; i < cache_queries; i++) {
		dal_stmt_bind_int64(s, 1, cache_keys[i]);
		if (dal_stmt_step(s) != DAL_ROW)
			dal_fail("point select", dal_stmt_error(s));
		sum += dal_stmt_column_double(s, 0);
		dal_stmt_reset(s);
	}
	pipe_check(sum, "dal-seq");
}

static void dal_pipe(void)
{
	double sum = 0;

	for (long i = 0; i < cache_queries; i += PIPE_DEPTH) {
		long n = cache_queries - i < PIPE_DEPTH ? cache_queries - i : PIPE_DEPTH;

		for (long k = 0; k < n; k++)
			dal_stmt_bind_int64(pipe_stmt[k], 1, cache_keys[i + k]);
		if (dal_conn_pipeline(g.conn, pipe_stmt, (size_t)n) != DAL_OK)
			dal_fail("pipeline", dal_conn_error(g.conn));
		for (long k = 0; k < n; k++) {
			if (dal_stmt_step(pipe_stmt[k]) != DAL_ROW)
				dal_fail("point select", dal_stmt_error(pipe_stmt[k]));
			sum += dal_stmt_column_double(pipe_stmt[k], 0);
			dal_stmt_reset(pipe_stmt[k]);
		}
	}
	pipe_check(sum, "dal-pipeline");
}

/* ---- the tests ---------------------------------------------------------- */

void run_pipeline_test(long queries)
{
	struct stack stacks[4];
	size_t ns = 0;
	static const Oid types[1] = {20};
	char title[64];
	PGresult *pr;

	if (g.c.backend != BENCH_PGSQL)
		bench_fail(&g.c, "--test pipeline: pgsql only (the others run each statement "
		           "at its first step)");
	cache_queries = queries > 0 ? queries : 2000;
	dal_batch();
	cache_keys = bench_point_ids(cache_queries, g.rows, BENCH_POINT_SEED);
	for (long i = 0; i < cache_queries; i++)
		cache_sum += bench_row_score(cache_keys[i]);
	pr = PQprepare(g.pg, "pt", bench_sql_numbered(cache_sql, "$"), 1, types);
	if (PQresultStatus(pr) != PGRES_COMMAND_OK)
		bench_fail(&g.c, "prepare: %s", PQerrorMessage(g.pg));
	PQclear(pr);
	for (int k = 0; k < PIPE_DEPTH; k++)
		if (dal_stmt_prepare(g.conn, cache_sql, &pipe_stmt[k]) != DAL_OK)
			dal_fail("prepare", dal_conn_error(g.conn));
	stacks[ns++] = (struct stack){"raw-seq", pg_seq, NULL};
	stacks[ns++] = (struct stack){"raw-pipeline", pg_pipe, NULL};
	stacks[ns++] = (struct stack){"dal-seq", dal_seq, NULL};
	stacks[ns++] = (struct stack){"dal-pipeline", dal_pipe, NULL};
	snprintf(title, sizeof title, "%s, %ld point selects, %d per pipeline", g.c.backend_name,
	         cache_queries, PIPE_DEPTH);
	run_stacks(stacks, ns, cache_queries, 0, "PIPELINE", title, "ns/query", 0, 1);
	for (int k = 0; k < PIPE_DEPTH; k++)
		dal_stmt_close(pipe_stmt[k]);
}

void run_cache_test(long queries)
{
	struct stack stacks[4];
	size_t ns = 0;
	char title[64];

	cache_queries = queries > 0 ? queries : g.c.backend == BENCH_SQLITE ? 20000 : 2000;
	dal_batch();
	cache_keys = bench_point_ids(cache_queries, g.rows, BENCH_POINT_SEED);
	for (long i = 0; i < cache_queries; i++)
		cache_sum += bench_row_score(cache_keys[i]);
	cache_repo[0] = open_with("statement_cache_size=0");
	cache_repo[1] = open_with("statement_cache_size=32");
	stacks[ns++] = (struct stack){"raw-held", raw_held, NULL};
	stacks[ns++] = (struct stack){"raw-each", raw_each, NULL};
	stacks[ns++] = (struct stack){"dal-nocache", dal_nocache, NULL};
	stacks[ns++] = (struct stack){"dal-cache", dal_cache, NULL};
	snprintf(title, sizeof title, "%s, %ld prepare+select+close", g.c.backend_name,
	         cache_queries);
	run_stacks(stacks, ns, cache_queries, 0, "CACHE", title, "ns/query", 0, 1);
	dal_repo_close(cache_repo[0]);
	dal_repo_close(cache_repo[1]);
}
