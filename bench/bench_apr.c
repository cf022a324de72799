/*
 * Stack "apr": APR-util's apr_dbd (Debian libaprutil1-dev with the
 * libaprutil1-dbd-sqlite3/mysql/pgsql drivers), with prepared statements and
 * binary arguments (apr_dbd_pbquery / apr_dbd_pbselect) and binary getters
 * (apr_dbd_datum_get; a blob comes back as a bucket brigade, which is the
 * API's only binary-safe way to read one).
 *
 * apr_dbd allocates results and rows from a pool: each statement execution
 * gets a subpool that is cleared afterwards, as a long-running application
 * would do to keep memory flat.
 */
#ifndef _GNU_SOURCE /* apr-1 cflags define it too */
#define _GNU_SOURCE
#endif
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_buckets.h>
#include <apr_dbd.h>
#include <apr_general.h>
#include <apr_pools.h>

const char *const stack_name = "apr";

struct aprh {
	apr_pool_t *pool, *tmp;
	const apr_dbd_driver_t *drv;
	apr_dbd_t *db;
	apr_dbd_prepared_t *ins, *pt, *scan;
	apr_bucket_alloc_t *ba;
};

static void fail(struct bench_ctx *c, int rc, const char *what)
{
	struct aprh *a = c->h;
	bench_fail(c, "%s: %s", what, apr_dbd_error(a->drv, a->db, rc));
}

static apr_dbd_prepared_t *prepare(struct bench_ctx *c, const char *sql, const char *label)
{
	struct aprh *a = c->h;
	apr_dbd_prepared_t *st = NULL;
	int rc = apr_dbd_prepare(a->drv, a->pool, a->db, sql, label, &st);

	if (rc)
		fail(c, rc, sql);
	return st;
}

int stack_open(struct bench_ctx *c, char *why, size_t size)
{
	static const char *const drivers[] = {"sqlite3", "mysql", "pgsql"};
	struct aprh *a = calloc(1, sizeof *a);
	char params[1024];
	const char *err = NULL;
	apr_status_t st;

	c->h = a;
	apr_initialize();
	apr_pool_create(&a->pool, NULL);
	apr_pool_create(&a->tmp, a->pool);
	a->ba = apr_bucket_alloc_create(a->pool);
	apr_dbd_init(a->pool);
	if ((st = apr_dbd_get_driver(a->pool, drivers[c->backend], &a->drv)) != APR_SUCCESS) {
		char msg[256];
		snprintf(why, size, "apr_dbd_get_driver %s: %s (install libaprutil1-dbd-%s)",
		         drivers[c->backend], apr_strerror(st, msg, sizeof msg), drivers[c->backend]);
		return 1;
	}
	switch (c->backend) {
	case BENCH_SQLITE:
		snprintf(params, sizeof params, "%s", c->path);
		break;
	case BENCH_MYSQL:
		snprintf(params, sizeof params, "host=%s,port=%u,user=%s,pass=%s,dbname=%s",
		         c->srv.host, c->srv.port, c->srv.user, c->srv.password, c->srv.dbname);
		break;
	case BENCH_PGSQL:
		snprintf(params, sizeof params, "host=%s port=%u user=%s password='%s' dbname=%s",
		         c->srv.host, c->srv.port, c->srv.user, c->srv.password, c->srv.dbname);
		break;
	}
	if (apr_dbd_open_ex(a->drv, a->pool, params, &a->db, &err) != APR_SUCCESS) {
		snprintf(why, size, "apr_dbd_open_ex: %s", err ? err : "(no message)");
		return 1;
	}
	return 0;
}

void stack_exec(struct bench_ctx *c, const char *sql)
{
	struct aprh *a = c->h;
	int nrows = 0, rc;

	/* apr_dbd_query refuses a statement that answers with a row, as some
	 * SQLite pragmas do: those go through select and are drained. */
	if (strncmp(sql, "PRAGMA", 6) == 0) {
		apr_dbd_results_t *res = NULL;
		apr_dbd_row_t *row = NULL;

		if ((rc = apr_dbd_select(a->drv, a->tmp, a->db, &res, sql, 0)))
			fail(c, rc, sql);
		while (apr_dbd_get_row(a->drv, a->tmp, res, &row, -1) == 0)
			;
		apr_pool_clear(a->tmp);
		return;
	}
	if ((rc = apr_dbd_query(a->drv, a->db, &nrows, sql)))
		fail(c, rc, sql);
}

