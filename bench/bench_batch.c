/*
 * bench_batch: many rows through one prepared statement, libdal against
 * the raw clients, in one process.
 *
 *   bench_batch --backend sqlite|mysql|pgsql --url URL [--rows N] [--runs R]
 *
 * The rows are W1's (bench_t, harness.c), 10,000 by default, built in
 * memory once before anything is timed; every stack inserts them into the
 * emptied table, all in one transaction, --runs times in alternation (the
 * order rotating each round). Stacks:
 *
 *   raw-row    the raw client, one prepared execution per row, in a
 *              transaction: W1 of bench_raw (SQLite: SQLITE_STATIC binds;
 *              MariaDB: buffers bound once, values written in place;
 *              PostgreSQL: binary parameters, PQexecPrepared)
 *   raw-batch  the raw client's own best batch method for a prepared
 *              INSERT: SQLite: the same prepared loop (there is no round
 *              trip to save); MariaDB: one bulk execution of column arrays
 *              (STMT_ATTR_ARRAY_SIZE, the whole batch in one request, under
 *              autocommit: one statement, atomic); PostgreSQL: pipeline
 *              mode, every row one PQsendQueryPrepared, one Sync (one
 *              implicit transaction), nonblocking with the results read
 *              every 64 rows
 *   raw-copy   PostgreSQL only: COPY bench_t FROM STDIN, text format, one
 *              PQputCopyData per row; not a prepared statement, but the
 *              fastest way into PostgreSQL for plain inserts
 *   dal-row    libdal, dal_conn_begin(), one dal_stmt_step() per row
 *              (zero-copy binds), dal_conn_commit()
 *   dal-batch  libdal, one dal_stmt_execute_batch() of the column arrays
 *              (its own transaction; on PostgreSQL this plain INSERT goes as
 *              one COPY, so its fair raw reference there is raw-copy)
 *
 * libdal runs with telemetry on (the URL as given). After every run the
 * table is checked (count, sums of id, name length, score and payload
 * length) against the data: a stack that lost or changed a row fails.
 *
 * Output, one line per run:
 *   BATCH backend=B stack=S rows=N run=R ns=T
 * and at the end a markdown table of medians (ns per row, ratios to
 * raw-row and raw-batch) that bench/run-batch puts into RESULTS.md.
 *
 * --test cache: the statement cache. --queries point selects ("SELECT
 * score FROM bench_t WHERE id = ?", keys from W2's fixed-seed sequence) on
 * a table of --rows rows, each query prepared, run and closed (a service
 * that prepares per request), --runs rounds in alternation:
 *   raw-held       the floor: the raw client, prepared once, executed per
 *                  query
 *   raw-each       the raw client preparing per query the cheapest correct
 *                  way: SQLite prepare/step/finalize; MariaDB
 *                  mysql_stmt_prepare + execute + close (two round trips);
 *                  PostgreSQL PQexecParams (parse, bind and execute in one
 *                  round trip)
 *   dal-nocache    libdal, dal_stmt_prepare/step/close per query,
 *                  statement_cache_size=0
 *   dal-cache      the same with the cache (statement_cache_size=32)
 * Every stack must produce the same sum of scores.
 *
 * --test pipeline (PostgreSQL): --queries point selects (the same SQL and
 * keys) in groups of 100: raw-seq (PQexecPrepared per query, one round
 * trip each), raw-pipeline (pipeline mode, 100 PQsendQueryPrepared and one
 * Sync per group), dal-seq (one statement, bind/step/reset per query),
 * dal-pipeline (100 statements bound, dal_conn_pipeline(), each stepped).
 */
#define _GNU_SOURCE
#include "harness.h"
#include "bench_batch.h"

#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <sqlite3.h>

const char *const stack_name = "batch";

/* The shared state (bench_batch.h). */
struct batch_globals g;


/* ---- data --------------------------------------------------------------- */

static void make_rows(void)
{
	long n = g.rows;

	g.id = calloc(n, sizeof *g.id);
	g.name = calloc(n, sizeof *g.name);
	g.name_len = calloc(n, sizeof *g.name_len);
	g.score = calloc(n, sizeof *g.score);
	g.payload = calloc(n, sizeof *g.payload);
	g.payload_len = calloc(n, sizeof *g.payload_len);
	for (long i = 0; i < n; i++) {
		int64_t id = i + 1;

		g.id[i] = id;
		g.name[i] = malloc(BENCH_NAME_MAX);
		g.name_len[i] = bench_row_name(id, g.name[i]);
		g.score[i] = bench_row_score(id);
		g.payload[i] = malloc(BENCH_PAYLOAD);
		bench_row_payload(id, g.payload[i]);
		g.payload_len[i] = BENCH_PAYLOAD;
		g.sum_id += id;
		g.sum_name += (int64_t)g.name_len[i];
		g.sum_score += g.score[i];
	}
}

