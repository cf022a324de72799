/*
 * Stack "odbx": OpenDBX (Debian libopendbx1-dev with libopendbx1-sqlite3,
 * -mysql and -pgsql). OpenDBX has no prepared statements and no binary
 * values: every statement is SQL text, the name escaped with odbx_escape(),
 * the blob written as a hex literal, and every value comes back as text
 * (PostgreSQL's bytea in its hex form, decoded here).
 */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <odbx.h>

const char *const stack_name = "odbx";

struct odbxh {
	odbx_t *h;
};

static void fail(struct bench_ctx *c, int rc, const char *what)
{
	bench_fail(c, "%s: %s", what, odbx_error(((struct odbxh *)c->h)->h, rc));
}

/* Run sql and feed every row to fn (may be NULL); returns rows seen, and the
 * rows affected through *affected (may be NULL). */
static long run(struct bench_ctx *c, const char *sql, size_t len,
                void (*fn)(odbx_result_t *, bench_sum *), bench_sum *sum, int64_t *affected)
{
	odbx_t *h = ((struct odbxh *)c->h)->h;
	odbx_result_t *res;
	long rows = 0;
	int rc;

	if ((rc = odbx_query(h, sql, len)) < 0)
		fail(c, rc, sql);
	while ((rc = odbx_result(h, &res, NULL, 0)) != ODBX_RES_DONE) {
		if (rc < 0)
			fail(c, rc, sql);
		if (rc == ODBX_RES_ROWS) {
			while ((rc = odbx_row_fetch(res)) > 0) {
				if (fn)
					fn(res, sum);
				rows++;
			}
			if (rc < 0)
				fail(c, rc, "fetch");
		} else if (rc == ODBX_RES_NOROWS && affected) {
			*affected = (int64_t)odbx_rows_affected(res);
		}
		odbx_result_finish(res);
	}
	return rows;
}

int stack_open(struct bench_ctx *c, char *why, size_t size)
{
	static const char *const backends[] = {"sqlite3", "mysql", "pgsql"};
	struct odbxh *o = calloc(1, sizeof *o);
	char port[16], dir[512];
	int rc;

	c->h = o;
	if (c->backend == BENCH_SQLITE) {
		/* The sqlite3 backend takes the directory as "host" and the file
		 * name as the database. */
		const char *slash = strrchr(c->path, '/');

		snprintf(dir, sizeof dir, "%.*s/", slash ? (int)(slash - c->path) : 1,
		         slash ? c->path : ".");
		rc = odbx_init(&o->h, backends[c->backend], dir, "");
		if (rc >= 0)
			rc = odbx_bind(o->h, slash ? slash + 1 : c->path, "", "", ODBX_BIND_SIMPLE);
	} else {
		snprintf(port, sizeof port, "%u", c->srv.port);
		rc = odbx_init(&o->h, backends[c->backend], c->srv.host, port);
		if (rc >= 0)
			rc = odbx_bind(o->h, c->srv.dbname, c->srv.user, c->srv.password,
			               ODBX_BIND_SIMPLE);
	}
	if (rc < 0) {
		snprintf(why, size, "odbx_init/odbx_bind (%s): %s", backends[c->backend],
		         odbx_error(o->h, rc));
		return 1;
	}
	return 0;
}

void stack_exec(struct bench_ctx *c, const char *sql)
{
	run(c, sql, strlen(sql), NULL, NULL, NULL);
}

void stack_insert(struct bench_ctx *c, long n, bench_sum *sum)
{
	struct odbxh *o = c->h;
	unsigned char payload[BENCH_PAYLOAD];
	char name[BENCH_NAME_MAX], qname[2 * BENCH_NAME_MAX + 1];
	char blob[2 * BENCH_PAYLOAD + 16], sql[512];

	stack_exec(c, "BEGIN");
	for (int64_t id = 1; id <= n; id++) {
		unsigned long qlen = sizeof qname;
		size_t nlen = bench_row_name(id, name);
		int64_t affected = 0;
		int len, rc;

		if ((rc = odbx_escape(o->h, name, nlen, qname, &qlen)) < 0)
			fail(c, rc, "escape");
		bench_row_payload(id, payload);
		bench_blob_literal(c->backend, payload, BENCH_PAYLOAD, blob);
		len = snprintf(sql, sizeof sql,
		               "INSERT INTO bench_t (id, name, score, payload) "
		               "VALUES (%lld, '%s', %.17g, %s)",
		               (long long)id, qname, bench_row_score(id), blob);
		run(c, sql, (size_t)len, NULL, NULL, &affected);
		bench_sum_insert(sum, id, affected);
	}
	stack_exec(c, "COMMIT");
}

static void row(odbx_result_t *res, bench_sum *sum)
{
	unsigned char payload[256];
	const char *p = odbx_field_value(res, 3);
	size_t plen = bench_unhex_bytea(p, odbx_field_length(res, 3), payload, sizeof payload);

	bench_sum_row(sum, strtoll(odbx_field_value(res, 0), NULL, 10), odbx_field_value(res, 1),
	              odbx_field_length(res, 1), strtod(odbx_field_value(res, 2), NULL), payload,
	              plen);
}

void stack_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum)
{
	char sql[128];

	for (long i = 0; i < n; i++) {
		int len = snprintf(sql, sizeof sql,
		                   "SELECT id, name, score, payload FROM bench_t WHERE id = %lld",
		                   (long long)ids[i]);
		if (run(c, sql, (size_t)len, row, sum, NULL) != 1)
			bench_fail(c, "point select %lld: not one row", (long long)ids[i]);
	}
}

long stack_scan(struct bench_ctx *c, bench_sum *sum)
{
	return run(c, bench_sql_scan, strlen(bench_sql_scan), row, sum, NULL);
}

void stack_close(struct bench_ctx *c)
{
	struct odbxh *o = c->h;

	odbx_unbind(o->h);
	odbx_finish(o->h);
	free(o);
}
