/*
 * Stack "raw": the client libraries' own C APIs, used the efficient way a
 * careful programmer would (prepared statements everywhere, result buffers
 * bound once on MariaDB, binary parameters and results on PostgreSQL). This
 * is the floor every other stack is compared with.
 *
 * SQLite is opened the default way (serialized threading mode); the variant
 * "nomutex" opens it with SQLITE_OPEN_NOMUTEX, as libdal does, to show how
 * much of any difference is the mutex rather than the layer. Text and blob
 * binds use SQLITE_STATIC: the row's buffers live until the step that reads
 * them and are bound again before the next, so SQLite need not copy them
 * (the fastest correct use; libdal's bench binds with its own zero-copy
 * binds, dal_stmt_bind_text_static() and _blob_static(), the same way).
 */
#define _GNU_SOURCE
#include "harness.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <mysql.h>
#include <sqlite3.h>

const char *const stack_name = "raw";

struct raw {
	sqlite3 *db;
	sqlite3_stmt *lite_ins, *lite_pt, *lite_scan;
	MYSQL *my;
	MYSQL_STMT *my_ins, *my_pt, *my_scan;
	PGconn *pg;
	int pg_prepared;
};

/* ---- SQLite ------------------------------------------------------------- */

static sqlite3_stmt *lite_prepare(struct bench_ctx *c, const char *sql)
{
	struct raw *r = c->h;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		bench_fail(c, "prepare %s: %s", sql, sqlite3_errmsg(r->db));
	return st;
}

static void lite_exec(struct bench_ctx *c, const char *sql)
{
	struct raw *r = c->h;

	if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		bench_fail(c, "%s: %s", sql, sqlite3_errmsg(r->db));
}

static void lite_insert(struct bench_ctx *c, long n, bench_sum *sum)
{
	struct raw *r = c->h;
	sqlite3_stmt *st;
	unsigned char payload[BENCH_PAYLOAD];
	char name[BENCH_NAME_MAX];

	if (!r->lite_ins)
		r->lite_ins = lite_prepare(c, bench_sql_insert);
	st = r->lite_ins;
	lite_exec(c, "BEGIN");
	for (int64_t id = 1; id <= n; id++) {
		size_t len = bench_row_name(id, name);

		bench_row_payload(id, payload);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, name, (int)len, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, bench_row_score(id));
		sqlite3_bind_blob(st, 4, payload, BENCH_PAYLOAD, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			bench_fail(c, "insert: %s", sqlite3_errmsg(r->db));
		bench_sum_insert(sum, id, sqlite3_changes(r->db));
		sqlite3_reset(st);
	}
	lite_exec(c, "COMMIT");
}

static long lite_rows(struct bench_ctx *c, sqlite3_stmt *st, bench_sum *sum)
{
	long rows = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		size_t nlen = (size_t)sqlite3_column_bytes(st, 1);
		double score = sqlite3_column_double(st, 2);
		const void *p = sqlite3_column_blob(st, 3);
		size_t plen = (size_t)sqlite3_column_bytes(st, 3);

		bench_sum_row(sum, id, name, nlen, score, p, plen);
		rows++;
	}
	if (rc != SQLITE_DONE)
		bench_fail(c, "step: %s", sqlite3_errmsg(((struct raw *)c->h)->db));
	sqlite3_reset(st);
	return rows;
}

static void lite_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum)
{
	struct raw *r = c->h;

	if (!r->lite_pt)
		r->lite_pt = lite_prepare(c, bench_sql_point);
	for (long i = 0; i < n; i++) {
		sqlite3_bind_int64(r->lite_pt, 1, ids[i]);
		if (lite_rows(c, r->lite_pt, sum) != 1)
			bench_fail(c, "point select %lld: not one row", (long long)ids[i]);
	}
}

/* ---- MariaDB ------------------------------------------------------------ */

static MYSQL_STMT *my_prepare(struct bench_ctx *c, const char *sql)
{
	struct raw *r = c->h;
	MYSQL_STMT *st = mysql_stmt_init(r->my);

	if (!st || mysql_stmt_prepare(st, sql, strlen(sql)))
		bench_fail(c, "prepare %s: %s", sql, mysql_error(r->my));
	return st;
}

static void my_exec(struct bench_ctx *c, const char *sql)
{
	struct raw *r = c->h;

	if (mysql_real_query(r->my, sql, strlen(sql)))
		bench_fail(c, "%s: %s", sql, mysql_error(r->my));
}

