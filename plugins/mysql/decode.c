/*
 * backend_mysql: result columns. Decides how each column is bound (its
 * kind), binds the result buffers, fetches rows and decodes their values,
 * and hands out column values and names. When a statement executes, and
 * what may use the connection meanwhile, is stmt.c's.
 *
 * Fetch path: each result column is bound once to a buffer owned by the
 * statement (a fixed inline buffer for text and blobs); a value longer than
 * that is fetched whole into a per-column overflow buffer that only grows.
 * Numbers land directly in the dal_value that column_value() hands out, so
 * per row only text, blob and BIGINT UNSIGNED columns need any work. Nothing
 * is allocated per row.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql_int.h"

/* Bytes of the inline buffer bound to a text or blob column. Longer values
 * go to the column's overflow buffer, so this only trades memory per
 * statement against a second copy for long values. */
#define INLINE_MAX 4096
#define INLINE_MIN 64

/* ------------------------------------------------------------------------ */
/* Result binding                                                           */
/* ------------------------------------------------------------------------ */

static enum col_kind kind_of(const MYSQL_FIELD *f)
{
	switch (f->type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		return f->flags & UNSIGNED_FLAG ? K_U64 : K_I64;
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return K_DOUBLE;
	case MYSQL_TYPE_BIT:
	case MYSQL_TYPE_GEOMETRY:
		return K_BLOB;
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
	case MYSQL_TYPE_STRING:
		/* Charset 63 is "binary": BINARY, VARBINARY and BLOB columns. */
		return f->charsetnr == 63 ? K_BLOB : K_TEXT;
	default:
		/* DECIMAL (exact, so as text), dates and times (converted to
		 * text by the connector), JSON, ENUM, SET, NULL. */
		return K_TEXT;
	}
}

/* Bind column i for the metadata f. Inline buffers are allocated once and
 * kept across rebinds. */
int my_bind_column(struct dal_bstmt *s, unsigned i, const MYSQL_FIELD *f)
{
	struct col *col = &s->cols[i];
	dal_value *val = &s->cells[i].val;
	MYSQL_BIND *b = &s->rbind[i];

	col->kind = kind_of(f);
	col->ftype = f->type;
	col->charsetnr = f->charsetnr;
	col->flags = f->flags;
	memset(val, 0, sizeof *val);
	memset(b, 0, sizeof *b);
	b->is_null = &s->cells[i].is_null;
	b->error = &col->error;
	b->length = &col->length;
	switch (col->kind) {
	case K_I64:
		val->type = DAL_TYPE_INT64;
		b->buffer_type = MYSQL_TYPE_LONGLONG;
		b->buffer = &val->u.i;
		break;
	case K_U64:
		/* Own buffer: a value beyond INT64_MAX turns val into text. */
		val->type = DAL_TYPE_INT64;
		b->buffer_type = MYSQL_TYPE_LONGLONG;
		b->buffer = &col->u;
		b->is_unsigned = 1;
		break;
	case K_DOUBLE:
		val->type = DAL_TYPE_DOUBLE;
		b->buffer_type = MYSQL_TYPE_DOUBLE;
		b->buffer = &val->u.d;
		break;
	case K_TEXT:
	case K_BLOB:
		if (!col->inl) {
			unsigned long want = f->length;

			if (want < INLINE_MIN)
				want = INLINE_MIN;
			if (want > INLINE_MAX)
				want = INLINE_MAX;
			if (!(col->inl = malloc(want + 1)))
				return -1;
			col->inl_cap = want;
		}
		val->type = col->kind == K_TEXT ? DAL_TYPE_TEXT : DAL_TYPE_BLOB;
		b->buffer_type = col->kind == K_TEXT ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
		b->buffer = col->inl;
		b->buffer_length = col->inl_cap;
		break;
	}
	return 0;
}

/* List the columns whose value needs work after each fetch, so that a row
 * of numbers costs nothing beyond the connector's own decoding. */
void my_list_perrow(struct dal_bstmt *s)
{
	s->nperrow = 0;
	for (unsigned i = 0; i < s->ncols; i++)
		if (s->cols[i].kind != K_I64 && s->cols[i].kind != K_DOUBLE)
			s->perrow[s->nperrow++] = i;
}

