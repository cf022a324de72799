/*
 * dal_row_list(): one page of a table, by offset or by keyset, in a total
 * order the caller names, with an optional total count. Streams: the page
 * is a prepared statement the caller steps through.
 *
 * Keyset pagination is written as the expanded row comparison
 *   (a > ?) OR (a = ? AND b > ?) OR (a = ? AND b = ? AND c > ?)
 * rather than (a, b, c) > (?, ?, ?): every SQL database understands it
 * with the same meaning, where row values are not everywhere, and the
 * planner still uses an index on (a, b, c) for the leading column.
 */
#define _GNU_SOURCE
#include <string.h>

#include "internal.h"
#include "rows.h"

static const char *const fn = "dal_row_list";

static int check(dal_conn *c, const char *table, const dal_list_opts *o, dal_stmt **out,
                 int64_t *total)
{
	int rc;

	if ((rc = rq_check(c, fn, table, o, o ? 1 : 0, 1, "options")) != DAL_OK ||
	    (rc = rq_check(c, fn, table, o->order_by, o->n_order, 1,
	                   "order_by columns (a total order keeps pages stable)")) != DAL_OK ||
	    (rc = rq_check(c, fn, table, o->where, o->n_where, 0, "where fields")) != DAL_OK)
		return rc;
	if (!out)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "%s: out is NULL", fn);
	if (o->limit < 1)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
		                     "%s: limit must be at least 1 (got %lld)", fn,
		                     (long long)o->limit);
	if (o->offset < 0)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
		                     "%s: offset must not be negative (got %lld)", fn,
		                     (long long)o->offset);
	if (o->after && o->offset)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
		                     "%s: give either offset or after (keyset), not both", fn);
	if (o->want_total && !total)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
		                     "%s: want_total is set but total is NULL", fn);
	for (size_t i = 0; o->after && i < o->n_order; i++)
		if (o->after[i].type == DAL_TYPE_NULL)
			return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
			                     "%s: after[%zu] (for order column '%.80s') is NULL; "
			                     "keyset pagination needs non-NULL order values", fn, i,
			                     o->order_by[i] ? o->order_by[i] : "(null)");
	return DAL_OK;
}

int dal_row_list(dal_conn *c, const char *table, const dal_list_opts *o, dal_stmt **out,
                 int64_t *total)
{
	struct rq q = {.c = c, .fn = fn};
	const char *cmp;
	unsigned idx = 1;
	dal_stmt *st;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = check(c, table, o, out, total)) != DAL_OK)
		return rc;
	if (o->want_total &&
	    (rc = rq_count(c, fn, table, o->where, o->n_where, total)) != DAL_OK)
		return rc;
	cmp = o->descending ? " < ?" : " > ?";
	rq_puts(&q, "SELECT ");
	if (o->columns && o->n_columns)
		rq_idents(&q, o->columns, o->n_columns);
	else
		rq_puts(&q, "*");
	rq_puts(&q, " FROM ");
	rq_ident(&q, table);
	rq_where(&q, o->where, o->n_where);
	if (o->after) {
		rq_puts(&q, o->n_where ? " AND (" : " WHERE (");
		for (size_t i = 0; i < o->n_order; i++) {
			rq_puts(&q, i ? " OR (" : "(");
			for (size_t j = 0; j < i; j++) {
				rq_ident(&q, o->order_by[j]);
				rq_puts(&q, " = ? AND ");
			}
			rq_ident(&q, o->order_by[i]);
			rq_puts(&q, cmp);
			rq_puts(&q, ")");
		}
		rq_puts(&q, ")");
	}
	rq_puts(&q, " ORDER BY ");
	for (size_t i = 0; i < o->n_order; i++) {
		if (i)
			rq_puts(&q, ", ");
		rq_ident(&q, o->order_by[i]);
		rq_puts(&q, o->descending ? " DESC" : " ASC");
	}
	rq_puts(&q, " LIMIT ? OFFSET ?");
	if ((rc = rq_prepare(&q, &st)) != DAL_OK)
		return rc;
	rc = rq_bind_fields(st, &idx, o->where, o->n_where, 1);
	for (size_t i = 0; o->after && i < o->n_order && rc == DAL_OK; i++)
		for (size_t j = 0; j <= i && rc == DAL_OK; j++)
			rc = dal_stmt_bind_param(st, idx++, &o->after[j]);
	if (rc == DAL_OK)
		rc = dal_stmt_bind_int64(st, idx++, o->limit);
	if (rc == DAL_OK)
		rc = dal_stmt_bind_int64(st, idx++, o->offset);
	if (rc != DAL_OK)
		return rq_fail(c, st, rc);
	*out = st;
	return DAL_OK;
}
