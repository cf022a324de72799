/*
 * Batch execution, dal_stmt_execute_batch(): the row source a backend's
 * execute_batch slot reads the application's column arrays through, the
 * transaction or savepoint that makes a batch all or nothing, the fallback
 * loop of binds and steps for backends without the slot, and finding the
 * failing row when a backend cannot tell which it was.
 *
 * Nothing is copied on the way: the row source hands out pointers into the
 * application's arrays, which dal.h says must outlive the call. Per batch
 * the core allocates one array of npos values; nothing per row.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "stmtlog.h"

struct source {
	const dal_stmt *s;
	const dal_batch_column *cols;
};

/* Row r's value of one column. */
static inline void column_value(const dal_batch_column *col, size_t r, dal_value *v)
{
	const void *p;

	if (col->nulls && col->nulls[r]) {
		v->type = DAL_TYPE_NULL;
		return;
	}
	switch (col->type) {
	case DAL_TYPE_INT64:
		v->type = DAL_TYPE_INT64;
		v->u.i = ((const int64_t *)col->values)[r];
		return;
	case DAL_TYPE_DOUBLE:
		v->type = DAL_TYPE_DOUBLE;
		v->u.d = ((const double *)col->values)[r];
		return;
	case DAL_TYPE_BOOL:
		v->type = DAL_TYPE_BOOL;
		v->u.i = ((const int *)col->values)[r] != 0;
		return;
	case DAL_TYPE_TEXT:
	case DAL_TYPE_BLOB:
		p = ((const void *const *)col->values)[r];
		if (!p) {
			v->type = DAL_TYPE_NULL;
			return;
		}
		v->type = col->type;
		v->u.b.ptr = p;
		v->u.b.len = col->lengths ? col->lengths[r] : strlen(p);
		return;
	default:
		v->type = DAL_TYPE_NULL;
		return;
	}
}

/* struct dal_batch's row(): backend position p + 1 takes the column of the
 * application parameter it stands for (a :name used twice fills two). */
static void source_row(const struct dal_batch *b, size_t r, dal_value *vals)
{
	const struct source *src = b->source;
	const unsigned *pos_param = src->s->pos_param;

	for (unsigned p = 0; p < b->npos; p++)
		column_value(&src->cols[pos_param ? pos_param[p] - 1 : p], r, &vals[p]);
}

/* Check the columns before anything is sent: a bad one is the caller's
 * mistake, named by its parameter number. */
static int check_columns(dal_stmt *s, const dal_batch_column *cols, unsigned ncols)
{
	if (ncols != s->nparams)
		return dal_error_set(&s->err, DAL_EMISUSE, "07001", 0,
		                     "dal_stmt_execute_batch: %u column%s given for a statement "
		                     "of %u parameter%s", ncols, ncols == 1 ? "" : "s",
		                     s->nparams, s->nparams == 1 ? "" : "s");
	if (ncols && !cols)
		return dal_error_set(&s->err, DAL_EMISUSE, "HY009", 0,
		                     "dal_stmt_execute_batch: cols is NULL");
	for (unsigned i = 0; i < ncols; i++) {
		const dal_batch_column *c = &cols[i];

		if ((unsigned)c->type > DAL_TYPE_BOOL)
			return dal_error_set(&s->err, DAL_EMISUSE, "HY004", 0,
			                     "dal_stmt_execute_batch: parameter %u has unknown "
			                     "type %d", i + 1, (int)c->type);
		if (c->type != DAL_TYPE_NULL && !c->values)
			return dal_error_set(&s->err, DAL_EMISUSE, "HY009", 0,
			                     "dal_stmt_execute_batch: parameter %u: values is NULL",
			                     i + 1);
		if (c->type == DAL_TYPE_BLOB && !c->lengths)
			return dal_error_set(&s->err, DAL_EMISUSE, "HY009", 0,
			                     "dal_stmt_execute_batch: parameter %u: a BLOB column "
			                     "needs lengths", i + 1);
	}
	if (s->ncols)
		return dal_error_set(&s->err, DAL_EMISUSE, "HY010", 0,
		                     "dal_stmt_execute_batch: the statement returns %u "
		                     "column%s; a batch runs statements that return no rows",
		                     s->ncols, s->ncols == 1 ? "" : "s");
	if (s->state == STMT_ROW)
		return dal_error_set(&s->err, DAL_EMISUSE, "HY010", 0,
		                     "dal_stmt_execute_batch: the statement has unread rows; "
		                     "read them or call dal_stmt_reset() first");
	return DAL_OK;
}

