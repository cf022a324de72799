/*
 * backend_mysql: batches (the execute_batch slot). On a MariaDB server the
 * rows go as arrays, one bulk execution (COM_STMT_BULK_EXECUTE, the
 * connector's STMT_ATTR_ARRAY_SIZE with column-wise binding) per chunk: a
 * chunk is as many rows as fit under the server's max_allowed_packet (read
 * once per connection), so a batch of any size is sent in a few requests
 * and the server refuses none as too large. On a server without bulk
 * execution (MySQL), and for a statement the server runs only one row at a
 * time (CALL: error 1295, before any row), the slot declines
 * (DAL_EUNSUPPORTED, nothing applied) and the core binds and executes row
 * by row.
 * All in one transaction: ours (BEGIN, COMMIT) with autocommit, else the
 * core's.
 *
 * A bulk execution that fails says only that it failed, not at which row:
 * the slot then reports the row as unknown and the core, after rolling
 * back, replays the rows one at a time to find it (plugin.h).
 *
 * The arrays point at the core's values, which stay valid for the whole
 * call: no text or blob is copied. They are allocated once per call, for
 * the largest chunk.
 */
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdlib.h>
#include <string.h>

#include "mysql_int.h"

/* Rows per bulk execution at most, whatever their size. */
#define CHUNK_ROWS 8192
/* Room kept under max_allowed_packet for the command's header and the
 * parameter types. */
#define PACKET_MARGIN 4096

/* One parameter's arrays for a chunk. Which value array is used depends on
 * the chunk's type of the parameter. */
struct column {
	enum enum_field_types type;
	long long *i;       /* LONGLONG */
	double *d;          /* DOUBLE */
	signed char *b;     /* TINY (bool) */
	const char **p;     /* STRING, BLOB: pointers into the core's values */
	unsigned long *len;
	char *ind;          /* STMT_INDICATOR_NULL or _NONE, per row */
};

static enum enum_field_types field_type_of(dal_type t)
{
	switch (t) {
	case DAL_TYPE_INT64:
		return MYSQL_TYPE_LONGLONG;
	case DAL_TYPE_DOUBLE:
		return MYSQL_TYPE_DOUBLE;
	case DAL_TYPE_BOOL:
		return MYSQL_TYPE_TINY;
	case DAL_TYPE_TEXT:
		return MYSQL_TYPE_STRING;
	case DAL_TYPE_BLOB:
		return MYSQL_TYPE_BLOB;
	default:
		return MYSQL_TYPE_NULL;
	}
}

/* The bytes a value takes in the bulk request: an indicator byte, then the
 * value (a length-encoded string takes up to 9 bytes of length). */
static size_t wire_size(const dal_value *v)
{
	switch (v->type) {
	case DAL_TYPE_TEXT:
	case DAL_TYPE_BLOB:
		return 1 + 9 + v->u.b.len;
	case DAL_TYPE_NULL:
		return 1;
	default:
		return 1 + 8;
	}
}

/* max_allowed_packet of the server, read once per connection. */
static int packet_limit(struct dal_bconn *c, unsigned long *out, dal_error *err)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (!c->max_packet) {
		my_running(c);
		if (mysql_query(c->my, "SELECT @@max_allowed_packet")) {
			my_idle(c);
			return my_report_conn(err, c, MY_NO_EFFECT, "batch (max_allowed_packet)");
		}
		res = mysql_store_result(c->my);
		my_idle(c);
		if (!res)
			return my_report_conn(err, c, MY_NO_EFFECT, "batch (max_allowed_packet)");
		row = mysql_fetch_row(res);
		c->max_packet = row && row[0] ? strtoul(row[0], NULL, 10) : 0;
		mysql_free_result(res);
		if (c->max_packet < 2 * PACKET_MARGIN)
			c->max_packet = 2 * PACKET_MARGIN;
	}
	*out = c->max_packet - PACKET_MARGIN;
	return DAL_OK;
}

static int bulk_supported(struct dal_bconn *c)
{
	unsigned long caps = 0, ext = 0;

	if (mariadb_get_infov(c->my, MARIADB_CONNECTION_SERVER_CAPABILITIES, &caps) ||
	    mariadb_get_infov(c->my, MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &ext))
		return 0;
	return !(caps & CLIENT_MYSQL) && (ext & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32));
}