void stack_insert(struct bench_ctx *c, long n, bench_sum *sum)
{
	struct aprh *a = c->h;
	apr_dbd_transaction_t *tx = NULL;
	unsigned char payload[BENCH_PAYLOAD];
	char name[BENCH_NAME_MAX];
	apr_int64_t id;
	double score;
	apr_size_t plen = BENCH_PAYLOAD;
	const void *args[7] = {&id, name, &score, payload, &plen, "bench_t", "payload"};
	int rc;

	if (!a->ins)
		a->ins = prepare(c,
		                 "INSERT INTO bench_t (id, name, score, payload) "
		                 "VALUES (%lld, %s, %lf, %pDb)",
		                 "ins");
	if ((rc = apr_dbd_transaction_start(a->drv, a->pool, a->db, &tx)))
		fail(c, rc, "begin");
	for (id = 1; id <= n; id++) {
		int nrows = 0;

		bench_row_name(id, name);
		score = bench_row_score(id);
		bench_row_payload(id, payload);
		if ((rc = apr_dbd_pbquery(a->drv, a->tmp, a->db, &nrows, a->ins, args)))
			fail(c, rc, "insert");
		bench_sum_insert(sum, id, nrows);
		apr_pool_clear(a->tmp);
	}
	if ((rc = apr_dbd_transaction_end(a->drv, a->pool, tx)))
		fail(c, rc, "commit");
}

static long rows(struct bench_ctx *c, apr_dbd_results_t *res, bench_sum *sum)
{
	struct aprh *a = c->h;
	apr_bucket_brigade *bb = apr_brigade_create(a->tmp, a->ba);
	apr_dbd_row_t *row = NULL;
	long n = 0;

	while (apr_dbd_get_row(a->drv, a->tmp, res, &row, -1) == 0) {
		apr_int64_t id = 0;
		char *name = NULL;
		double score = 0;
		char payload[512];
		apr_size_t plen = sizeof payload;

		if (apr_dbd_datum_get(a->drv, row, 0, APR_DBD_TYPE_LONGLONG, &id) ||
		    apr_dbd_datum_get(a->drv, row, 1, APR_DBD_TYPE_STRING, &name) ||
		    apr_dbd_datum_get(a->drv, row, 2, APR_DBD_TYPE_DOUBLE, &score) ||
		    apr_dbd_datum_get(a->drv, row, 3, APR_DBD_TYPE_BLOB, bb) ||
		    apr_brigade_flatten(bb, payload, &plen))
			bench_fail(c, "apr_dbd_datum_get failed");
		apr_brigade_cleanup(bb);
		/* The pgsql driver hands bytea over in PostgreSQL's text (hex) form:
		 * the application has to decode it. */
		if (c->backend == BENCH_PGSQL) {
			unsigned char raw[256];

			plen = bench_unhex_bytea(payload, plen, raw, sizeof raw);
			memcpy(payload, raw, plen);
		}
		bench_sum_row(sum, id, name, strlen(name), score, payload, plen);
		n++;
	}
	return n;
}

void stack_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum)
{
	struct aprh *a = c->h;
	apr_int64_t id;
	const void *args[1] = {&id};

	if (!a->pt)
		a->pt = prepare(c, "SELECT id, name, score, payload FROM bench_t WHERE id = %lld",
		                "pt");
	for (long i = 0; i < n; i++) {
		apr_dbd_results_t *res = NULL;
		int rc;

		id = ids[i];
		if ((rc = apr_dbd_pbselect(a->drv, a->tmp, a->db, &res, a->pt, 0, args)))
			fail(c, rc, "point select");
		if (rows(c, res, sum) != 1)
			bench_fail(c, "point select %lld: not one row", (long long)ids[i]);
		apr_pool_clear(a->tmp);
	}
}

long stack_scan(struct bench_ctx *c, bench_sum *sum)
{
	struct aprh *a = c->h;
	apr_dbd_results_t *res = NULL;
	long n;
	int rc;

	if (!a->scan)
		a->scan = prepare(c, bench_sql_scan, "scan");
	if ((rc = apr_dbd_pbselect(a->drv, a->tmp, a->db, &res, a->scan, 0, NULL)))
		fail(c, rc, "scan");
	n = rows(c, res, sum);
	apr_pool_clear(a->tmp);
	return n;
}

void stack_close(struct bench_ctx *c)
{
	struct aprh *a = c->h;

	apr_dbd_close(a->drv, a->db);
	apr_pool_destroy(a->pool);
	apr_terminate();
	free(a);
}
