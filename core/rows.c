/*
 * The row helpers of <dal/rows.h>: SQL built from validated, quoted
 * identifiers (dal_ident_quote()) with every value bound, run through the
 * public statement API on the caller's connection. Paginated lists are in
 * rows_list.c; quoting and dal_stmt_bind_param() in ident.c.
 *
 * The only internal access is c->err, so that these calls report their own
 * misuse the way every other call on a connection does.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <dal/rows.h>

#include "internal.h"
#include "rows.h"
#include "strbuf.h"

/* ---- building ----------------------------------------------------------- */

void rq_ident(struct rq *q, const char *name)
{
	char buf[4 * (DAL_IDENT_MAX + 3)];

	if (q->rc != DAL_OK)
		return;
	if (!name) {
		q->rc = dal_error_set(&q->c->err, DAL_EMISUSE, NULL, 0, "%s: a column name is NULL",
		                      q->fn);
		return;
	}
	q->rc = dal_ident_quote(dal_conn_repo(q->c), name, buf, sizeof buf, &q->c->err);
	if (q->rc == DAL_OK)
		sb_puts(&q->sb, buf);
}

void rq_puts(struct rq *q, const char *s)
{
	if (q->rc == DAL_OK)
		sb_puts(&q->sb, s);
}

/* "a, b, c" */
void rq_idents(struct rq *q, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			rq_puts(q, ", ");
		rq_ident(q, names[i]);
	}
}

/* " WHERE a = ? AND b IS NULL" (nothing for n == 0). */
void rq_where(struct rq *q, const dal_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rq_puts(q, i ? " AND " : " WHERE ");
		rq_ident(q, f[i].name);
		rq_puts(q, f[i].v.type == DAL_TYPE_NULL ? " IS NULL" : " = ?");
	}
}

int rq_prepare(struct rq *q, dal_stmt **out)
{
	char *sql;

	*out = NULL;
	if (q->rc != DAL_OK) {
		sb_free(&q->sb);
		return q->rc;
	}
	if (!(sql = sb_detach(&q->sb)))
		return q->rc = dal_error_set(&q->c->err, DAL_ENOMEM, "HY001", 0, "out of memory");
	q->rc = dal_stmt_prepare(q->c, sql, out);
	free(sql);
	return q->rc;
}

int rq_fail(dal_conn *c, dal_stmt *st, int rc)
{
	if (st) {
		error_copy(&c->err, dal_stmt_error(st));
		dal_stmt_close(st);
	}
	return rc;
}

/* Bind fields (skipping NULLs when they became IS NULL) from *idx on. */
int rq_bind_fields(dal_stmt *st, unsigned *idx, const dal_field *f, size_t n, int skip_null)
{
	for (size_t i = 0; i < n; i++) {
		int rc;
		if (skip_null && f[i].v.type == DAL_TYPE_NULL)
			continue;
		if ((rc = dal_stmt_bind_param(st, (*idx)++, &f[i].v)) != DAL_OK)
			return rc;
	}
	return DAL_OK;
}

int rq_check(dal_conn *c, const char *fn, const char *table, const void *list, size_t n,
             size_t min, const char *what)
{
	if (!c)
		return DAL_EMISUSE;
	c->err.code = DAL_OK;
	if (!table)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "%s: table is NULL", fn);
	if (n < min)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "%s: at least %zu %s needed",
		                     fn, min, what);
	if (n && !list)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "%s: %s is NULL with a count "
		                     "of %zu", fn, what, n);
	return DAL_OK;
}

int rq_check_values(dal_conn *c, const char *fn, const dal_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!param_valid(&f[i].v))
			return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
			                     "%s: field %zu has an invalid type (%d), a NULL pointer "
			                     "or a bad length", fn, i, (int)f[i].v.type);
	return DAL_OK;
}