/* ---- all or nothing ----------------------------------------------------- */

enum wrap { W_NONE, W_TXN, W_SAVEPOINT };

static int run_sql(dal_conn *c, const char *sql, dal_error *err)
{
	int rc = dal_conn_exec(c, sql, NULL);

	if (rc != DAL_OK)
		error_copy(err, &c->err);
	return rc;
}

/* Open what makes the batch all or nothing: a transaction when none is
 * open (none at all on a backend without transactions), else a savepoint
 * in the application's. */
static int wrap_begin(dal_conn *c, enum wrap *w, dal_error *err)
{
	if (!c->in_txn) {
		*w = W_NONE;
		if (!c->ops.begin.fn || !c->ops.commit.fn || !c->ops.rollback.fn)
			return DAL_OK;
		*w = W_TXN;
		return c->ops.begin.fn(c->ops.begin.h, err);
	}
	*w = W_SAVEPOINT;
	return run_sql(c, "SAVEPOINT dal_batch", err);
}

/* Commit (ok) or undo the batch. Undoing is best effort, its error logged:
 * the batch's own error is the one to report. */
static int wrap_end(dal_conn *c, enum wrap w, int ok, dal_error *err)
{
	/* err: where a commit's or release's failure goes; an undo's is
	 * logged only. */
	dal_error e;
	int rc = DAL_OK;

	if (ok) {
		if (w == W_TXN)
			rc = c->ops.commit.fn(c->ops.commit.h, err);
		else if (w == W_SAVEPOINT)
			rc = run_sql(c, "RELEASE SAVEPOINT dal_batch", err);
		return rc;
	}
	if (w == W_TXN)
		rc = c->ops.rollback.fn(c->ops.rollback.h, &e);
	else if (w == W_SAVEPOINT && (rc = run_sql(c, "ROLLBACK TO SAVEPOINT dal_batch", &e)) ==
	                                     DAL_OK)
		rc = run_sql(c, "RELEASE SAVEPOINT dal_batch", &e);
	if (rc != DAL_OK) {
		dal_log_emit(DAL_LOG_WARN, "%s: undoing a failed batch failed (%s: %s)",
		             c->repo->name, dal_code_name(rc), e.message);
		if (code_loses_connection(rc))
			c->broken = 1;
	}
	return rc;
}

/* ---- execution ---------------------------------------------------------- */

/* The fallback: bind and step row by row through the statement's slots
 * (through the layers: telemetry counts each row as an execute). */
static int run_loop(dal_stmt *s, struct dal_batch *b, dal_value *vals)
{
	int rc;

	for (size_t r = 0; r < b->nrows; r++) {
		b->row(b, r, vals);
		for (unsigned p = 0; p < b->npos; p++)
			if ((rc = s->ops.bind.fn(s->ops.bind.h, p + 1, &vals[p], &s->err)) != DAL_OK) {
				b->failed_row = r;
				return rc;
			}
		rc = s->ops.step.fn(s->ops.step.h, &s->err);
		if (rc != DAL_DONE) {
			if (rc == DAL_ROW) /* checked at prepare: cannot happen */
				rc = dal_error_set(&s->err, DAL_EMISUSE, "HY010", 0,
				                   "the statement returned a row");
			b->failed_row = r;
			return rc;
		}
		b->affected += s->ops.rows_affected.fn(s->ops.rows_affected.h);
		if ((rc = s->ops.reset.fn(s->ops.reset.h, &s->err)) != DAL_OK) {
			b->failed_row = r;
			return rc;
		}
	}
	return DAL_OK;
}

/* One attempt: wrap, run (the backend's slot unless loop), unwrap. On a
 * failure the batch is undone unless the connection is gone; a probe is
 * undone in any case (and needs a transaction to undo). */
