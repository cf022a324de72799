/*
 * Stack "odbc": unixODBC's driver manager with Debian's ODBC drivers
 * (libsqliteodbc, odbc-mariadb, odbc-postgresql). bench/run registers them
 * in a bench-local odbcinst.ini (ODBCSYSINI) under the names below, so the
 * system's ODBC setup is neither needed nor touched.
 *
 * Used the efficient ODBC way: SQLPrepare once, parameters bound once with
 * SQLBindParameter to buffers refilled per row, result columns bound once
 * with SQLBindCol, manual commit for the insert transaction.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sql.h>
#include <sqlext.h>

const char *const stack_name = "odbc";

/* Result columns, bound once per statement. */
struct orow {
	SQLBIGINT id;
	char name[64];
	SQLLEN name_len;
	double score;
	unsigned char payload[256];
	SQLLEN payload_len;
	SQLLEN id_ind, score_ind;
};

struct odbch {
	SQLHENV env;
	SQLHDBC dbc;
	SQLHSTMT ins, pt, scan;
	struct orow pt_row, scan_row;
	SQLBIGINT pt_id;
};

static void diag(SQLSMALLINT type, SQLHANDLE h, char *out, size_t size)
{
	SQLCHAR state[6], msg[512];
	SQLINTEGER native;
	SQLSMALLINT len;

	if (SQLGetDiagRec(type, h, 1, state, &native, msg, sizeof msg, &len) == SQL_SUCCESS)
		snprintf(out, size, "[%s] %s", (char *)state, (char *)msg);
	else
		snprintf(out, size, "(no diagnostic)");
}

static void check(struct bench_ctx *c, SQLRETURN rc, SQLSMALLINT type, SQLHANDLE h,
                  const char *what)
{
	char msg[600];

	if (SQL_SUCCEEDED(rc))
		return;
	diag(type, h, msg, sizeof msg);
	bench_fail(c, "%s: %s", what, msg);
}

int stack_open(struct bench_ctx *c, char *why, size_t size)
{
	struct odbch *o = calloc(1, sizeof *o);
	char conn[1024], msg[600];
	SQLRETURN rc;

	c->h = o;
	SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &o->env);
	SQLSetEnvAttr(o->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
	SQLAllocHandle(SQL_HANDLE_DBC, o->env, &o->dbc);
	switch (c->backend) {
	case BENCH_SQLITE:
		snprintf(conn, sizeof conn, "DRIVER={libdal-bench-sqlite3};Database=%s;", c->path);
		break;
	case BENCH_MYSQL:
		snprintf(conn, sizeof conn,
		         "DRIVER={libdal-bench-mariadb};SERVER=%s;PORT=%u;DATABASE=%s;UID=%s;PWD=%s;"
		         "CHARSET=utf8mb4;",
		         c->srv.host, c->srv.port, c->srv.dbname, c->srv.user, c->srv.password);
		break;
	case BENCH_PGSQL:
		snprintf(conn, sizeof conn,
		         "DRIVER={libdal-bench-pgsql};Servername=%s;Port=%u;Database=%s;UID=%s;"
		         "PWD={%s};",
		         c->srv.host, c->srv.port, c->srv.dbname, c->srv.user, c->srv.password);
		break;
	}
	rc = SQLDriverConnect(o->dbc, NULL, (SQLCHAR *)conn, SQL_NTS, NULL, 0, NULL,
	                      SQL_DRIVER_NOPROMPT);
	if (!SQL_SUCCEEDED(rc)) {
		diag(SQL_HANDLE_DBC, o->dbc, msg, sizeof msg);
		snprintf(why, size, "SQLDriverConnect: %s", msg);
		return 1;
	}
	return 0;
}

void stack_exec(struct bench_ctx *c, const char *sql)
{
	struct odbch *o = c->h;
	SQLHSTMT st;

	SQLAllocHandle(SQL_HANDLE_STMT, o->dbc, &st);
	check(c, SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS), SQL_HANDLE_STMT, st, sql);
	SQLFreeHandle(SQL_HANDLE_STMT, st);
}

static SQLHSTMT prepare(struct bench_ctx *c, const char *sql)
{
	struct odbch *o = c->h;
	SQLHSTMT st;

	SQLAllocHandle(SQL_HANDLE_STMT, o->dbc, &st);
	check(c, SQLPrepare(st, (SQLCHAR *)sql, SQL_NTS), SQL_HANDLE_STMT, st, sql);
	return st;
}