/* Run to the end; *affected gets the rows changed. Closes st. */
static int run(dal_conn *c, dal_stmt *st, int64_t *affected)
{
	int rc;

	while ((rc = dal_stmt_step(st)) == DAL_ROW)
		;
	if (rc != DAL_DONE)
		return rq_fail(c, st, rc);
	if (affected)
		*affected = dal_stmt_rows_affected(st);
	dal_stmt_close(st);
	return DAL_OK;
}

/* ---- the helpers -------------------------------------------------------- */

/* Append "<table> WHERE <key><tail>" to what q holds, prepare it and bind
 * the key's values (its NULLs became IS NULL). On failure the error is on
 * the connection and no statement is left open. */
static int prepare_keyed(struct rq *q, const char *table, const dal_field *key, size_t nkey,
                         const char *tail, dal_stmt **out)
{
	unsigned idx = 1;
	int rc;

	rq_ident(q, table);
	rq_where(q, key, nkey);
	rq_puts(q, tail);
	if ((rc = rq_prepare(q, out)) != DAL_OK)
		return rc;
	if ((rc = rq_bind_fields(*out, &idx, key, nkey, 1)) != DAL_OK) {
		rc = rq_fail(q->c, *out, rc);
		*out = NULL;
	}
	return rc;
}

/* "INSERT INTO t (a, b) VALUES (?, ?)": the column names are names[] or,
 * when names is NULL, fields[].name. */
static void insert_into(struct rq *q, const char *table, const char *const *names,
                        const dal_field *fields, size_t n)
{
	rq_puts(q, "INSERT INTO ");
	rq_ident(q, table);
	rq_puts(q, " (");
	for (size_t i = 0; i < n; i++) {
		if (i)
			rq_puts(q, ", ");
		rq_ident(q, names ? names[i] : fields[i].name);
	}
	rq_puts(q, ") VALUES (");
	for (size_t i = 0; i < n; i++)
		rq_puts(q, i ? ", ?" : "?");
	rq_puts(q, ")");
}

int dal_row_insert(dal_conn *c, const char *table, const dal_field *fields, size_t n,
                   const char *key_column, int64_t *id)
{
	struct rq q = {.c = c, .fn = "dal_row_insert"};
	unsigned caps, idx = 1;
	int returning, rc;
	dal_stmt *st;

	if ((rc = rq_check(c, q.fn, table, fields, n, 1, "fields")) != DAL_OK)
		return rc;
	caps = dal_repo_capabilities(dal_conn_repo(c));
	returning = id && (caps & DAL_CAP_RETURNING);
	if (id && !returning && !(caps & DAL_CAP_LAST_INSERT_ID))
		return dal_error_set(&c->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "dal_row_insert: backend %s declares neither RETURNING nor a "
		                     "last insert id; pass id = NULL",
		                     dal_repo_backend(dal_conn_repo(c)));
	if (returning && !key_column)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
		                     "dal_row_insert: key_column is needed to return the key");
	insert_into(&q, table, NULL, fields, n);
	if (returning) {
		rq_puts(&q, " RETURNING ");
		rq_ident(&q, key_column);
	}
	if ((rc = rq_prepare(&q, &st)) != DAL_OK)
		return rc;
	if ((rc = rq_bind_fields(st, &idx, fields, n, 0)) != DAL_OK)
		return rq_fail(c, st, rc);
	if (!returning)
		return (rc = run(c, st, NULL)) != DAL_OK || !id ? rc : dal_conn_last_insert_id(c, id);
	if ((rc = dal_stmt_step(st)) == DAL_DONE) {
		/* Set after the close: rq_fail() would copy the statement's
		 * (empty) error over it. */
		dal_stmt_close(st);
		return dal_error_set(&c->err, DAL_EBACKEND, NULL, 0,
		                     "dal_row_insert: INSERT ... RETURNING into '%.80s' gave no row "
		                     "(a trigger or rule may have suppressed it)", table);
	}
	if (rc != DAL_ROW)
		return rq_fail(c, st, rc);
	*id = dal_stmt_column_int64(st, 0);
	return run(c, st, NULL);
}

