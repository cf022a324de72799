/*
 * The copy layer's row mover: streams one table's rows from the source in
 * primary key order (after the last committed key when resuming) and
 * writes them to the target in batched transactions of multi-row INSERTs
 * whose values are bound parameters, never spliced into the SQL. Each
 * batch's transaction also moves the table's row in dal_copy_state to the
 * batch's last key, so that the state never disagrees with the rows
 * committed: an interrupted copy resumes after that key without
 * duplicating or losing a row.
 *
 * Why multi-row INSERT: it is reachable through the public API on every
 * backend (a third party's too) and cuts the round trips per row by the
 * rows per statement; a bulk protocol (PostgreSQL COPY) would need a new
 * driver slot. docs/copy.md and bench/RESULTS.md give the figures.
 *
 * Nothing is allocated per row: values go from the source statement's
 * column getters straight into the target statement's binds (which copy
 * them), and keys are encoded once per batch into a reused buffer.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy_run.h"

/* Bound parameters per INSERT: below SQLite's default limit of 32,766 and
 * the servers' 65,535. More rows per statement means fewer round trips
 * (bench/RESULTS.md, "dal copy"). */
#define MAX_PARAMS 30000u
#define MAX_ROWS_PER_INSERT 10000u
/* Bytes of text and blobs per INSERT: a statement must stay below the
 * server's packet limit (MariaDB's max_allowed_packet is 16 MiB by
 * default). Rows of large values lower the rows per INSERT for the rest
 * of the table. */
#define MAX_INSERT_BYTES (4u << 20)

/* ------------------------------------------------------------------------ */
/* Keys                                                                      */
/* ------------------------------------------------------------------------ */

static void hex(struct strbuf *b, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char two[2] = { digits[p[i] >> 4], digits[p[i] & 15] };

		sb_append(b, two, 2);
	}
}

/*
 * Encode the primary key of st's current row for dal_copy_state:
 * per key column a tag, ':', the value, ';'. Tags: i (decimal integer),
 * d (double, %.17g), t (text, hex of its bytes), x (blob, hex), n (NULL).
 */
void copy_key_encode(struct strbuf *b, dal_stmt *st, const struct copy_table *t)
{
	b->len = 0;
	sb_append(b, "", 0);
	for (unsigned k = 0; k < t->npk; k++) {
		unsigned col = t->pk[k];
		const void *p;
		size_t n;

		switch (dal_stmt_column_type(st, col)) {
		case DAL_TYPE_NULL:
			sb_puts(b, "n:");
			break;
		case DAL_TYPE_INT64:
		case DAL_TYPE_BOOL:
			sb_printf(b, "i:%" PRId64, dal_stmt_column_int64(st, col));
			break;
		case DAL_TYPE_DOUBLE:
			sb_printf(b, "d:%.17g", dal_stmt_column_double(st, col));
			break;
		case DAL_TYPE_BLOB:
			p = dal_stmt_column_blob(st, col, &n);
			sb_puts(b, "x:");
			hex(b, p, p ? n : 0);
			break;
		default:
			p = dal_stmt_column_text(st, col, &n);
			sb_puts(b, "t:");
			hex(b, p, p ? n : 0);
			break;
		}
		sb_puts(b, ";");
	}
}