/* ---- libdal (used for setup and checks too) ---------------------------- */

void dal_fail(const char *what, const dal_error *e)
{
	bench_fail(&g.c, "%s: %s", what, e->message);
}

void dal_exec(const char *sql)
{
	if (dal_conn_exec(g.conn, sql, NULL) != DAL_OK)
		dal_fail(sql, dal_conn_error(g.conn));
}

static double dal_scalar(const char *sql)
{
	dal_stmt *s;
	double v;

	if (dal_stmt_prepare(g.conn, sql, &s) != DAL_OK || dal_stmt_step(s) != DAL_ROW)
		dal_fail(sql, dal_conn_error(g.conn));
	v = dal_stmt_column_double(s, 0);
	dal_stmt_close(s);
	return v;
}

static void check_table(const char *stack)
{
	double n = dal_scalar("SELECT COUNT(*) FROM bench_t");
	double id = dal_scalar("SELECT SUM(id) FROM bench_t");
	double name = dal_scalar("SELECT SUM(LENGTH(name)) FROM bench_t");
	double score = dal_scalar("SELECT SUM(score) FROM bench_t");
	double pay = dal_scalar("SELECT SUM(LENGTH(payload)) FROM bench_t");

	if (n != (double)g.rows || id != (double)g.sum_id || name != (double)g.sum_name ||
	    score != g.sum_score || pay != (double)g.rows * BENCH_PAYLOAD)
		bench_fail(&g.c, "%s: the table does not hold the rows (count %.0f, sum(id) %.0f, "
		           "names %.0f, scores %.17g, payloads %.0f)", stack, n, id, name, score, pay);
}

static void empty_table(void)
{
	dal_exec("DELETE FROM bench_t");
	if (g.c.backend == BENCH_PGSQL)
		dal_exec("VACUUM bench_t");
}

static void dal_row(void)
{
	dal_stmt *s;

	if (dal_stmt_prepare(g.conn, bench_sql_insert, &s) != DAL_OK)
		dal_fail("prepare", dal_conn_error(g.conn));
	if (dal_conn_begin(g.conn) != DAL_OK)
		dal_fail("begin", dal_conn_error(g.conn));
	for (long i = 0; i < g.rows; i++) {
		dal_stmt_bind_int64(s, 1, g.id[i]);
		dal_stmt_bind_text_static(s, 2, g.name[i], (ptrdiff_t)g.name_len[i]);
		dal_stmt_bind_double(s, 3, g.score[i]);
		dal_stmt_bind_blob_static(s, 4, g.payload[i], BENCH_PAYLOAD);
		if (dal_stmt_step(s) != DAL_DONE)
			dal_fail("insert", dal_stmt_error(s));
	}
	if (dal_conn_commit(g.conn) != DAL_OK)
		dal_fail("commit", dal_conn_error(g.conn));
	dal_stmt_close(s);
}

void dal_batch(void)
{
	dal_batch_column cols[4] = {
		{DAL_TYPE_INT64, g.id, NULL, NULL},
		{DAL_TYPE_TEXT, g.name, g.name_len, NULL},
		{DAL_TYPE_DOUBLE, g.score, NULL, NULL},
		{DAL_TYPE_BLOB, g.payload, g.payload_len, NULL},
	};
	dal_stmt *s;
	int64_t n;

	if (dal_stmt_prepare(g.conn, bench_sql_insert, &s) != DAL_OK)
		dal_fail("prepare", dal_conn_error(g.conn));
	if (dal_stmt_execute_batch(s, cols, 4, (size_t)g.rows, &n, NULL) != DAL_OK ||
	    n != g.rows)
		dal_fail("batch", dal_stmt_error(s));
	dal_stmt_close(s);
}

/* ---- SQLite ------------------------------------------------------------- */

static void lite_exec(const char *sql)
{
	if (sqlite3_exec(g.lite, sql, NULL, NULL, NULL) != SQLITE_OK)
		bench_fail(&g.c, "%s: %s", sql, sqlite3_errmsg(g.lite));
}

