/*
 * Stack "dbi": libdbi with the Debian libdbd-sqlite3/mysql/pgsql drivers.
 *
 * libdbi has no prepared statements or parameter binding: every statement is
 * formatted into SQL text, with the name quoted and the blob escaped by the
 * library (dbi_conn_quote_string_copy, dbi_conn_quote_binary_copy), which is
 * how an application must use it to be safe. Values are read back with the
 * typed getters; "as" getters where the driver's column type depends on the
 * declared type.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dbi/dbi.h>

const char *const stack_name = "dbi";

struct dbih {
	dbi_inst inst;
	dbi_conn conn;
};

static void fail(struct bench_ctx *c, const char *what)
{
	const char *msg = NULL;

	dbi_conn_error(((struct dbih *)c->h)->conn, &msg);
	bench_fail(c, "%s: %s", what, msg ? msg : "(no message)");
}

static dbi_result query(struct bench_ctx *c, const char *sql)
{
	dbi_result r = dbi_conn_query(((struct dbih *)c->h)->conn, sql);

	if (!r)
		fail(c, sql);
	return r;
}

int stack_open(struct bench_ctx *c, char *why, size_t size)
{
	static const char *const drivers[] = {"sqlite3", "mysql", "pgsql"};
	struct dbih *d = calloc(1, sizeof *d);
	const char *msg = NULL;

	c->h = d;
	if (dbi_initialize_r(NULL, &d->inst) < 1) {
		snprintf(why, size, "dbi_initialize_r found no drivers");
		return 1;
	}
	d->conn = dbi_conn_new_r(drivers[c->backend], d->inst);
	if (!d->conn) {
		snprintf(why, size, "libdbi has no driver '%s' (install libdbd-%s)",
		         drivers[c->backend], drivers[c->backend]);
		return 1;
	}
	if (c->backend == BENCH_SQLITE) {
		char dir[512];
		const char *slash = strrchr(c->path, '/');

		snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - c->path) : 1,
		         slash ? c->path : ".");
		dbi_conn_set_option(d->conn, "sqlite3_dbdir", dir);
		dbi_conn_set_option(d->conn, "dbname", slash ? slash + 1 : c->path);
	} else {
		dbi_conn_set_option(d->conn, "host", c->srv.host);
		dbi_conn_set_option_numeric(d->conn, "port", (int)c->srv.port);
		dbi_conn_set_option(d->conn, "username", c->srv.user);
		dbi_conn_set_option(d->conn, "password", c->srv.password);
		dbi_conn_set_option(d->conn, "dbname", c->srv.dbname);
		dbi_conn_set_option(d->conn, "encoding", "UTF-8");
	}
	if (dbi_conn_connect(d->conn) < 0) {
		dbi_conn_error(d->conn, &msg);
		snprintf(why, size, "dbi_conn_connect: %s", msg ? msg : "?");
		return 1;
	}
	return 0;
}

void stack_exec(struct bench_ctx *c, const char *sql)
{
	dbi_result_free(query(c, sql));
}

void stack_insert(struct bench_ctx *c, long n, bench_sum *sum)
{
	struct dbih *d = c->h;
	unsigned char payload[BENCH_PAYLOAD];
	char name[BENCH_NAME_MAX];

	stack_exec(c, "BEGIN");
	for (int64_t id = 1; id <= n; id++) {
		char *qname = NULL;
		unsigned char *qblob = NULL;
		dbi_result r;

		bench_row_name(id, name);
		bench_row_payload(id, payload);
		if (!dbi_conn_quote_string_copy(d->conn, name, &qname) ||
		    !dbi_conn_quote_binary_copy(d->conn, payload, BENCH_PAYLOAD, &qblob))
			fail(c, "quote");
		r = dbi_conn_queryf(d->conn,
		                    "INSERT INTO bench_t (id, name, score, payload) "
		                    "VALUES (%lld, %s, %.17g, %s)",
		                    (long long)id, qname, bench_row_score(id), (char *)qblob);
		if (!r)
			fail(c, "insert");
		bench_sum_insert(sum, id, (int64_t)dbi_result_get_numrows_affected(r));
		dbi_result_free(r);
		free(qname);
		free(qblob);
	}
	stack_exec(c, "COMMIT");
}

static long rows(struct bench_ctx *c, dbi_result r, bench_sum *sum)
{
	long n = 0;

	while (dbi_result_next_row(r)) {
		int64_t id = dbi_result_get_as_longlong_idx(r, 1);
		const char *name = dbi_result_get_string_idx(r, 2);
		size_t nlen = dbi_result_get_field_length_idx(r, 2);
		double score = dbi_result_get_double_idx(r, 3);
		const unsigned char *p = dbi_result_get_binary_idx(r, 4);
		size_t plen = dbi_result_get_field_length_idx(r, 4);
		unsigned char raw[256];

		/* The pgsql driver hands bytea over in PostgreSQL's text (hex) form:
		 * the application has to decode it. */
		if (c->backend == BENCH_PGSQL && p) {
			plen = bench_unhex_bytea((const char *)p, plen, raw, sizeof raw);
			p = raw;
		}
		bench_sum_row(sum, id, name ? name : "", name ? nlen : 0, score, p, plen);
		n++;
	}
	dbi_result_free(r);
	return n;
}

void stack_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum)
{
	struct dbih *d = c->h;

	for (long i = 0; i < n; i++) {
		dbi_result r = dbi_conn_queryf(d->conn,
		                               "SELECT id, name, score, payload FROM bench_t "
		                               "WHERE id = %lld",
		                               (long long)ids[i]);
		if (!r)
			fail(c, "point select");
		if (rows(c, r, sum) != 1)
			bench_fail(c, "point select %lld: not one row", (long long)ids[i]);
	}
}

long stack_scan(struct bench_ctx *c, bench_sum *sum)
{
	return rows(c, query(c, bench_sql_scan), sum);
}

void stack_close(struct bench_ctx *c)
{
	struct dbih *d = c->h;

	dbi_conn_close(d->conn);
	dbi_shutdown_r(d->inst);
	free(d);
}