int dal_row_update(dal_conn *c, const char *table, const dal_field *key, size_t nkey,
                   const dal_field *set, size_t nset, int64_t *affected)
{
	struct rq q = {.c = c, .fn = "dal_row_update"};
	unsigned idx = 1;
	dal_stmt *st;
	int rc;

	if (affected)
		*affected = 0;
	if ((rc = rq_check(c, q.fn, table, key, nkey, 1, "key fields")) != DAL_OK ||
	    (rc = rq_check(c, q.fn, table, set, nset, 1, "fields to set")) != DAL_OK)
		return rc;
	rq_puts(&q, "UPDATE ");
	rq_ident(&q, table);
	rq_puts(&q, " SET ");
	for (size_t i = 0; i < nset; i++) {
		if (i)
			rq_puts(&q, ", ");
		rq_ident(&q, set[i].name);
		rq_puts(&q, " = ?");
	}
	rq_where(&q, key, nkey);
	if ((rc = rq_prepare(&q, &st)) != DAL_OK)
		return rc;
	if ((rc = rq_bind_fields(st, &idx, set, nset, 0)) != DAL_OK ||
	    (rc = rq_bind_fields(st, &idx, key, nkey, 1)) != DAL_OK)
		return rq_fail(c, st, rc);
	return run(c, st, affected);
}

int dal_row_delete(dal_conn *c, const char *table, const dal_field *key, size_t nkey,
                   int64_t *affected)
{
	struct rq q = {.c = c, .fn = "dal_row_delete"};
	dal_stmt *st;
	int rc;

	if (affected)
		*affected = 0;
	if ((rc = rq_check(c, q.fn, table, key, nkey, 1, "key fields")) != DAL_OK)
		return rc;
	rq_puts(&q, "DELETE FROM ");
	if ((rc = prepare_keyed(&q, table, key, nkey, "", &st)) != DAL_OK)
		return rc;
	return run(c, st, affected);
}

int dal_row_get(dal_conn *c, const char *table, const char *const *columns, size_t ncols,
                const dal_field *key, size_t nkey, dal_stmt **out)
{
	struct rq q = {.c = c, .fn = "dal_row_get"};
	dal_stmt *st;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = rq_check(c, q.fn, table, key, nkey, 1, "key fields")) != DAL_OK)
		return rc;
	if (!out)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "dal_row_get: out is NULL");
	rq_puts(&q, "SELECT ");
	if (columns && ncols)
		rq_idents(&q, columns, ncols);
	else
		rq_puts(&q, "*");
	rq_puts(&q, " FROM ");
	if ((rc = prepare_keyed(&q, table, key, nkey, "", &st)) != DAL_OK)
		return rc;
	rc = dal_stmt_step(st);
	if (rc == DAL_ROW) {
		*out = st;
		return DAL_ROW;
	}
	if (rc == DAL_DONE) {
		dal_stmt_close(st);
		return DAL_DONE;
	}
	return rq_fail(c, st, rc);
}

/* One integer from "SELECT <what> FROM t WHERE ... [tail]"; *found = 0 when
 * there is no row. */
static int scalar(struct rq *q, const char *what, const char *table, const dal_field *where,
                  size_t nwhere, const char *tail, int64_t *out, int *found)
{
	dal_stmt *st;
	int rc;

	rq_puts(q, "SELECT ");
	rq_puts(q, what);
	rq_puts(q, " FROM ");
	if ((rc = prepare_keyed(q, table, where, nwhere, tail, &st)) != DAL_OK)
		return rc;
	rc = dal_stmt_step(st);
	if (rc != DAL_ROW && rc != DAL_DONE)
		return rq_fail(q->c, st, rc);
	*found = rc == DAL_ROW;
	*out = *found ? dal_stmt_column_int64(st, 0) : 0;
	/* Read to the end: one row at most, and the execution is complete
	 * (the statement log shows it as such, a server has nothing left). */
	if (*found && (rc = dal_stmt_step(st)) == DAL_ROW) {
		dal_stmt_close(st); /* first: rq_fail() would copy its empty error */
		return dal_error_set(&q->c->err, DAL_EBACKEND, NULL, 0,
		                     "%s: more than one row from '%.80s'", q->fn, table);
	}
	if (*found && rc != DAL_DONE)
		return rq_fail(q->c, st, rc);
	dal_stmt_close(st);
	return DAL_OK;
}