/* The prepared loop is also SQLite's best batch method. */
static void lite_row(void)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(g.lite, bench_sql_insert, -1, &st, NULL) != SQLITE_OK)
		bench_fail(&g.c, "prepare: %s", sqlite3_errmsg(g.lite));
	lite_exec("BEGIN");
	for (long i = 0; i < g.rows; i++) {
		sqlite3_bind_int64(st, 1, g.id[i]);
		sqlite3_bind_text(st, 2, g.name[i], (int)g.name_len[i], SQLITE_STATIC);
		sqlite3_bind_double(st, 3, g.score[i]);
		sqlite3_bind_blob(st, 4, g.payload[i], BENCH_PAYLOAD, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			bench_fail(&g.c, "insert: %s", sqlite3_errmsg(g.lite));
		sqlite3_reset(st);
	}
	lite_exec("COMMIT");
	sqlite3_finalize(st);
}

/* ---- MariaDB ------------------------------------------------------------ */

static void my_exec(const char *sql)
{
	if (mysql_query(g.my, sql))
		bench_fail(&g.c, "%s: %s", sql, mysql_error(g.my));
}

static MYSQL_STMT *my_prepare(void)
{
	MYSQL_STMT *st = mysql_stmt_init(g.my);

	if (!st || mysql_stmt_prepare(st, bench_sql_insert, strlen(bench_sql_insert)))
		bench_fail(&g.c, "prepare: %s", mysql_error(g.my));
	return st;
}

static void my_row(void)
{
	MYSQL_STMT *st = my_prepare();
	MYSQL_BIND b[4];
	long long id;
	double score;
	unsigned long name_len, pay_len = BENCH_PAYLOAD;

	memset(b, 0, sizeof b);
	b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	b[0].buffer = &id;
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].length = &name_len;
	b[2].buffer_type = MYSQL_TYPE_DOUBLE;
	b[2].buffer = &score;
	b[3].buffer_type = MYSQL_TYPE_BLOB;
	b[3].length = &pay_len;
	my_exec("BEGIN");
	for (long i = 0; i < g.rows; i++) {
		id = g.id[i];
		score = g.score[i];
		name_len = g.name_len[i];
		/* The buffers move per row: bind again (no copy, no round trip). */
		b[1].buffer = g.name[i];
		b[3].buffer = g.payload[i];
		if (mysql_stmt_bind_param(st, b) || mysql_stmt_execute(st))
			bench_fail(&g.c, "insert: %s", mysql_stmt_error(st));
	}
	my_exec("COMMIT");
	mysql_stmt_close(st);
}

static void my_batch(void)
{
	MYSQL_STMT *st = my_prepare();
	unsigned int n = (unsigned int)g.rows;
	unsigned long *name_len = malloc(g.rows * sizeof *name_len);
	unsigned long *pay_len = malloc(g.rows * sizeof *pay_len);
	MYSQL_BIND b[4];

	for (long i = 0; i < g.rows; i++) {
		name_len[i] = g.name_len[i];
		pay_len[i] = BENCH_PAYLOAD;
	}
	memset(b, 0, sizeof b);
	b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	b[0].buffer = g.id;
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].buffer = g.name;
	b[1].length = name_len;
	b[2].buffer_type = MYSQL_TYPE_DOUBLE;
	b[2].buffer = g.score;
	b[3].buffer_type = MYSQL_TYPE_BLOB;
	b[3].buffer = g.payload;
	b[3].length = pay_len;
	if (mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &n) || mysql_stmt_bind_param(st, b) ||
	    mysql_stmt_execute(st))
		bench_fail(&g.c, "bulk insert: %s", mysql_stmt_error(st));
	if (mysql_stmt_affected_rows(st) != (my_ulonglong)g.rows)
		bench_fail(&g.c, "bulk insert: %llu rows",
		           (unsigned long long)mysql_stmt_affected_rows(st));
	mysql_stmt_close(st);
	free(name_len);
	free(pay_len);
}

/* ---- PostgreSQL --------------------------------------------------------- */