int my_copy_names(struct dal_bstmt *s, const MYSQL_FIELD *f)
{
	size_t size = s->ncols * sizeof(char *);
	char *p;

	for (unsigned i = 0; i < s->ncols; i++)
		size += f[i].name_length + 1;
	if (!(s->names = malloc(size)))
		return -1;
	p = (char *)(s->names + s->ncols);
	for (unsigned i = 0; i < s->ncols; i++) {
		memcpy(p, f[i].name ? f[i].name : "", f[i].name_length);
		p[f[i].name_length] = '\0';
		s->names[i] = p;
		p += f[i].name_length + 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Fetching                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Column i's value of the current row is longer than its inline buffer (the
 * connector flagged it as truncated): fetch it again, whole, into the
 * column's overflow buffer, which only grows.
 */
static NOINLINE int fetch_long(struct dal_bstmt *s, unsigned i, dal_error *err)
{
	struct col *col = &s->cols[i];
	size_t need = (size_t)col->length + 1;
	MYSQL_BIND b;
	unsigned long len;
	my_bool is_null, trunc;

	if (need > col->big_cap) {
		size_t cap = col->big_cap ? col->big_cap : 2 * INLINE_MAX;

		while (cap < need)
			cap *= 2;
		/* No old contents to keep: free + malloc avoids a copy. */
		free(col->big);
		col->big_cap = 0;
		if (!(col->big = malloc(cap)))
			return my_oom(err, "step (long column value)");
		col->big_cap = cap;
	}
	memset(&b, 0, sizeof b);
	b.buffer_type = s->rbind[i].buffer_type;
	b.buffer = col->big;
	b.buffer_length = col->length;
	b.length = &len;
	b.is_null = &is_null;
	b.error = &trunc;
	if (mysql_stmt_fetch_column(s->st, &b, i, 0))
		return my_report_stmt(err, s, MY_RESULT, "step (long column value)");
	col->big[col->length] = '\0';
	s->cells[i].val.u.b.ptr = col->big;
	return DAL_OK;
}

/* BIGINT UNSIGNED: an int64 when it fits, else exact as text rather than
 * wrapped. */
static void finish_u64(struct col *col, dal_value *val)
{
	if (col->u <= (unsigned long long)INT64_MAX) {
		val->type = DAL_TYPE_INT64;
		val->u.i = (int64_t)col->u;
	} else {
		int w = snprintf(col->u64text, sizeof col->u64text, "%llu", col->u);

		val->type = DAL_TYPE_TEXT;
		val->u.b.ptr = col->u64text;
		val->u.b.len = (size_t)w;
	}
}

/* A fetched row: point each text/blob column's value at its bytes, NUL
 * terminated, and give BIGINT UNSIGNED its representation. */
static int finish_row(struct dal_bstmt *s, dal_error *err)
{
	/* Locals: the NUL stores below may alias anything, so fields of s
	 * would be reloaded on every pass. */
	const unsigned *perrow = s->perrow, n = s->nperrow;
	struct col *cols = s->cols;
	struct cell *cells = s->cells;
	int rc;

	for (unsigned k = 0; k < n; k++) {
		unsigned i = perrow[k];
		struct col *col = &cols[i];
		dal_value *val = &cells[i].val;

		if (cells[i].is_null)
			continue;
		if (col->kind == K_U64) {
			finish_u64(col, val);
			continue;
		}
		val->u.b.len = col->length;
		if (col->length <= col->inl_cap) {
			col->inl[col->length] = '\0';
			val->u.b.ptr = col->inl;
		} else if ((rc = fetch_long(s, i, err))) {
			return rc;
		}
	}
	return DAL_OK;
}

int my_fetch(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	int rc = mysql_stmt_fetch(s->st);

	if (rc == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if ((rc = finish_row(s, err))) {
			my_discard_result(s, NULL);
			s->state = ST_FAILED;
			return rc;
		}
		s->state = ST_ROW;
		return DAL_ROW;
	}
	if (rc == MYSQL_NO_DATA) {
		/* A streamed result read to its end leaves the connector ready
		 * for the next command; only further result sets (CALL) or a
		 * stored result's memory need my_discard_result(). */
		if (c->active == s && !mysql_stmt_more_results(s->st)) {
			s->has_result = 0;
			my_release_active(c);
			s->state = ST_DONE;
			return DAL_DONE;
		}
		rc = my_discard_result(s, err);
		s->state = rc ? ST_FAILED : ST_DONE;
		return rc ? rc : DAL_DONE;
	}
	rc = my_report_stmt(err, s, MY_RESULT, "step");
	/* After a failed fetch the rest of the result cannot be trusted; the
	 * connection is either lost or back in command state: a server error
	 * (KILL QUERY, max_statement_time) takes the place of the rest of the
	 * rows, and the connector is ready for the next command. */
	if (c->active == s)
		my_release_active(c);
	s->state = ST_FAILED;
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Column values                                                            */
/* ------------------------------------------------------------------------ */

unsigned my_column_count(dal_bstmt *s)
{
	return s->ncols;
}

const char *my_column_name(dal_bstmt *s, unsigned col)
{
	return col < s->ncols ? s->names[col] : NULL;
}

void my_column_value(dal_bstmt *s, unsigned i, dal_value *out)
{
	const struct cell *cell = &s->cells[i];

	if (cell->is_null)
		out->type = DAL_TYPE_NULL;
	else
		*out = cell->val;
}