static void columns_free(struct column *cols, unsigned n)
{
	for (unsigned i = 0; cols && i < n; i++) {
		free(cols[i].i);
		free(cols[i].d);
		free(cols[i].b);
		free(cols[i].p);
		free(cols[i].len);
		free(cols[i].ind);
	}
	free(cols);
}

static struct column *columns_new(unsigned n, size_t rows)
{
	struct column *cols = calloc(n ? n : 1, sizeof *cols);

	for (unsigned i = 0; cols && i < n; i++) {
		struct column *k = &cols[i];

		k->i = malloc(rows * sizeof *k->i);
		k->d = malloc(rows * sizeof *k->d);
		k->b = malloc(rows * sizeof *k->b);
		k->p = malloc(rows * sizeof *k->p);
		k->len = malloc(rows * sizeof *k->len);
		k->ind = malloc(rows);
		if (!k->i || !k->d || !k->b || !k->p || !k->len || !k->ind) {
			columns_free(cols, n);
			return NULL;
		}
	}
	return cols;
}

/* Put value v into row j of column k, whose type the chunk has fixed. */
static void put(struct column *k, size_t j, const dal_value *v)
{
	if (v->type == DAL_TYPE_NULL) {
		k->ind[j] = STMT_INDICATOR_NULL;
		return;
	}
	k->ind[j] = STMT_INDICATOR_NONE;
	switch (v->type) {
	case DAL_TYPE_INT64:
		k->i[j] = v->u.i;
		break;
	case DAL_TYPE_DOUBLE:
		k->d[j] = v->u.d;
		break;
	case DAL_TYPE_BOOL:
		k->b[j] = v->u.i != 0;
		break;
	default:
		k->p[j] = v->u.b.ptr ? v->u.b.ptr : "";
		k->len[j] = (unsigned long)v->u.b.len;
		break;
	}
}

/* Run one chunk of n rows as one bulk execution. */
static int run_chunk(struct dal_bstmt *s, struct column *cols, MYSQL_BIND *binds, size_t n,
                     int64_t *affected, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	unsigned int size = (unsigned int)n;

	for (unsigned i = 0; i < s->nparams; i++) {
		struct column *k = &cols[i];
		MYSQL_BIND *b = &binds[i];

		memset(b, 0, sizeof *b);
		b->buffer_type = k->type;
		b->u.indicator = k->ind;
		switch (k->type) {
		case MYSQL_TYPE_LONGLONG:
			b->buffer = k->i;
			break;
		case MYSQL_TYPE_DOUBLE:
			b->buffer = k->d;
			break;
		case MYSQL_TYPE_TINY:
			b->buffer = k->b;
			break;
		case MYSQL_TYPE_STRING:
		case MYSQL_TYPE_BLOB:
			b->buffer = (void *)k->p;
			b->length = k->len;
			break;
		default:
			break;
		}
	}
	if (mysql_stmt_attr_set(s->st, STMT_ATTR_ARRAY_SIZE, &size) ||
	    (s->nparams && mysql_stmt_bind_param(s->st, binds)))
		return my_report_stmt(err, s, MY_NO_EFFECT, "batch (binding the arrays)");
	if (my_gone(c))
		return my_report_gone(err, c, "batch");
	my_running(c);
	if (mysql_stmt_execute(s->st)) {
		my_idle(c);
		/* Some statements (CALL) run in the prepared-statement protocol
		 * but not in bulk; the server refuses before running any row:
		 * decline, and the core runs the rows one at a time. */
		if (mysql_stmt_errno(s->st) == ER_UNSUPPORTED_PS)
			return dal_error_set(err, DAL_EUNSUPPORTED, "0A000", ER_UNSUPPORTED_PS,
			                     "batch: mysql server %s runs this statement only one "
			                     "row at a time: %s", c->where, mysql_stmt_error(s->st));
		return my_report_stmt(err, s, MY_REQUEST, "batch");
	}
	*affected += (int64_t)mysql_stmt_affected_rows(s->st);
	my_note_insert_id(c, mysql_stmt_insert_id(s->st));
	if (mysql_stmt_more_results(s->st) || mysql_stmt_field_count(s->st)) {
		s->has_result = 1;
		my_discard_result(s, NULL);
	}
	my_idle(c);
	return DAL_OK;
}