int rq_count(dal_conn *c, const char *fn, const char *table, const dal_field *where,
             size_t nwhere, int64_t *out)
{
	struct rq q = {.c = c, .fn = fn};
	int found;

	return scalar(&q, "COUNT(*)", table, where, nwhere, "", out, &found);
}

int dal_row_count(dal_conn *c, const char *table, const dal_field *where, size_t nwhere,
                  int64_t *out)
{
	int rc;

	if ((rc = rq_check(c, "dal_row_count", table, where, nwhere, 0, "where fields")) != DAL_OK)
		return rc;
	if (!out)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "dal_row_count: out is NULL");
	return rq_count(c, "dal_row_count", table, where, nwhere, out);
}

int dal_row_exists(dal_conn *c, const char *table, const dal_field *where, size_t nwhere,
                   int *out)
{
	struct rq q = {.c = c, .fn = "dal_row_exists"};
	int64_t one;
	int rc;

	if ((rc = rq_check(c, q.fn, table, where, nwhere, 0, "where fields")) != DAL_OK)
		return rc;
	if (!out)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "dal_row_exists: out is NULL");
	return scalar(&q, "1", table, where, nwhere, " LIMIT 1", &one, out);
}

int dal_row_insert_many(dal_conn *c, const char *table, const char *const *columns,
                        size_t ncols, const dal_param *values, size_t nrows, int64_t *inserted)
{
	struct rq q = {.c = c, .fn = "dal_row_insert_many"};
	dal_stmt *st;
	int rc;

	if (inserted)
		*inserted = 0;
	if ((rc = rq_check(c, q.fn, table, columns, ncols, 1, "columns")) != DAL_OK)
		return rc;
	if (nrows && !values)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
		                     "dal_row_insert_many: values is NULL with %zu rows", nrows);
	if (!nrows)
		return DAL_OK;
	if (!(dal_repo_capabilities(dal_conn_repo(c)) & DAL_CAP_TRANSACTIONS))
		return dal_error_set(&c->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "dal_row_insert_many: backend %s has no transactions, so the "
		                     "rows cannot go in all or none",
		                     dal_repo_backend(dal_conn_repo(c)));
	insert_into(&q, table, columns, NULL, ncols);
	if ((rc = rq_prepare(&q, &st)) != DAL_OK)
		return rc;
	/* The batch API, all or nothing by itself (its own transaction, or a
	 * savepoint in the caller's). */
	if ((rc = rq_insert_batch(c, st, ncols, values, nrows, inserted)) != RQ_NOT_BATCHABLE) {
		dal_stmt_close(st);
		return rc;
	}
	/* Columns of mixed types: row at a time, all rows or none in one
	 * transaction, or a nested unit of the caller's. */
	rc = DAL_OK;
	if ((rc = dal_conn_begin(c)) != DAL_OK) {
		dal_error keep = c->err;
		dal_stmt_close(st);
		c->err = keep;
		return rc;
	}
	for (size_t r = 0; r < nrows; r++) {
		const dal_param *row = values + r * ncols;
		for (size_t i = 0; i < ncols && rc == DAL_OK; i++)
			rc = dal_stmt_bind_param(st, (unsigned)i + 1, &row[i]);
		if (rc == DAL_OK && (rc = dal_stmt_step(st)) == DAL_DONE)
			rc = dal_stmt_reset(st);
		if (rc != DAL_OK) {
			dal_error keep = *dal_stmt_error(st);
			char msg[DAL_ERROR_MESSAGE_SIZE];
			dal_stmt_close(st);
			dal_conn_rollback(c);
			memcpy(msg, keep.message, sizeof msg);
			dal_error_set(&c->err, keep.code, keep.sqlstate, keep.native,
			              "dal_row_insert_many: row %zu of %zu: %.400s (no row inserted)",
			              r + 1, nrows, msg);
			return rc;
		}
	}
	dal_stmt_close(st);
	if ((rc = dal_conn_commit(c)) != DAL_OK)
		return rc;
	if (inserted)
		*inserted = (int64_t)nrows;
	return DAL_OK;
}

