/*
 * Internal: what the row helpers' files share (rows.c, rows_list.c): a
 * statement being built, with the first error kept.
 */
#ifndef DAL_CORE_ROWS_H
#define DAL_CORE_ROWS_H

#include <dal/rows.h>

#include "strbuf.h"

struct rq {
	dal_conn *c;
	const char *fn;    /* public function name, for messages */
	struct strbuf sb;  /* the SQL */
	int rc;            /* first failure; later appends are no-ops */
};

void rq_ident(struct rq *q, const char *name);          /* quoted identifier */
void rq_idents(struct rq *q, const char *const *names, size_t n); /* "a, b" */
void rq_puts(struct rq *q, const char *s);
void rq_where(struct rq *q, const dal_field *f, size_t n); /* " WHERE a = ? AND b IS NULL" */
/* Prepare the SQL built (freeing it); the first failure if there was one. */
int rq_prepare(struct rq *q, dal_stmt **out);
/* Bind fields from *idx on, advancing it; skip_null: NULLs became IS NULL. */
int rq_bind_fields(dal_stmt *st, unsigned *idx, const dal_field *f, size_t n, int skip_null);
/* Copy st's error to c and close st; returns rc. */
int rq_fail(dal_conn *c, dal_stmt *st, int rc);
/* Argument checks: table set, at least min items, list not NULL. */
/* 1 if dal_stmt_bind_param() would take p: a known type, a text with its
 * bytes, a blob with a sane length (ident.c). */
int param_valid(const dal_param *p);

/* Every field's value is one dal_stmt_bind_param() takes, checked before a
 * helper looks at what the backend supports: misuse is reported as misuse
 * on every backend. */
int rq_check_values(dal_conn *c, const char *fn, const dal_field *f, size_t n);

int rq_check(dal_conn *c, const char *fn, const char *table, const void *list, size_t n,
             size_t min, const char *what);
/* rq_insert_batch(): the rows cannot be batch columns (mixed types). */
#define RQ_NOT_BATCHABLE 1
/* dal_row_insert_many() through dal_stmt_execute_batch(): DAL_OK, an error
 * (set on c), or RQ_NOT_BATCHABLE. rows_batch.c. */
int rq_insert_batch(dal_conn *c, dal_stmt *st, size_t ncols, const dal_param *values,
                    size_t nrows, int64_t *inserted);
/* SELECT COUNT(*) FROM table WHERE ... */
int rq_count(dal_conn *c, const char *fn, const char *table, const dal_field *where,
             size_t nwhere, int64_t *out);

#endif