static int unhex(const char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + (size_t)k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* Bind an encoded key to parameters first.. of st. Returns DAL_OK, or
 * DAL_EDATA for a key this layer did not write. */
static int key_bind(dal_stmt *st, unsigned first, const char *key, unsigned npk,
                    const char *table, dal_error *err)
{
	const char *p = key;

	for (unsigned k = 0; k < npk; k++) {
		const char *end = strchr(p, ';');
		size_t n;
		int rc;

		if (!end || end - p < 2 || p[1] != ':')
			return copy_err(err, DAL_EDATA, "copy: table %s: the resume key in %s "
			                "is not one this copy wrote ('%.40s')", table,
			                DAL_COPY_STATE_TABLE, key);
		n = (size_t)(end - p - 2);
		switch (p[0]) {
		case 'n':
			rc = dal_stmt_bind_null(st, first + k);
			break;
		case 'i':
			rc = dal_stmt_bind_int64(st, first + k, strtoll(p + 2, NULL, 10));
			break;
		case 'd':
			rc = dal_stmt_bind_double(st, first + k, strtod(p + 2, NULL));
			break;
		case 't':
		case 'x': {
			unsigned char *buf = malloc(n / 2 + 1);

			if (!buf)
				return copy_err(err, DAL_ENOMEM, "copy: out of memory");
			if ((n & 1) || unhex(p + 2, n, buf)) {
				free(buf);
				return copy_err(err, DAL_EDATA, "copy: table %s: bad resume key "
				                "in %s", table, DAL_COPY_STATE_TABLE);
			}
			rc = p[0] == 't' ? dal_stmt_bind_text(st, first + k, (char *)buf,
			                                      (ptrdiff_t)(n / 2))
			                 : dal_stmt_bind_blob(st, first + k, buf, n / 2);
			free(buf);
			break;
		}
		default:
			return copy_err(err, DAL_EDATA, "copy: table %s: bad resume key in %s",
			                table, DAL_COPY_STATE_TABLE);
		}
		if (rc != DAL_OK)
			return copy_err_from(err, dal_stmt_error(st), "copy: table %s: "
			                     "binding the resume key", table);
		p = end + 1;
	}
	return DAL_OK;
}

/* The key of st's current row as text for a message: "id=42". */
static void key_show(char *buf, size_t size, dal_stmt *st, const struct copy_table *t)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!t->npk) {
		snprintf(buf, size, "(no primary key)");
		return;
	}
	for (unsigned k = 0; k < t->npk && used < size; k++) {
		const char *v = dal_stmt_column_text(st, t->pk[k], NULL);
		int n = snprintf(buf + used, size - used, "%s%s=%.40s", k ? ", " : "",
		                 t->cols[t->pk[k]].name, v ? v : "NULL");

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* ------------------------------------------------------------------------ */
/* Statements                                                                */
/* ------------------------------------------------------------------------ */

static int select_rows(struct copy_run *run, const struct copy_table *t,
                       const char *resume_key, dal_stmt **out, dal_error *err)
{
	const char *q = dal_repo_ident_quote(run->from);
	struct strbuf b = { 0 };
	int rc;

	sb_puts(&b, "SELECT ");
	for (unsigned i = 0; i < t->ncols; i++) {
		sb_puts(&b, i ? ", " : "");
		copy_quote(&b, q, t->cols[i].name);
	}
	sb_puts(&b, " FROM ");
	copy_quote(&b, q, t->name);
	if (resume_key && t->npk) {
		/* Row-value comparison: the order of ORDER BY below, on the
		 * source's own collation. */
		sb_puts(&b, t->npk > 1 ? " WHERE (" : " WHERE ");
		for (unsigned k = 0; k < t->npk; k++) {
			sb_puts(&b, k ? ", " : "");
			copy_quote(&b, q, t->cols[t->pk[k]].name);
		}
		sb_puts(&b, t->npk > 1 ? ") > (" : " > ");
		for (unsigned k = 0; k < t->npk; k++)
			sb_puts(&b, k ? ", ?" : "?");
		sb_puts(&b, t->npk > 1 ? ")" : "");
	}
	if (t->npk) {
		sb_puts(&b, " ORDER BY ");
		for (unsigned k = 0; k < t->npk; k++) {
			sb_puts(&b, k ? ", " : "");
			copy_quote(&b, q, t->cols[t->pk[k]].name);
		}
	}
	if (b.failed)
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");
	rc = dal_stmt_prepare(run->src, b.data, out);
	sb_free(&b);
	if (rc != DAL_OK)
		return copy_err_from(err, dal_conn_error(run->src), "copy: table %s: "
		                     "reading the source", t->name);
	if (resume_key && t->npk &&
	    (rc = key_bind(*out, 1, resume_key, t->npk, t->name, err)) != DAL_OK) {
		dal_stmt_close(*out);
		*out = NULL;
	}
	return rc;
}

/* Prepare "INSERT INTO t (cols) VALUES (?, ...), ..." for nrows rows. */
static int insert_stmt(struct copy_run *run, const struct copy_table *t, unsigned nrows,
                       dal_stmt **out, dal_error *err)
{
	const char *q = dal_repo_ident_quote(run->to);
	struct strbuf b = { 0 };
	int rc;

	sb_puts(&b, "INSERT INTO ");
	copy_quote(&b, q, t->name);
	sb_puts(&b, " (");
	for (unsigned i = 0; i < t->ncols; i++) {
		sb_puts(&b, i ? ", " : "");
		copy_quote(&b, q, t->cols[i].name);
	}
	sb_puts(&b, ") VALUES ");
	for (unsigned r = 0; r < nrows; r++) {
		sb_puts(&b, r ? ", (" : "(");
		for (unsigned i = 0; i < t->ncols; i++)
			sb_puts(&b, i ? ", ?" : "?");
		sb_puts(&b, ")");
	}
	if (b.failed)
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");
	rc = dal_stmt_prepare(run->dst, b.data, out);
	sb_free(&b);
	if (rc != DAL_OK)
		return copy_err_from(err, dal_conn_error(run->dst), "copy: table %s: "
		                     "preparing the INSERT", t->name);
	return DAL_OK;
}

/*
 * The rows of one INSERT, kept between the source's steps: a value per
 * parameter and one byte arena for text and blobs. Both are reused from
 * INSERT to INSERT and grow only to the largest seen, so nothing is
 * allocated per row. They let the last, shorter INSERT of a batch or of
 * the table bind its rows to a statement of their size.
 */
struct cell {
	dal_type type;
	int64_t i;
	double d;
	size_t off, len; /* TEXT, BLOB: in the arena */
};

struct mover {
	struct copy_run *run;
	const struct copy_table *t;
	dal_stmt *src, *full, *tail;
	unsigned per_insert; /* rows of `full` */
	unsigned tail_rows;  /* rows of `tail`, 0 when none is prepared */
	unsigned pending;    /* rows kept in cells */
	struct cell *cells;  /* per_insert * ncols */
	char *arena;
	size_t arena_len, arena_cap;
	int nomem;
	char first_key[160]; /* of the pending rows, for messages */
};

static void keep_bytes(struct mover *m, struct cell *c, dal_type type, const void *p,
                       size_t n)
{
	if (m->arena_len + n + 1 > m->arena_cap) {
		size_t cap = m->arena_cap ? m->arena_cap : 65536;
		char *a;

		while (cap < m->arena_len + n + 1)
			cap *= 2;
		if (!(a = realloc(m->arena, cap))) {
			m->nomem = 1;
			return;
		}
		m->arena = a;
		m->arena_cap = cap;
	}
	c->type = type;
	c->off = m->arena_len;
	c->len = n;
	if (n)
		memcpy(m->arena + m->arena_len, p, n);
	m->arena[m->arena_len + n] = '\0';
	m->arena_len += n + 1;
}

/* Keep column i of src's current row, converted for the column's class
 * (docs/copy.md). */
static void keep_value(struct mover *m, struct cell *c, unsigned i, enum copy_class cls)
{
	dal_stmt *src = m->src;
	dal_type type = dal_stmt_column_type(src, i);
	const void *p;
	size_t n;

	c->type = type;
	if (type == DAL_TYPE_NULL)
		return;
	switch (cls) {
	case CC_BOOL:
		c->type = DAL_TYPE_BOOL;
		c->i = dal_stmt_column_bool(src, i);
		return;
	case CC_INT:
		if (type == DAL_TYPE_INT64 || type == DAL_TYPE_BOOL) {
			c->type = DAL_TYPE_INT64;
			c->i = dal_stmt_column_int64(src, i);
			return;
		}
		break;
	case CC_DOUBLE:
		if (type == DAL_TYPE_INT64 || type == DAL_TYPE_DOUBLE) {
			c->type = DAL_TYPE_DOUBLE;
			c->d = dal_stmt_column_double(src, i);
			return;
		}
		break;
	case CC_BLOB:
		p = dal_stmt_column_blob(src, i, &n);
		keep_bytes(m, c, DAL_TYPE_BLOB, p, p ? n : 0);
		return;
	default:
		break;
	}
	/* Text classes, and a value of another type than its column's (SQLite
	 * keeps what it is given): as text, for the target to convert or
	 * refuse as it would a literal. */
	p = dal_stmt_column_text(src, i, &n);
	keep_bytes(m, c, DAL_TYPE_TEXT, p, p ? n : 0);
}

static int bind_cell(dal_stmt *st, unsigned idx, const struct cell *c, const char *arena)
{
	switch (c->type) {
	case DAL_TYPE_NULL:
		return dal_stmt_bind_null(st, idx);
	case DAL_TYPE_INT64:
		return dal_stmt_bind_int64(st, idx, c->i);
	case DAL_TYPE_BOOL:
		return dal_stmt_bind_bool(st, idx, (int)c->i);
	case DAL_TYPE_DOUBLE:
		return dal_stmt_bind_double(st, idx, c->d);
	case DAL_TYPE_BLOB:
		return dal_stmt_bind_blob(st, idx, arena + c->off, c->len);
	default:
		return dal_stmt_bind_text(st, idx, arena + c->off, (ptrdiff_t)c->len);
	}
}

/* ------------------------------------------------------------------------ */
/* The copy loop                                                             */
/* ------------------------------------------------------------------------ */

/* Insert the pending rows: with `full`, or with a statement of their
 * number (the last INSERT of a batch or of the table). */
static int flush(struct mover *m, int at_end, dal_error *err)
{
	const struct copy_table *t = m->t;
	dal_stmt *st = m->full;
	unsigned n = m->pending * t->ncols;
	int rc;

	if (!m->pending)
		return DAL_OK;
	if (m->pending < m->per_insert) {
		if (m->tail_rows != m->pending) {
			dal_stmt_close(m->tail);
			m->tail = NULL;
			m->tail_rows = 0;
			if ((rc = insert_stmt(m->run, t, m->pending, &m->tail, err)) != DAL_OK)
				return rc;
			m->tail_rows = m->pending;
		}
		st = m->tail;
	}
	for (unsigned k = 0; k < n; k++) {
		if (bind_cell(st, k + 1, &m->cells[k], m->arena) != DAL_OK)
			return copy_err_from(err, dal_stmt_error(st), "copy: table %s: binding "
			                     "column %s", t->name, t->cols[k % t->ncols].name);
	}
	rc = dal_stmt_step(st);
	if (rc != DAL_DONE) {
		char last[160];

		if (at_end)
			snprintf(last, sizeof last, "the end of the table");
		else
			key_show(last, sizeof last, m->src, t);
		return copy_err_from(err, dal_stmt_error(st), "copy: table %s: the target "
		                     "refused the rows from %s to %s", t->name, m->first_key,
		                     last);
	}
	dal_stmt_reset(st);
	m->pending = 0;
	m->arena_len = 0;
	return DAL_OK;
}

static int begin(struct copy_run *run, const char *table, dal_error *err)
{
	if (dal_conn_begin(run->dst) != DAL_OK)
		return copy_err_from(err, dal_conn_error(run->dst), "copy: table %s: begin",
		                     table);
	return DAL_OK;
}

/* Record progress in dal_copy_state and commit the batch. */
static int commit_batch(struct copy_run *run, const struct copy_table *t, const char *key,
                        int64_t rows, int done, dal_error *err)
{
	int rc = copy_state_update(run, t->name, key, rows, done, err);

	if (rc != DAL_OK) {
		dal_conn_rollback(run->dst);
		return rc;
	}
	if (dal_conn_commit(run->dst) != DAL_OK)
		return copy_err_from(err, dal_conn_error(run->dst), "copy: table %s: commit",
		                     t->name);
	return DAL_OK;
}

int copy_rows(struct copy_run *run, const struct copy_table *t, unsigned index,
              dal_error *err)
{
	struct mover m = { .run = run, .t = t };
	struct strbuf key = { 0 };
	unsigned batch = run->batch, in_batch = 0;
	uint64_t start = copy_now_ns();
	int64_t done_rows = run->rows_done, run_rows = 0;
	int rc, step;

	m.per_insert = MAX_PARAMS / (t->ncols ? t->ncols : 1);
	if (m.per_insert > MAX_ROWS_PER_INSERT)
		m.per_insert = MAX_ROWS_PER_INSERT;
	if (m.per_insert > batch)
		m.per_insert = batch;
	if (m.per_insert == 0)
		m.per_insert = 1;
	/* Split a batch evenly (10,000 rows: two INSERTs of 5,000, not 7,500
	 * and 2,500): one prepared statement serves every full batch. */
	{
		unsigned parts = (batch + m.per_insert - 1) / m.per_insert;

		m.per_insert = (batch + parts - 1) / parts;
	}
	if (!(m.cells = calloc((size_t)m.per_insert * t->ncols, sizeof *m.cells)))
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");

	copy_report(run, DAL_COPY_TABLE_START, t->name, index, done_rows, 0, start);
	if ((rc = select_rows(run, t, run->resume_key, &m.src, err)) != DAL_OK)
		goto out;
	if ((rc = insert_stmt(run, t, m.per_insert, &m.full, err)) != DAL_OK)
		goto out;
	if ((rc = begin(run, t->name, err)) != DAL_OK)
		goto out;
	while ((step = dal_stmt_step(m.src)) == DAL_ROW) {
		struct cell *row = &m.cells[(size_t)m.pending * t->ncols];

		if (m.pending == 0)
			key_show(m.first_key, sizeof m.first_key, m.src, t);
		for (unsigned i = 0; i < t->ncols; i++)
			keep_value(&m, &row[i], i, t->cols[i].cls);
		if (m.nomem) {
			rc = copy_err(err, DAL_ENOMEM, "copy: out of memory");
			goto rollback;
		}
		m.pending++;
		in_batch++;
		if (m.arena_len > MAX_INSERT_BYTES && m.pending < m.per_insert) {
			/* Large values: fewer rows per INSERT from here on. */
			dal_stmt_close(m.full);
			m.full = NULL;
			m.per_insert = m.pending;
			if ((rc = insert_stmt(run, t, m.per_insert, &m.full, err)) != DAL_OK)
				goto rollback;
		}
		if ((m.pending == m.per_insert || in_batch == batch) &&
		    (rc = flush(&m, 0, err)) != DAL_OK)
			goto rollback;
		if (in_batch == batch) {
			copy_key_encode(&key, m.src, t);
			if (key.failed) {
				rc = copy_err(err, DAL_ENOMEM, "copy: out of memory");
				goto rollback;
			}
			done_rows += in_batch;
			run_rows += in_batch;
			if ((rc = commit_batch(run, t, t->npk ? key.data : NULL, done_rows, 0,
			                       err)) != DAL_OK)
				goto out;
			in_batch = 0;
			copy_report(run, DAL_COPY_ROWS, t->name, index, done_rows, run_rows, start);
			if ((rc = begin(run, t->name, err)) != DAL_OK)
				goto out;
		}
	}
	if (step != DAL_DONE) {
		rc = copy_err_from(err, dal_stmt_error(m.src), "copy: table %s: reading the "
		                   "source", t->name);
		goto rollback;
	}
	if ((rc = flush(&m, 1, err)) != DAL_OK)
		goto rollback;
	done_rows += in_batch;
	run_rows += in_batch;
	if ((rc = commit_batch(run, t, NULL, done_rows, 1, err)) != DAL_OK)
		goto out;
	run->rows_run = run_rows;
	copy_report(run, DAL_COPY_TABLE_DONE, t->name, index, done_rows, run_rows, start);
	rc = DAL_OK;
	goto out;
rollback:
	dal_conn_rollback(run->dst);
out:
	if (rc != DAL_OK)
		run->rows_run = run_rows;
	dal_stmt_close(m.src);
	dal_stmt_close(m.full);
	dal_stmt_close(m.tail);
	free(m.cells);
	free(m.arena);
	sb_free(&key);
	return rc;
}