static void my_insert(struct bench_ctx *c, long n, bench_sum *sum)
{
	struct raw *r = c->h;
	MYSQL_BIND b[4];
	unsigned char payload[BENCH_PAYLOAD];
	char name[BENCH_NAME_MAX];
	unsigned long name_len, payload_len = BENCH_PAYLOAD;
	long long id;
	double score;

	if (!r->my_ins)
		r->my_ins = my_prepare(c, bench_sql_insert);
	/* Bound once: the connector reads the buffers at each execute. */
	memset(b, 0, sizeof b);
	b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	b[0].buffer = &id;
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].buffer = name;
	b[1].length = &name_len;
	b[2].buffer_type = MYSQL_TYPE_DOUBLE;
	b[2].buffer = &score;
	b[3].buffer_type = MYSQL_TYPE_BLOB;
	b[3].buffer = payload;
	b[3].length = &payload_len;
	if (mysql_stmt_bind_param(r->my_ins, b))
		bench_fail(c, "bind: %s", mysql_stmt_error(r->my_ins));
	my_exec(c, "START TRANSACTION");
	for (id = 1; id <= n; id++) {
		name_len = bench_row_name(id, name);
		score = bench_row_score(id);
		bench_row_payload(id, payload);
		if (mysql_stmt_execute(r->my_ins))
			bench_fail(c, "insert: %s", mysql_stmt_error(r->my_ins));
		bench_sum_insert(sum, id, (int64_t)mysql_stmt_affected_rows(r->my_ins));
	}
	my_exec(c, "COMMIT");
}

/* Result buffers of the SELECTs, bound once per statement. */
struct my_row {
	long long id;
	char name[64];
	unsigned long name_len;
	double score;
	unsigned char payload[256];
	unsigned long payload_len;
	MYSQL_BIND b[4];
};

static void my_bind_row(struct bench_ctx *c, MYSQL_STMT *st, struct my_row *row)
{
	memset(row->b, 0, sizeof row->b);
	row->b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	row->b[0].buffer = &row->id;
	row->b[1].buffer_type = MYSQL_TYPE_STRING;
	row->b[1].buffer = row->name;
	row->b[1].buffer_length = sizeof row->name;
	row->b[1].length = &row->name_len;
	row->b[2].buffer_type = MYSQL_TYPE_DOUBLE;
	row->b[2].buffer = &row->score;
	row->b[3].buffer_type = MYSQL_TYPE_BLOB;
	row->b[3].buffer = row->payload;
	row->b[3].buffer_length = sizeof row->payload;
	row->b[3].length = &row->payload_len;
	if (mysql_stmt_bind_result(st, row->b))
		bench_fail(c, "bind result: %s", mysql_stmt_error(st));
}

static long my_rows(struct bench_ctx *c, MYSQL_STMT *st, struct my_row *row, bench_sum *sum)
{
	long rows = 0;
	int rc;

	if (mysql_stmt_execute(st))
		bench_fail(c, "execute: %s", mysql_stmt_error(st));
	while ((rc = mysql_stmt_fetch(st)) == 0) {
		bench_sum_row(sum, row->id, row->name, row->name_len, row->score, row->payload,
		              row->payload_len);
		rows++;
	}
	if (rc != MYSQL_NO_DATA)
		bench_fail(c, "fetch: %d %s", rc, mysql_stmt_error(st));
	return rows;
}

static struct my_row my_pt_row, my_scan_row;

static void my_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum)
{
	struct raw *r = c->h;
	MYSQL_BIND p;
	long long id;

	if (!r->my_pt) {
		r->my_pt = my_prepare(c, bench_sql_point);
		my_bind_row(c, r->my_pt, &my_pt_row);
	}
	memset(&p, 0, sizeof p);
	p.buffer_type = MYSQL_TYPE_LONGLONG;
	p.buffer = &id;
	if (mysql_stmt_bind_param(r->my_pt, &p))
		bench_fail(c, "bind: %s", mysql_stmt_error(r->my_pt));
	for (long i = 0; i < n; i++) {
		id = ids[i];
		if (my_rows(c, r->my_pt, &my_pt_row, sum) != 1)
			bench_fail(c, "point select %lld: not one row", id);
	}
}

/* ---- PostgreSQL --------------------------------------------------------- */

