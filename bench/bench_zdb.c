/*
 * Stack "zdb": libzdb (Debian libzdb-dev), through a connection pool of one
 * connection, with its prepared statements and typed setters and getters.
 * libzdb reports errors by exceptions (TRY/ELSE/END_TRY); every workload is
 * wrapped so that a failure prints the library's message.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zdb.h>

const char *const stack_name = "zdb";

struct zdbh {
	URL_T url;
	ConnectionPool_T pool;
	Connection_T con;
	PreparedStatement_T ins, pt, scan;
};

int stack_open(struct bench_ctx *c, char *why, size_t size)
{
	struct zdbh *z = calloc(1, sizeof *z);
	char url[1024];
	volatile int ok = 0; /* set inside TRY: survives the longjmp */

	c->h = z;
	/* libzdb's URLs: sqlite:///abs/path, and the servers' URLs as they are
	 * (user:password@ with percent-encoding). */
	if (c->backend == BENCH_SQLITE)
		snprintf(url, sizeof url, "sqlite://%s", c->path);
	else
		snprintf(url, sizeof url, "%s", c->url);
	z->url = URL_new(url);
	if (!z->url) {
		snprintf(why, size, "libzdb cannot parse the URL");
		return 1;
	}
	TRY
	{
		z->pool = ConnectionPool_new(z->url);
		ConnectionPool_setInitialConnections(z->pool, 1);
		ConnectionPool_start(z->pool);
		z->con = ConnectionPool_getConnection(z->pool);
		if (z->con)
			ok = 1;
		else
			snprintf(why, size, "libzdb: no connection from the pool");
	}
	ELSE
	{
		snprintf(why, size, "libzdb connect: %s", Exception_frame.message);
	}
	END_TRY;
	return !ok;
}

void stack_exec(struct bench_ctx *c, const char *sql)
{
	struct zdbh *z = c->h;

	TRY
		Connection_execute(z->con, "%s", sql);
	ELSE
		bench_fail(c, "%s: %s", sql, Exception_frame.message);
	END_TRY;
}

void stack_insert(struct bench_ctx *c, long n, bench_sum *sum)
{
	struct zdbh *z = c->h;
	unsigned char payload[BENCH_PAYLOAD];
	char name[BENCH_NAME_MAX];

	TRY
	{
		if (!z->ins)
			z->ins = Connection_prepareStatement(z->con, "%s", bench_sql_insert);
		Connection_beginTransaction(z->con);
		for (int64_t id = 1; id <= n; id++) {
			bench_row_name(id, name);
			bench_row_payload(id, payload);
			PreparedStatement_setLLong(z->ins, 1, id);
			PreparedStatement_setString(z->ins, 2, name);
			PreparedStatement_setDouble(z->ins, 3, bench_row_score(id));
			PreparedStatement_setBlob(z->ins, 4, payload, BENCH_PAYLOAD);
			PreparedStatement_execute(z->ins);
			bench_sum_insert(sum, id, PreparedStatement_rowsChanged(z->ins));
		}
		Connection_commit(z->con);
	}
	ELSE
		bench_fail(c, "insert: %s", Exception_frame.message);
	END_TRY;
}

static long rows(ResultSet_T r, bench_sum *sum)
{
	long n = 0;

	while (ResultSet_next(r)) {
		int plen = 0;
		int64_t id = ResultSet_getLLong(r, 1);
		const char *name = ResultSet_getString(r, 2);
		double score = ResultSet_getDouble(r, 3);
		const void *p = ResultSet_getBlob(r, 4, &plen);

		bench_sum_row(sum, id, name, strlen(name), score, p, (size_t)plen);
		n++;
	}
	return n;
}

void stack_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum)
{
	struct zdbh *z = c->h;

	TRY
	{
		if (!z->pt)
			z->pt = Connection_prepareStatement(z->con, "%s", bench_sql_point);
		for (long i = 0; i < n; i++) {
			PreparedStatement_setLLong(z->pt, 1, ids[i]);
			if (rows(PreparedStatement_executeQuery(z->pt), sum) != 1)
				bench_fail(c, "point select %lld: not one row", (long long)ids[i]);
		}
	}
	ELSE
		bench_fail(c, "point select: %s", Exception_frame.message);
	END_TRY;
}

long stack_scan(struct bench_ctx *c, bench_sum *sum)
{
	struct zdbh *z = c->h;
	long n = 0;

	TRY
	{
		if (!z->scan)
			z->scan = Connection_prepareStatement(z->con, "%s", bench_sql_scan);
		n = rows(PreparedStatement_executeQuery(z->scan), sum);
	}
	ELSE
		bench_fail(c, "scan: %s", Exception_frame.message);
	END_TRY;
	return n;
}

void stack_close(struct bench_ctx *c)
{
	struct zdbh *z = c->h;

	Connection_close(z->con);
	ConnectionPool_free(&z->pool);
	URL_free(&z->url);
	free(z);
}