int my_execute_batch(dal_bstmt *s, struct dal_batch *b, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	dal_value *vals, *next = NULL;
	struct column *cols = NULL;
	MYSQL_BIND *binds = NULL;
	unsigned long limit = 0;
	size_t r = 0, cap;
	unsigned int zero = 0;
	int rc;

	if (c->active)
		return my_busy(err, "batch");
	if (s->has_result && (rc = my_discard_result(s, err)))
		return rc;
	/* vals: the row being placed; next: a row read ahead that did not fit
	 * the chunk. */
	if (!(vals = malloc(2 * (b->npos ? b->npos : 1) * sizeof *vals)))
		return my_oom(err, "batch");
	next = vals + (b->npos ? b->npos : 1);
	/* No bulk execution on this server (MySQL): the core's loop. */
	if (!bulk_supported(c)) {
		free(vals);
		return dal_error_set(err, DAL_EUNSUPPORTED, "0A000", 0,
		                     "batch: the server has no bulk execution");
	}
	if (b->autocommit && (rc = my_begin(c, err)) != DAL_OK) {
		free(vals);
		return rc;
	}
	if ((rc = packet_limit(c, &limit, err)) != DAL_OK)
		goto out;
	cap = b->nrows < CHUNK_ROWS ? b->nrows : CHUNK_ROWS;
	if (!(cols = columns_new(s->nparams, cap)) ||
	    !(binds = calloc(s->nparams ? s->nparams : 1, sizeof *binds))) {
		rc = my_oom(err, "batch");
		goto out;
	}
	b->row(b, 0, next);
	while (r < b->nrows) {
		size_t n = 0, bytes = 0, first = r;

		/* A chunk: rows while they fit and keep each parameter's type
		 * (a NULL fits any). */
		for (unsigned i = 0; i < s->nparams; i++)
			cols[i].type = MYSQL_TYPE_NULL;
		while (r < b->nrows && n < cap) {
			size_t row_bytes = 0;
			int fits = 1;

			memcpy(vals, next, b->npos * sizeof *vals);
			for (unsigned i = 0; i < b->npos; i++) {
				enum enum_field_types t = field_type_of(vals[i].type);

				row_bytes += wire_size(&vals[i]);
				if (t != MYSQL_TYPE_NULL && cols[i].type != MYSQL_TYPE_NULL &&
				    cols[i].type != t)
					fits = 0;
			}
			if (n && (!fits || bytes + row_bytes > limit))
				break;
			for (unsigned i = 0; i < b->npos; i++) {
				if (vals[i].type != DAL_TYPE_NULL)
					cols[i].type = field_type_of(vals[i].type);
				put(&cols[i], n, &vals[i]);
			}
			bytes += row_bytes;
			n++;
			if (++r < b->nrows)
				b->row(b, r, next);
		}
		if ((rc = run_chunk(s, cols, binds, n, &b->affected, err)) != DAL_OK) {
			/* Which row of the chunk failed, the server does not
			 * say; a chunk of one row is that row. */
			b->failed_row = n == 1 ? first : DAL_BATCH_ROW_UNKNOWN;
			goto out;
		}
	}
out:
	if (b->autocommit) {
		if (rc == DAL_OK) {
			if ((rc = my_commit(c, err)) != DAL_OK)
				b->failed_row = DAL_BATCH_ROW_UNKNOWN;
		} else if (!c->active) {
			dal_error ignored;
			my_rollback(c, &ignored);
		}
	}
	/* Back to single-row executions: the next one binds s->pbind again. */
	mysql_stmt_attr_set(s->st, STMT_ATTR_ARRAY_SIZE, &zero);
	s->pdirty = 1;
	s->state = ST_READY;
	columns_free(cols, s->nparams);
	free(binds);
	free(vals);
	return rc;
}