static int attempt(dal_stmt *s, struct dal_batch *b, dal_value *vals, int loop, int probe)
{
	dal_conn *c = s->conn;
	enum wrap w;
	int rc;

	b->failed_row = DAL_BATCH_ROW_UNKNOWN;
	b->affected = 0;
	b->autocommit = 0;
	__atomic_store_n(&c->cancel_pending, 0, __ATOMIC_RELAXED);
	/* Without a transaction open, the backend's slot makes the batch
	 * atomic itself: a PostgreSQL pipeline is one implicit transaction,
	 * with no BEGIN and COMMIT round trips. */
	if (!loop && !probe && !c->in_txn) {
		b->autocommit = 1;
		rc = s->ops.execute_batch.fn(s->ops.execute_batch.h, b, &s->err);
		return rc == DAL_OK ? rc : conn_canceled(c, rc, &s->err);
	}
	if ((rc = wrap_begin(c, &w, &s->err)) != DAL_OK)
		return conn_canceled(c, rc, &s->err);
	if (probe && w == W_NONE)
		return DAL_OK;
	if (!loop)
		rc = s->ops.execute_batch.fn(s->ops.execute_batch.h, b, &s->err);
	else
		rc = run_loop(s, b, vals);
	if (rc == DAL_OK && !probe) {
		rc = wrap_end(c, w, 1, &s->err);
		if (rc != DAL_OK) {
			b->failed_row = DAL_BATCH_ROW_UNKNOWN;
			/* A failed release: nothing of the batch stays. */
			if (w == W_SAVEPOINT && !code_loses_connection(rc))
				wrap_end(c, w, 0, NULL);
		}
		return conn_canceled(c, rc, &s->err);
	}
	if (rc != DAL_OK)
		rc = conn_canceled(c, rc, &s->err);
	if (!code_loses_connection(rc))
		wrap_end(c, w, 0, NULL);
	return rc;
}

/* Prefix "row N: " to the statement's message. */
static void name_row(dal_stmt *s, size_t row)
{
	char msg[DAL_ERROR_MESSAGE_SIZE];

	memcpy(msg, s->err.message, sizeof msg);
	msg[sizeof msg - 1] = '\0';
	snprintf(s->err.message, sizeof s->err.message, "row %zu: %.480s", row, msg);
}

static int execute_batch(dal_stmt *s, const dal_batch_column *cols, unsigned ncols,
                         size_t nrows, int64_t *affected, size_t *failed_row)
{
	struct source src = {s, cols};
	struct dal_batch b = {
		.nrows = nrows,
		.row = source_row,
		.source = &src,
		.failed_row = DAL_BATCH_ROW_UNKNOWN,
	};
	dal_value *vals;
	dal_conn *c;
	int rc, loop;

	if (affected)
		*affected = 0;
	if (failed_row)
		*failed_row = DAL_BATCH_ROW_UNKNOWN;
	if (!s)
		return DAL_EMISUSE;
	s->err.code = DAL_OK;
	if (!(c = s->conn))
		return dal_error_set(&s->err, DAL_EMISUSE, "HY010", 0,
		                     "the statement's connection was released (dal_conn_release() "
		                     "or dal_repo_close()); only dal_stmt_close() is allowed");
	if ((rc = check_columns(s, cols, ncols)) != DAL_OK)
		return rc;
	s->batched = 1;
	s->batch_affected = 0;
	if (nrows == 0)
		return DAL_OK;
	if (s->state != STMT_READY) {
		if ((rc = s->ops.reset.fn(s->ops.reset.h, &s->err)) != DAL_OK)
			return rc;
		s->state = STMT_READY;
	}
	b.npos = s->npos;
	if (!(vals = malloc((s->npos ? s->npos : 1) * sizeof *vals)))
		return dal_error_set(&s->err, DAL_ENOMEM, "HY001", 0, "out of memory");
	loop = !s->ops.execute_batch.fn;
	rc = attempt(s, &b, vals, loop, 0);
	/* The backend cannot batch this one after all (plugin.h). */
	if (rc == DAL_EUNSUPPORTED && !loop) {
		loop = 1;
		rc = attempt(s, &b, vals, 1, 0);
	}
	/* The backend could not say which row failed (MariaDB's bulk
	 * execution reports one error for all its rows): the batch was
	 * undone, so replay it row by row, undone again, to find the row.
	 * If the replay does not fail, the first error stands without a
	 * row. */
	if (rc != DAL_OK && b.failed_row == DAL_BATCH_ROW_UNKNOWN && !loop &&
	    !code_loses_connection(rc) && rc != DAL_ECANCELED && !c->broken) {
		dal_error first = s->err;

		s->ops.reset.fn(s->ops.reset.h, &s->err);
		if (attempt(s, &b, vals, 1, 1) != DAL_OK && b.failed_row != DAL_BATCH_ROW_UNKNOWN)
			rc = s->err.code;
		else
			s->err = first;
	}
	free(vals);
	{
		dal_error ignored;
		s->ops.reset.fn(s->ops.reset.h, &ignored);
	}
	s->state = STMT_READY;
	if (rc != DAL_OK) {
		if (code_loses_connection(rc))
			c->broken = 1;
		if (b.failed_row != DAL_BATCH_ROW_UNKNOWN)
			name_row(s, b.failed_row);
		if (failed_row)
			*failed_row = b.failed_row;
		error_copy(&c->err, &s->err);
		return rc;
	}
	s->batch_affected = b.affected;
	if (affected)
		*affected = b.affected;
	return DAL_OK;
}