static void pg_check(struct bench_ctx *c, PGresult *res, ExecStatusType want, const char *what)
{
	if (PQresultStatus(res) != want)
		bench_fail(c, "%s: %s", what, PQresultErrorMessage(res));
}

static void pg_exec(struct bench_ctx *c, const char *sql)
{
	PGresult *res = PQexec(((struct raw *)c->h)->pg, sql);

	pg_check(c, res, PGRES_COMMAND_OK, sql);
	PQclear(res);
}

/* Statements are prepared on first use, after the table exists. Types are
 * given so that parameters can travel binary. */
static void pg_prepare(struct bench_ctx *c)
{
	struct raw *r = c->h;
	static const Oid ins_types[4] = {20, 1043, 701, 17}, pt_types[1] = {20};
	PGresult *res;

	if (r->pg_prepared)
		return;
	res = PQprepare(r->pg, "ins", bench_sql_numbered(bench_sql_insert, "$"), 4, ins_types);
	pg_check(c, res, PGRES_COMMAND_OK, "prepare insert");
	PQclear(res);
	res = PQprepare(r->pg, "pt", bench_sql_numbered(bench_sql_point, "$"), 1, pt_types);
	pg_check(c, res, PGRES_COMMAND_OK, "prepare point");
	PQclear(res);
	res = PQprepare(r->pg, "scan", bench_sql_scan, 0, NULL);
	pg_check(c, res, PGRES_COMMAND_OK, "prepare scan");
	PQclear(res);
	r->pg_prepared = 1;
}

static void pg_insert(struct bench_ctx *c, long n, bench_sum *sum)
{
	struct raw *r = c->h;
	static const int formats[4] = {1, 1, 1, 1};
	unsigned char payload[BENCH_PAYLOAD];
	char name[BENCH_NAME_MAX];
	const char *values[4];
	int lengths[4];
	uint64_t id_be, score_be;

	pg_prepare(c);
	values[0] = (const char *)&id_be;
	lengths[0] = 8;
	values[1] = name;
	values[2] = (const char *)&score_be;
	lengths[2] = 8;
	values[3] = (const char *)payload;
	lengths[3] = BENCH_PAYLOAD;
	pg_exec(c, "BEGIN");
	for (int64_t id = 1; id <= n; id++) {
		double score = bench_row_score(id);
		uint64_t bits;
		PGresult *res;

		id_be = htobe64((uint64_t)id);
		memcpy(&bits, &score, 8);
		score_be = htobe64(bits);
		lengths[1] = (int)bench_row_name(id, name);
		bench_row_payload(id, payload);
		res = PQexecPrepared(r->pg, "ins", 4, values, lengths, formats, 1);
		pg_check(c, res, PGRES_COMMAND_OK, "insert");
		bench_sum_insert(sum, id, strtoll(PQcmdTuples(res), NULL, 10));
		PQclear(res);
	}
	pg_exec(c, "COMMIT");
}

static long pg_rows(PGresult *res, bench_sum *sum)
{
	int n = PQntuples(res);

	for (int i = 0; i < n; i++) {
		uint64_t id, bits;
		double score;

		memcpy(&id, PQgetvalue(res, i, 0), 8);
		memcpy(&bits, PQgetvalue(res, i, 2), 8);
		bits = be64toh(bits);
		memcpy(&score, &bits, 8);
		bench_sum_row(sum, (int64_t)be64toh(id), PQgetvalue(res, i, 1),
		              (size_t)PQgetlength(res, i, 1), score, PQgetvalue(res, i, 3),
		              (size_t)PQgetlength(res, i, 3));
	}
	return n;
}

static void pg_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum)
{
	struct raw *r = c->h;
	static const int formats[1] = {1}, lengths[1] = {8};
	uint64_t id_be;
	const char *values[1] = {(const char *)&id_be};

	pg_prepare(c);
	for (long i = 0; i < n; i++) {
		PGresult *res;

		id_be = htobe64((uint64_t)ids[i]);
		res = PQexecPrepared(r->pg, "pt", 1, values, lengths, formats, 1);
		pg_check(c, res, PGRES_TUPLES_OK, "point select");
		if (pg_rows(res, sum) != 1)
			bench_fail(c, "point select %lld: not one row", (long long)ids[i]);
		PQclear(res);
	}
}

/* ---- the stack interface ------------------------------------------------ */

