/*
 * bench_batch's shared declarations: the state and helpers of
 * bench_batch.c (the driver and the batch test) that bench_batch_reads.c
 * (the statement-cache and pipeline tests) uses.
 */
#ifndef BENCH_BATCH_H
#define BENCH_BATCH_H

#include <stdint.h>

#include <dal/dal.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <sqlite3.h>

#include "harness.h"

struct batch_globals {
	struct bench_ctx c;
	long rows, runs;
	/* The rows, as column arrays. */
	int64_t *id;
	char **name;
	size_t *name_len;
	double *score;
	unsigned char **payload;
	size_t *payload_len;
	/* Expected sums after an insert. */
	int64_t sum_id, sum_name;
	double sum_score;
	/* Connections. */
	sqlite3 *lite;
	MYSQL *my;
	PGconn *pg;
	dal_repo *repo;
	dal_conn *conn;
};
extern struct batch_globals g;

/* One stack of a test: its name, its timed function, its times per run. */
struct stack {
	const char *name;
	void (*fn)(void);
	uint64_t *ns; /* per run */
};

/* Stop with libdal's error. */
void dal_fail(const char *what, const dal_error *e);
/* Run SQL on g.conn; stop on failure. */
void dal_exec(const char *sql);
/* Insert g's rows with dal_stmt_execute_batch(). */
void dal_batch(void);
/* g.url with a query parameter added. */
dal_repo *open_with(const char *query);
/* Run the stacks g.runs times in alternation and print their table. */
void run_stacks(struct stack *stacks, size_t ns, long units, int empty, const char *tag,
                const char *title, const char *unit, size_t ref1, size_t ref2);

/* bench_batch_reads.c: the tests "cache" and "pipeline" (queries: 0 for
 * the default). */
void run_cache_test(long queries);
void run_pipeline_test(long queries);

#endif