/* The statement log sees a batch as one execution (stmtlog.c). */
int dal_stmt_execute_batch(dal_stmt *s, const dal_batch_column *cols, unsigned ncols,
                           size_t nrows, int64_t *affected, size_t *failed_row)
{
	uint64_t t0 = s && s->log ? clock_ns() : 0;
	int64_t n = 0;
	int rc = execute_batch(s, cols, ncols, nrows, &n, failed_row);

	if (affected)
		*affected = n;
	if (s && s->log && nrows)
		stmtlog_batch(s, rc, nrows, n, t0);
	return rc;
}

/* ---- pipelines ---------------------------------------------------------- */

int dal_conn_pipeline(dal_conn *c, dal_stmt *const *stmts, size_t n)
{
	dal_bstmt *small[16], **h = small;
	int rc;

	if (!c)
		return DAL_EMISUSE;
	c->err.code = DAL_OK;
	if (n && !stmts)
		return dal_error_set(&c->err, DAL_EMISUSE, "HY009", 0,
		                     "dal_conn_pipeline: stmts is NULL");
	for (size_t i = 0; i < n; i++) {
		dal_stmt *s = stmts[i];

		if (!s || s->conn != c)
			return dal_error_set(&c->err, DAL_EMISUSE, "HY010", 0,
			                     "dal_conn_pipeline: statement %zu %s", i,
			                     !s ? "is NULL" : "belongs to another connection "
			                                      "(or its connection was released)");
		if (s->state == STMT_ROW)
			return dal_error_set(&c->err, DAL_EMISUSE, "HY010", 0,
			                     "dal_conn_pipeline: statement %zu has unread rows; read "
			                     "them or reset it first", i);
	}
	/* Distinct: a mark per statement, set and cleared here (linear). */
	for (size_t i = 0; i < n; i++) {
		if (stmts[i]->in_pipeline) {
			size_t k = 0;

			while (stmts[k] != stmts[i])
				k++;
			for (size_t j = 0; j < i; j++)
				stmts[j]->in_pipeline = 0;
			return dal_error_set(&c->err, DAL_EMISUSE, "HY010", 0,
			                     "dal_conn_pipeline: statement %zu is also statement "
			                     "%zu; pipeline distinct statements", i, k);
		}
		stmts[i]->in_pipeline = 1;
	}
	for (size_t i = 0; i < n; i++)
		stmts[i]->in_pipeline = 0;
	for (size_t i = 0; i < n; i++) {
		dal_stmt *s = stmts[i];

		if (s->state != STMT_READY) {
			if ((rc = s->ops.reset.fn(s->ops.reset.h, &c->err)) != DAL_OK)
				return rc;
			s->state = STMT_READY;
		}
		s->batched = 0;
	}
	if (!n || !stmts[0]->ops.execute_pipelined.fn)
		return DAL_OK; /* each runs at its first step */
	if (n > 16 && !(h = malloc(n * sizeof *h)))
		return dal_error_set(&c->err, DAL_ENOMEM, "HY001", 0, "out of memory");
	for (size_t i = 0; i < n; i++)
		h[i] = stmts[i]->ops.execute_pipelined.h;
	__atomic_store_n(&c->cancel_pending, 0, __ATOMIC_RELAXED);
	rc = stmts[0]->ops.execute_pipelined.fn(h, n, &c->err);
	if (h != small)
		free(h);
	if (rc != DAL_OK) {
		rc = conn_canceled(c, rc, &c->err);
		if (code_loses_connection(rc))
			c->broken = 1;
	}
	return rc;
}
