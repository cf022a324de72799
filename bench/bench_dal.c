/*
 * Stack "dal": libdal through its public API only, as an application uses
 * it. Variants:
 *   on     the default: the telemetry decorator is installed
 *   off    ?telemetry=off in the URL: no decorator
 *   trace  telemetry on and a trace hook installed with dal_repo_trace_set()
 *          (start and end callbacks that only count spans, so what is
 *          measured is the cost of producing the span, not of exporting it)
 * The URL is the one bench/run gives every stack (sqlite:PATH or the test
 * servers' URLs); the variant adds its query option.
 *
 * One connection is acquired from the repository's pool at open and every
 * operation runs on it, so the loops measure statement execution, not the
 * pool.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>

const char *const stack_name = "dal";

struct dalh {
	dal_repo *repo;
	dal_conn *conn;
	dal_stmt *ins, *pt, *scan;
	unsigned long spans;
};

static void span_start(const dal_span *sp, void *ud, void **ctx)
{
	(void)sp;
	(void)ctx;
	((struct dalh *)ud)->spans++;
}

static void span_end(const dal_span *sp, void *ud, void *ctx)
{
	(void)sp;
	(void)ctx;
	((struct dalh *)ud)->spans++;
}

static void fail_conn(struct bench_ctx *c, const char *what)
{
	const dal_error *e = dal_conn_error(((struct dalh *)c->h)->conn);
	bench_fail(c, "%s: %s", what, e->message);
}

static void fail_stmt(struct bench_ctx *c, dal_stmt *st, const char *what)
{
	bench_fail(c, "%s: %s", what, dal_stmt_error(st)->message);
}

static dal_stmt *prepare(struct bench_ctx *c, const char *sql)
{
	dal_stmt *st;

	if (dal_stmt_prepare(((struct dalh *)c->h)->conn, sql, &st) != DAL_OK)
		fail_conn(c, sql);
	return st;
}

int stack_open(struct bench_ctx *c, char *why, size_t size)
{
	struct dalh *d = calloc(1, sizeof *d);
	char url[1024];
	const char *opt = "";
	dal_error err;

	c->h = d;
	if (strcmp(c->variant, "off") == 0)
		opt = "telemetry=off";
	snprintf(url, sizeof url, "%s%s%s", c->url, *opt ? (strchr(c->url, '?') ? "&" : "?") : "",
	         opt);
	if (dal_repo_open_url(&d->repo, url, &err) != DAL_OK) {
		snprintf(why, size, "dal_repo_open_url: %s", err.message);
		return 1;
	}
	if (strcmp(c->variant, "off") == 0 && dal_repo_telemetry_enabled(d->repo))
		bench_fail(c, "telemetry=off did not remove the decorator");
	if (strcmp(c->variant, "trace") == 0) {
		dal_trace_hooks hooks = {.start = span_start, .end = span_end};

		int rc = dal_repo_trace_set(d->repo, &hooks, d);

		if (rc != DAL_OK)
			bench_fail(c, "dal_repo_trace_set: %s", dal_code_name(rc));
	}
	if (dal_conn_acquire(d->repo, &d->conn, &err) != DAL_OK) {
		snprintf(why, size, "dal_conn_acquire: %s", err.message);
		dal_repo_close(d->repo);
		return 1;
	}
	return 0;
}

void stack_exec(struct bench_ctx *c, const char *sql)
{
	if (dal_conn_exec(((struct dalh *)c->h)->conn, sql, NULL) != DAL_OK)
		fail_conn(c, sql);
}

void stack_insert(struct bench_ctx *c, long n, bench_sum *sum)
{
	struct dalh *d = c->h;
	unsigned char payload[BENCH_PAYLOAD];
	char name[BENCH_NAME_MAX];

	if (!d->ins)
		d->ins = prepare(c, bench_sql_insert);
	if (dal_conn_begin(d->conn) != DAL_OK)
		fail_conn(c, "begin");
	for (int64_t id = 1; id <= n; id++) {
		size_t len = bench_row_name(id, name);

		bench_row_payload(id, payload);
		/* Binding after a run starts the next execution: no reset call. */
		dal_stmt_bind_int64(d->ins, 1, id);
		/* Zero-copy: name and payload are bound again before every
		 * execution (the rule of dal_stmt_bind_text_static()). */
		dal_stmt_bind_text_static(d->ins, 2, name, (ptrdiff_t)len);
		dal_stmt_bind_double(d->ins, 3, bench_row_score(id));
		if (dal_stmt_bind_blob_static(d->ins, 4, payload, BENCH_PAYLOAD) != DAL_OK ||
		    dal_stmt_step(d->ins) != DAL_DONE)
			fail_stmt(c, d->ins, "insert");
		bench_sum_insert(sum, id, dal_stmt_rows_affected(d->ins));
	}
	if (dal_conn_commit(d->conn) != DAL_OK)
		fail_conn(c, "commit");
}

static long rows(struct bench_ctx *c, dal_stmt *st, bench_sum *sum)
{
	long n = 0;
	int rc;

	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		size_t nlen, plen;
		int64_t id = dal_stmt_column_int64(st, 0);
		const char *name = dal_stmt_column_text(st, 1, &nlen);
		double score = dal_stmt_column_double(st, 2);
		const void *p = dal_stmt_column_blob(st, 3, &plen);

		bench_sum_row(sum, id, name, nlen, score, p, plen);
		n++;
	}
	if (rc != DAL_DONE)
		fail_stmt(c, st, "step");
	return n;
}

void stack_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum)
{
	struct dalh *d = c->h;

	if (!d->pt)
		d->pt = prepare(c, bench_sql_point);
	for (long i = 0; i < n; i++) {
		if (dal_stmt_bind_int64(d->pt, 1, ids[i]) != DAL_OK)
			fail_stmt(c, d->pt, "bind");
		if (rows(c, d->pt, sum) != 1)
			bench_fail(c, "point select %lld: not one row", (long long)ids[i]);
	}
}

long stack_scan(struct bench_ctx *c, bench_sum *sum)
{
	struct dalh *d = c->h;

	if (!d->scan)
		d->scan = prepare(c, bench_sql_scan);
	else if (dal_stmt_reset(d->scan) != DAL_OK)
		fail_stmt(c, d->scan, "reset");
	return rows(c, d->scan, sum);
}

void stack_close(struct bench_ctx *c)
{
	struct dalh *d = c->h;

	if (strcmp(c->variant, "trace") == 0 && d->spans == 0)
		bench_fail(c, "the trace hook saw no span");
	dal_stmt_close(d->ins);
	dal_stmt_close(d->pt);
	dal_stmt_close(d->scan);
	dal_conn_release(d->conn);
	dal_repo_close(d->repo);
	free(d);
}