static void pg_exec(const char *sql)
{
	PGresult *r = PQexec(g.pg, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		bench_fail(&g.c, "%s: %s", sql, PQerrorMessage(g.pg));
	PQclear(r);
}

static void pg_prepare_ins(void)
{
	static const Oid types[4] = {20, 1043, 701, 17};
	PGresult *r;

	pg_exec("DEALLOCATE ALL");
	r = PQprepare(g.pg, "ins", bench_sql_numbered(bench_sql_insert, "$"), 4, types);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		bench_fail(&g.c, "prepare: %s", PQerrorMessage(g.pg));
	PQclear(r);
}

/* Row i's parameters in binary. */
struct pg_params {
	const char *values[4];
	int lengths[4];
	uint64_t id_be, score_be;
};

static void pg_fill(struct pg_params *p, long i)
{
	uint64_t bits;

	p->id_be = htobe64((uint64_t)g.id[i]);
	memcpy(&bits, &g.score[i], 8);
	p->score_be = htobe64(bits);
	p->values[0] = (const char *)&p->id_be;
	p->lengths[0] = 8;
	p->values[1] = g.name[i];
	p->lengths[1] = (int)g.name_len[i];
	p->values[2] = (const char *)&p->score_be;
	p->lengths[2] = 8;
	p->values[3] = (const char *)g.payload[i];
	p->lengths[3] = BENCH_PAYLOAD;
}

static const int pg_formats[4] = {1, 1, 1, 1};

static void pg_row(void)
{
	struct pg_params p;

	pg_prepare_ins();
	pg_exec("BEGIN");
	for (long i = 0; i < g.rows; i++) {
		PGresult *r;

		pg_fill(&p, i);
		r = PQexecPrepared(g.pg, "ins", 4, p.values, p.lengths, pg_formats, 1);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			bench_fail(&g.c, "insert: %s", PQerrorMessage(g.pg));
		PQclear(r);
	}
	pg_exec("COMMIT");
}

/* Read the results that have arrived; returns 1 once the Sync's came. */
static int pg_read_ready(long *done)
{
	PGresult *r;

	while (!PQisBusy(g.pg) && (r = PQgetResult(g.pg))) {
		ExecStatusType st = PQresultStatus(r);

		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			return 1;
		if (st != PGRES_COMMAND_OK)
			bench_fail(&g.c, "pipelined insert: %s", PQerrorMessage(g.pg));
		(*done)++;
		/* The NULL that ends this query's results. */
		if (!PQisBusy(g.pg) && (r = PQgetResult(g.pg)))
			bench_fail(&g.c, "pipeline: a second result for one query");
	}
	return 0;
}

/* Flush, reading what arrives; until the Sync's result when sync. */
static int pg_pump(long *done, int sync)
{
	for (;;) {
		int f = PQflush(g.pg), synced;
		struct pollfd pf = {.fd = PQsocket(g.pg), .events = POLLIN};

		if (f < 0 || !PQconsumeInput(g.pg))
			bench_fail(&g.c, "pipeline: %s", PQerrorMessage(g.pg));
		synced = pg_read_ready(done);
		if (f == 0 && (!sync || synced))
			return synced;
		if (f)
			pf.events |= POLLOUT;
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			bench_fail(&g.c, "poll");
	}
}

static void pg_pipeline(void)
{
	struct pg_params p;
	long done = 0;

	pg_prepare_ins();
	if (PQsetnonblocking(g.pg, 1) || !PQenterPipelineMode(g.pg))
		bench_fail(&g.c, "pipeline mode: %s", PQerrorMessage(g.pg));
	for (long i = 0; i < g.rows; i++) {
		pg_fill(&p, i);
		if (!PQsendQueryPrepared(g.pg, "ins", 4, p.values, p.lengths, pg_formats, 1))
			bench_fail(&g.c, "send: %s", PQerrorMessage(g.pg));
		if ((i + 1) % 64 == 0)
			pg_pump(&done, 0);
	}
	if (!PQpipelineSync(g.pg))
		bench_fail(&g.c, "sync: %s", PQerrorMessage(g.pg));
	pg_pump(&done, 1);
	if (done != g.rows)
		bench_fail(&g.c, "pipeline: %ld results for %ld rows", done, g.rows);
	PQexitPipelineMode(g.pg);
	PQsetnonblocking(g.pg, 0);
}

static void pg_copy(void)
{
	static const char hex[] = "0123456789abcdef";
	char line[64 + BENCH_NAME_MAX + 2 * BENCH_PAYLOAD + 8];
	PGresult *r = PQexec(g.pg, "COPY bench_t (id, name, score, payload) FROM STDIN");

	if (PQresultStatus(r) != PGRES_COPY_IN)
		bench_fail(&g.c, "COPY: %s", PQerrorMessage(g.pg));
	PQclear(r);
	for (long i = 0; i < g.rows; i++) {
		int n = snprintf(line, sizeof line, "%lld\t%.*s\t%.17g\t\\\\x", (long long)g.id[i],
		                 (int)g.name_len[i], g.name[i], g.score[i]);

		for (int k = 0; k < BENCH_PAYLOAD; k++) {
			line[n++] = hex[g.payload[i][k] >> 4];
			line[n++] = hex[g.payload[i][k] & 15];
		}
		line[n++] = '\n';
		if (PQputCopyData(g.pg, line, n) != 1)
			bench_fail(&g.c, "COPY data: %s", PQerrorMessage(g.pg));
	}
	if (PQputCopyEnd(g.pg, NULL) != 1)
		bench_fail(&g.c, "COPY end: %s", PQerrorMessage(g.pg));
	r = PQgetResult(g.pg);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		bench_fail(&g.c, "COPY: %s", PQerrorMessage(g.pg));
	PQclear(r);
	while ((r = PQgetResult(g.pg)))
		PQclear(r);
}

/* ---- driver ------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double median_ns(const struct stack *s)
{
	uint64_t *v = malloc(g.runs * sizeof *v);
	double m;

	memcpy(v, s->ns, g.runs * sizeof *v);
	qsort(v, g.runs, sizeof *v, cmp_u64);
	m = g.runs % 2 ? (double)v[g.runs / 2] : (v[g.runs / 2 - 1] + v[g.runs / 2]) / 2.0;
	free(v);
	return m;
}

static void connect_raw(void)
{
	char port[16];
	const char *k[] = {"host", "port", "user", "password", "dbname", NULL};
	const char *v[] = {g.c.srv.host, port, g.c.srv.user, g.c.srv.password, g.c.srv.dbname,
	                   NULL};

	switch (g.c.backend) {
	case BENCH_SQLITE:
		if (sqlite3_open_v2(g.c.path, &g.lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		                    NULL) != SQLITE_OK)
			bench_fail(&g.c, "sqlite3_open: %s", g.c.path);
		lite_exec("PRAGMA journal_mode=WAL");
		lite_exec("PRAGMA synchronous=NORMAL");
		break;
	case BENCH_MYSQL:
		g.my = mysql_init(NULL);
		mysql_optionsv(g.my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
		if (!mysql_real_connect(g.my, g.c.srv.host, g.c.srv.user, g.c.srv.password,
		                        g.c.srv.dbname, g.c.srv.port, NULL, 0))
			bench_fail(&g.c, "mysql_real_connect: %s", mysql_error(g.my));
		break;
	case BENCH_PGSQL:
		snprintf(port, sizeof port, "%u", g.c.srv.port);
		g.pg = PQconnectdbParams(k, v, 0);
		if (PQstatus(g.pg) != CONNECTION_OK)
			bench_fail(&g.c, "PQconnectdbParams: %s", PQerrorMessage(g.pg));
		break;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_batch --backend sqlite|mysql|pgsql --url URL "
	                "[--test batch|cache] [--rows N] [--queries Q] [--runs R]\n");
	exit(2);
}

/* Run the stacks --runs times in alternation (the order rotating), then
 * print the table: per-unit ns, ratios to stacks[ref1] and stacks[ref2]. */
void run_stacks(struct stack *stacks, size_t ns, long units, int empty, const char *tag,
                       const char *title, const char *unit, size_t ref1, size_t ref2)
{
	for (size_t i = 0; i < ns; i++)
		stacks[i].ns = calloc(g.runs, sizeof *stacks[i].ns);
	for (long run = 0; run < g.runs; run++) {
		for (size_t k = 0; k < ns; k++) {
			struct stack *s = &stacks[(k + run) % ns];
			uint64_t t0;

			if (empty)
				empty_table();
			t0 = bench_now_ns();
			s->fn();
			s->ns[run] = bench_now_ns() - t0;
			if (empty)
				check_table(s->name);
			printf("%s backend=%s stack=%s units=%ld run=%ld ns=%llu\n", tag,
			       g.c.backend_name, s->name, units, run, (unsigned long long)s->ns[run]);
		}
	}
	{
		double r1 = median_ns(&stacks[ref1]), r2 = median_ns(&stacks[ref2]);

		printf("\n| %s | ms (median of %ld) | %s | × %s | × %s |\n", title, g.runs, unit,
		       stacks[ref1].name, stacks[ref2].name);
		printf("|---|---|---|---|---|\n");
		for (size_t i = 0; i < ns; i++) {
			double m = median_ns(&stacks[i]);
			printf("| %s | %.1f | %.0f | ×%.2f | ×%.2f |\n", stacks[i].name, m / 1e6,
			       m / (double)units, m / r1, m / r2);
		}
	}
}

dal_repo *open_with(const char *query)
{
	char url[4200];
	dal_repo *r;
	dal_error err;

	snprintf(url, sizeof url, "%s%s%s", g.c.url, strchr(g.c.url, '?') ? "&" : "?", query);
	if (dal_repo_open_url(&r, url, &err) != DAL_OK)
		dal_fail("open", &err);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"backend", required_argument, NULL, 'b'},
		{"url", required_argument, NULL, 'u'},
		{"rows", required_argument, NULL, 'n'},
		{"runs", required_argument, NULL, 'r'},
		{"test", required_argument, NULL, 't'},
		{"queries", required_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	const char *backend = NULL, *test = "batch";
	long queries = 0;
	struct stack stacks[6];
	size_t ns = 0;
	dal_error err;
	int o;

	g.rows = 10000;
	g.runs = 5;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'b':
			backend = optarg;
			break;
		case 'u':
			g.c.url = optarg;
			break;
		case 'n':
			g.rows = atol(optarg);
			break;
		case 'r':
			g.runs = atol(optarg);
			break;
		case 't':
			test = optarg;
			break;
		case 'q':
			queries = atol(optarg);
			break;
		default:
			usage();
		}
	}
	if (!backend || !g.c.url || g.rows < 1 || g.runs < 1 ||
	    (strcmp(test, "batch") != 0 && strcmp(test, "cache") != 0 &&
	     strcmp(test, "pipeline") != 0))
		usage();
	if (strcmp(backend, "sqlite") == 0)
		g.c.backend = BENCH_SQLITE;
	else if (strcmp(backend, "mysql") == 0)
		g.c.backend = BENCH_MYSQL;
	else if (strcmp(backend, "pgsql") == 0)
		g.c.backend = BENCH_PGSQL;
	else
		usage();
	g.c.backend_name = backend;
	g.c.stack = "batch";
	if (g.c.backend == BENCH_SQLITE) {
		if (strncmp(g.c.url, "sqlite:", 7) != 0)
			usage();
		g.c.path = g.c.url + 7;
	} else {
		bench_split_url(&g.c);
	}
	make_rows();
	if (dal_repo_open_url(&g.repo, g.c.url, &err) != DAL_OK ||
	    dal_conn_acquire(g.repo, &g.conn, &err) != DAL_OK)
		dal_fail("open", &err);
	dal_conn_exec(g.conn, "DROP TABLE IF EXISTS bench_t", NULL);
	dal_exec(bench_create_sql(g.c.backend));
	connect_raw();

	if (strcmp(test, "batch") == 0) {
		char title[64];

		stacks[ns++] = (struct stack){"raw-row",
		                              g.c.backend == BENCH_SQLITE  ? lite_row
		                              : g.c.backend == BENCH_MYSQL ? my_row
		                                                           : pg_row, NULL};
		if (g.c.backend != BENCH_SQLITE)
			stacks[ns++] = (struct stack){"raw-batch",
			                              g.c.backend == BENCH_MYSQL ? my_batch
			                                                         : pg_pipeline, NULL};
		if (g.c.backend == BENCH_PGSQL)
			stacks[ns++] = (struct stack){"raw-copy", pg_copy, NULL};
		stacks[ns++] = (struct stack){"dal-row", dal_row, NULL};
		stacks[ns++] = (struct stack){"dal-batch", dal_batch, NULL};
		snprintf(title, sizeof title, "%s, %ld rows", backend, g.rows);
		run_stacks(stacks, ns, g.rows, 1, "BATCH", title, "ns/row", 0,
		           g.c.backend == BENCH_SQLITE ? 0 : 1);
	} else if (strcmp(test, "pipeline") == 0) {
		run_pipeline_test(queries);
	} else {
		run_cache_test(queries);
	}
	dal_conn_exec(g.conn, "DROP TABLE bench_t", NULL);
	dal_conn_release(g.conn);
	dal_repo_close(g.repo);
	if (g.lite)
		sqlite3_close(g.lite);
	if (g.my)
		mysql_close(g.my);
	if (g.pg)
		PQfinish(g.pg);
	return 0;
}