int stack_open(struct bench_ctx *c, char *why, size_t size)
{
	struct raw *r = calloc(1, sizeof *r);

	c->h = r;
	switch (c->backend) {
	case BENCH_SQLITE: {
		int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

		if (strcmp(c->variant, "nomutex") == 0)
			flags |= SQLITE_OPEN_NOMUTEX;
		if (sqlite3_open_v2(c->path, &r->db, flags, NULL) != SQLITE_OK) {
			snprintf(why, size, "sqlite3_open_v2 %s: %s", c->path, sqlite3_errmsg(r->db));
			return 1;
		}
		return 0;
	}
	case BENCH_MYSQL: {
		r->my = mysql_init(NULL);
		mysql_optionsv(r->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
		if (!mysql_real_connect(r->my, c->srv.host, c->srv.user, c->srv.password,
		                        c->srv.dbname, c->srv.port, NULL, 0)) {
			snprintf(why, size, "mysql_real_connect: %s", mysql_error(r->my));
			return 1;
		}
		return 0;
	}
	case BENCH_PGSQL: {
		char port[16];
		const char *keys[] = {"host", "port", "user", "password", "dbname", NULL};
		const char *vals[] = {c->srv.host, port, c->srv.user, c->srv.password,
		                      c->srv.dbname, NULL};

		snprintf(port, sizeof port, "%u", c->srv.port);
		r->pg = PQconnectdbParams(keys, vals, 0);
		if (PQstatus(r->pg) != CONNECTION_OK) {
			snprintf(why, size, "PQconnectdbParams: %s", PQerrorMessage(r->pg));
			return 1;
		}
		return 0;
	}
	}
	return 1;
}

void stack_exec(struct bench_ctx *c, const char *sql)
{
	switch (c->backend) {
	case BENCH_SQLITE:
		lite_exec(c, sql);
		break;
	case BENCH_MYSQL:
		my_exec(c, sql);
		break;
	case BENCH_PGSQL:
		pg_exec(c, sql);
		break;
	}
}

void stack_insert(struct bench_ctx *c, long n, bench_sum *sum)
{
	switch (c->backend) {
	case BENCH_SQLITE:
		lite_insert(c, n, sum);
		break;
	case BENCH_MYSQL:
		my_insert(c, n, sum);
		break;
	case BENCH_PGSQL:
		pg_insert(c, n, sum);
		break;
	}
}

void stack_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum)
{
	switch (c->backend) {
	case BENCH_SQLITE:
		lite_point(c, ids, n, sum);
		break;
	case BENCH_MYSQL:
		my_point(c, ids, n, sum);
		break;
	case BENCH_PGSQL:
		pg_point(c, ids, n, sum);
		break;
	}
}

long stack_scan(struct bench_ctx *c, bench_sum *sum)
{
	struct raw *r = c->h;

	switch (c->backend) {
	case BENCH_SQLITE:
		if (!r->lite_scan)
			r->lite_scan = lite_prepare(c, bench_sql_scan);
		return lite_rows(c, r->lite_scan, sum);
	case BENCH_MYSQL:
		if (!r->my_scan) {
			r->my_scan = my_prepare(c, bench_sql_scan);
			my_bind_row(c, r->my_scan, &my_scan_row);
		}
		return my_rows(c, r->my_scan, &my_scan_row, sum);
	case BENCH_PGSQL: {
		PGresult *res;
		long rows;

		pg_prepare(c);
		res = PQexecPrepared(r->pg, "scan", 0, NULL, NULL, NULL, 1);
		pg_check(c, res, PGRES_TUPLES_OK, "scan");
		rows = pg_rows(res, sum);
		PQclear(res);
		return rows;
	}
	}
	return 0;
}

void stack_close(struct bench_ctx *c)
{
	struct raw *r = c->h;

	sqlite3_finalize(r->lite_ins);
	sqlite3_finalize(r->lite_pt);
	sqlite3_finalize(r->lite_scan);
	if (r->db)
		sqlite3_close(r->db);
	if (r->my_ins)
		mysql_stmt_close(r->my_ins);
	if (r->my_pt)
		mysql_stmt_close(r->my_pt);
	if (r->my_scan)
		mysql_stmt_close(r->my_scan);
	if (r->my)
		mysql_close(r->my);
	if (r->pg)
		PQfinish(r->pg);
	free(r);
}
