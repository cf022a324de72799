/*
 * dal_row_insert_many()'s fast path: the rows, given row after row as
 * dal_param values, turned into the columns of dal_stmt_execute_batch()
 * (one allocation per column, none per row), so that each backend sends
 * them its fastest way (a PostgreSQL pipeline, MariaDB array binds). A
 * column whose non-NULL values are not all of one type cannot be a batch
 * column: the caller then runs its row-at-a-time loop.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rows.h"

struct col_buf {
	void *values;
	size_t *lengths;
	unsigned char *nulls;
};

static void free_cols(struct col_buf *b, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++) {
		free(b[i].values);
		free(b[i].lengths);
		free(b[i].nulls);
	}
	free(b);
}

/* The one type of column i's non-NULL values, or -1 if they differ. */
static int column_type(const dal_param *v, size_t ncols, size_t nrows, size_t i)
{
	int t = DAL_TYPE_NULL;

	for (size_t r = 0; r < nrows; r++) {
		int vt = (int)v[r * ncols + i].type;
		if (vt == DAL_TYPE_NULL)
			continue;
		if (t != DAL_TYPE_NULL && t != vt)
			return -1;
		t = vt;
	}
	return t;
}

static int fill_column(const dal_param *v, size_t ncols, size_t nrows, size_t i, int type,
                       dal_batch_column *col, struct col_buf *b)
{
	size_t elem = type == DAL_TYPE_INT64 ? sizeof(int64_t)
	            : type == DAL_TYPE_DOUBLE ? sizeof(double)
	            : type == DAL_TYPE_BOOL ? sizeof(int) : sizeof(void *);

	col->type = (dal_type)type;
	if (type == DAL_TYPE_NULL)
		return DAL_OK;
	if (!(b->values = calloc(nrows, elem)) || !(b->nulls = calloc(nrows, 1)))
		return DAL_ENOMEM;
	if ((type == DAL_TYPE_TEXT || type == DAL_TYPE_BLOB) &&
	    !(b->lengths = calloc(nrows, sizeof *b->lengths)))
		return DAL_ENOMEM;
	for (size_t r = 0; r < nrows; r++) {
		const dal_param *p = &v[r * ncols + i];
		if (p->type == DAL_TYPE_NULL) {
			b->nulls[r] = 1;
			continue;
		}
		switch (type) {
		case DAL_TYPE_INT64:
			((int64_t *)b->values)[r] = p->u.i;
			break;
		case DAL_TYPE_DOUBLE:
			((double *)b->values)[r] = p->u.d;
			break;
		case DAL_TYPE_BOOL:
			((int *)b->values)[r] = p->u.i != 0;
			break;
		default: /* TEXT, BLOB: checked like dal_stmt_bind_param() */
			if (!p->u.b.ptr || (type == DAL_TYPE_BLOB && p->u.b.len < 0))
				return DAL_EMISUSE;
			((const void **)b->values)[r] = p->u.b.ptr;
			b->lengths[r] = p->u.b.len < 0 ? strlen(p->u.b.ptr) : (size_t)p->u.b.len;
			break;
		}
	}
	col->values = b->values;
	col->lengths = b->lengths;
	col->nulls = b->nulls;
	return DAL_OK;
}

int rq_insert_batch(dal_conn *c, dal_stmt *st, size_t ncols, const dal_param *values,
                    size_t nrows, int64_t *inserted)
{
	dal_batch_column *cols;
	struct col_buf *bufs;
	size_t failed = (size_t)-1;
	int64_t affected = 0;
	int rc = DAL_OK;

	for (size_t i = 0; i < ncols; i++) {
		int t = column_type(values, ncols, nrows, i);
		if (t < 0 || t > DAL_TYPE_BOOL)
			return RQ_NOT_BATCHABLE;
	}
	cols = calloc(ncols, sizeof *cols);
	bufs = calloc(ncols, sizeof *bufs);
	if (!cols || !bufs) {
		free(cols);
		free(bufs);
		return dal_error_set(&c->err, DAL_ENOMEM, "HY001", 0, "out of memory");
	}
	for (size_t i = 0; i < ncols && rc == DAL_OK; i++)
		rc = fill_column(values, ncols, nrows, i, column_type(values, ncols, nrows, i),
		                 &cols[i], &bufs[i]);
	if (rc == DAL_ENOMEM)
		rc = dal_error_set(&c->err, DAL_ENOMEM, "HY001", 0, "out of memory");
	else if (rc != DAL_OK)
		rc = RQ_NOT_BATCHABLE; /* a bad value: the loop reports it by row */
	else if ((rc = dal_stmt_execute_batch(st, cols, (unsigned)ncols, nrows, &affected,
	                                      &failed)) != DAL_OK) {
		char msg[DAL_ERROR_MESSAGE_SIZE];
		const dal_error *e = dal_stmt_error(st);
		/* The batch's message starts "row N: " (0-based N); say it the
		 * way the loop does, 1-based and out of the total. */
		const char *m = e->message;
		if (failed != (size_t)-1 && strncmp(m, "row ", 4) == 0 && strstr(m, ": "))
			m = strstr(m, ": ") + 2;
		snprintf(msg, sizeof msg, "%s", m);
		if (failed != (size_t)-1)
			dal_error_set(&c->err, e->code, e->sqlstate, e->native,
			              "dal_row_insert_many: row %zu of %zu: %.400s (no row inserted)",
			              failed + 1, nrows, msg);
		else
			dal_error_set(&c->err, e->code, e->sqlstate, e->native,
			              "dal_row_insert_many: %.400s (no row inserted)", msg);
	} else if (inserted) {
		*inserted = (int64_t)nrows;
	}
	free_cols(bufs, ncols);
	free(cols);
	return rc;
}