int dal_row_upsert(dal_conn *c, const char *table, const dal_field *fields, size_t n,
                   const char *const *key_columns, size_t nkey, int64_t *affected)
{
	struct rq q = {.c = c, .fn = "dal_row_upsert"};
	unsigned caps, idx = 1;
	size_t nset = 0;
	dal_stmt *st;
	int rc;

	if (affected)
		*affected = 0;
	if ((rc = rq_check(c, q.fn, table, fields, n, 1, "fields")) != DAL_OK ||
	    (rc = rq_check(c, q.fn, table, key_columns, nkey, 1, "key columns")) != DAL_OK ||
	    (rc = rq_check_values(c, q.fn, fields, n)) != DAL_OK)
		return rc;
	for (size_t k = 0; k < nkey; k++) {
		size_t i = 0;
		while (i < n && key_columns[k] && fields[i].name &&
		       strcmp(fields[i].name, key_columns[k]) != 0)
			i++;
		if (i == n || !key_columns[k])
			return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
			                     "dal_row_upsert: key column '%.80s' is not one of the "
			                     "fields", key_columns[k] ? key_columns[k] : "(null)");
	}
	caps = dal_repo_capabilities(dal_conn_repo(c));
	if (!(caps & (DAL_CAP_UPSERT_CONFLICT | DAL_CAP_UPSERT_DUPLICATE)))
		return dal_error_set(&c->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "dal_row_upsert: backend %s declares no upsert form",
		                     dal_repo_backend(dal_conn_repo(c)));
	insert_into(&q, table, NULL, fields, n);
	if (caps & DAL_CAP_UPSERT_CONFLICT) {
		rq_puts(&q, " ON CONFLICT (");
		rq_idents(&q, key_columns, nkey);
		rq_puts(&q, ") DO ");
	} else {
		rq_puts(&q, " ON DUPLICATE KEY UPDATE ");
	}
	for (size_t i = 0; i < n; i++) {
		int is_key = 0;
		for (size_t k = 0; k < nkey && !is_key; k++)
			is_key = strcmp(fields[i].name, key_columns[k]) == 0;
		if (is_key)
			continue;
		if (caps & DAL_CAP_UPSERT_CONFLICT)
			rq_puts(&q, nset ? ", " : "UPDATE SET ");
		else if (nset)
			rq_puts(&q, ", ");
		rq_ident(&q, fields[i].name);
		if (caps & DAL_CAP_UPSERT_CONFLICT) {
			rq_puts(&q, " = EXCLUDED.");
			rq_ident(&q, fields[i].name);
		} else {
			rq_puts(&q, " = VALUES(");
			rq_ident(&q, fields[i].name);
			rq_puts(&q, ")");
		}
		nset++;
	}
	if (!nset) {
		/* Only key columns: insert if missing, else leave it. */
		if (caps & DAL_CAP_UPSERT_CONFLICT) {
			rq_puts(&q, "NOTHING");
		} else {
			rq_ident(&q, key_columns[0]);
			rq_puts(&q, " = ");
			rq_ident(&q, key_columns[0]);
		}
	}
	if ((rc = rq_prepare(&q, &st)) != DAL_OK)
		return rc;
	if ((rc = rq_bind_fields(st, &idx, fields, n, 0)) != DAL_OK)
		return rq_fail(c, st, rc);
	return run(c, st, affected);
}