void stack_insert(struct bench_ctx *c, long n, bench_sum *sum)
{
	struct odbch *o = c->h;
	unsigned char payload[BENCH_PAYLOAD];
	char name[BENCH_NAME_MAX];
	SQLBIGINT id;
	double score;
	SQLLEN name_len, payload_len = BENCH_PAYLOAD;
	SQLHSTMT st;

	if (!o->ins)
		o->ins = prepare(c, bench_sql_insert);
	st = o->ins;
	check(c, SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0, &id, 0,
	                          NULL),
	      SQL_HANDLE_STMT, st, "bind id");
	check(c, SQLBindParameter(st, 2, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 32, 0, name,
	                          sizeof name, &name_len),
	      SQL_HANDLE_STMT, st, "bind name");
	check(c, SQLBindParameter(st, 3, SQL_PARAM_INPUT, SQL_C_DOUBLE, SQL_DOUBLE, 0, 0, &score, 0,
	                          NULL),
	      SQL_HANDLE_STMT, st, "bind score");
	check(c, SQLBindParameter(st, 4, SQL_PARAM_INPUT, SQL_C_BINARY, SQL_VARBINARY,
	                          BENCH_PAYLOAD, 0, payload, BENCH_PAYLOAD, &payload_len),
	      SQL_HANDLE_STMT, st, "bind payload");
	check(c, SQLSetConnectAttr(o->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0),
	      SQL_HANDLE_DBC, o->dbc, "autocommit off");
	for (id = 1; id <= n; id++) {
		SQLLEN affected = 0;

		name_len = (SQLLEN)bench_row_name(id, name);
		score = bench_row_score(id);
		bench_row_payload(id, payload);
		check(c, SQLExecute(st), SQL_HANDLE_STMT, st, "insert");
		SQLRowCount(st, &affected);
		bench_sum_insert(sum, id, affected);
	}
	check(c, SQLEndTran(SQL_HANDLE_DBC, o->dbc, SQL_COMMIT), SQL_HANDLE_DBC, o->dbc, "commit");
	SQLSetConnectAttr(o->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_ON, 0);
}

static void bind_row(struct bench_ctx *c, SQLHSTMT st, struct orow *r)
{
	check(c, SQLBindCol(st, 1, SQL_C_SBIGINT, &r->id, 0, &r->id_ind), SQL_HANDLE_STMT, st,
	      "bind col 1");
	check(c, SQLBindCol(st, 2, SQL_C_CHAR, r->name, sizeof r->name, &r->name_len),
	      SQL_HANDLE_STMT, st, "bind col 2");
	check(c, SQLBindCol(st, 3, SQL_C_DOUBLE, &r->score, 0, &r->score_ind), SQL_HANDLE_STMT, st,
	      "bind col 3");
	check(c, SQLBindCol(st, 4, SQL_C_BINARY, r->payload, sizeof r->payload, &r->payload_len),
	      SQL_HANDLE_STMT, st, "bind col 4");
}

static long rows(struct bench_ctx *c, SQLHSTMT st, struct orow *r, bench_sum *sum)
{
	long n = 0;
	SQLRETURN rc;

	check(c, SQLExecute(st), SQL_HANDLE_STMT, st, "execute");
	while ((rc = SQLFetch(st)) == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO) {
		bench_sum_row(sum, r->id, r->name, (size_t)r->name_len, r->score, r->payload,
		              (size_t)r->payload_len);
		n++;
	}
	if (rc != SQL_NO_DATA)
		check(c, rc, SQL_HANDLE_STMT, st, "fetch");
	SQLFreeStmt(st, SQL_CLOSE);
	return n;
}

void stack_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum)
{
	struct odbch *o = c->h;

	if (!o->pt) {
		o->pt = prepare(c, bench_sql_point);
		check(c, SQLBindParameter(o->pt, 1, SQL_PARAM_INPUT, SQL_C_SBIGINT, SQL_BIGINT, 0, 0,
		                          &o->pt_id, 0, NULL),
		      SQL_HANDLE_STMT, o->pt, "bind id");
		bind_row(c, o->pt, &o->pt_row);
	}
	for (long i = 0; i < n; i++) {
		o->pt_id = ids[i];
		if (rows(c, o->pt, &o->pt_row, sum) != 1)
			bench_fail(c, "point select %lld: not one row", (long long)ids[i]);
	}
}

long stack_scan(struct bench_ctx *c, bench_sum *sum)
{
	struct odbch *o = c->h;

	if (!o->scan) {
		o->scan = prepare(c, bench_sql_scan);
		bind_row(c, o->scan, &o->scan_row);
	}
	return rows(c, o->scan, &o->scan_row, sum);
}

void stack_close(struct bench_ctx *c)
{
	struct odbch *o = c->h;

	if (o->ins)
		SQLFreeHandle(SQL_HANDLE_STMT, o->ins);
	if (o->pt)
		SQLFreeHandle(SQL_HANDLE_STMT, o->pt);
	if (o->scan)
		SQLFreeHandle(SQL_HANDLE_STMT, o->scan);
	SQLDisconnect(o->dbc);
	SQLFreeHandle(SQL_HANDLE_DBC, o->dbc);
	SQLFreeHandle(SQL_HANDLE_ENV, o->env);
	free(o);
}
