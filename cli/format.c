/*
 * Result formatters of `dal query`: an aligned table for people, CSV (RFC
 * 4180) and JSON for programs. Not the statement's execution (commands.c).
 *
 * Memory: CSV and JSON stream row by row with no allocation at all. The table
 * must know its column widths before the first line, so it buffers up to
 * TABLE_BUFFER_ROWS rows (or TABLE_BUFFER_BYTES of rendered text), sizes the
 * columns from them, and streams any further rows with those widths: a long
 * result costs bounded memory, at worst some ragged lines after row 1000.
 * Buffers grow by doubling and are reused, never allocated per row.
 *
 * Value rendering, the same everywhere unless said otherwise: integers in
 * decimal; doubles in the shortest form that reads back to the same value;
 * NaN and infinities as NaN, Infinity, -Infinity (JSON strings, since JSON
 * has no such numbers); booleans as true/false; blobs as \x plus lower-case
 * hex in table and CSV, and as a base64 string (RFC 4648, padded) in JSON.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                            */
/* ------------------------------------------------------------------------ */

/* One value of the current row, read with the getter matching its type. */
struct cell {
	dal_type type;
	int64_t i;
	double d;
	const char *p; /* TEXT / BLOB bytes */
	size_t len;
};

static void cell_get(dal_stmt *stmt, unsigned col, struct cell *c)
{
	c->type = dal_stmt_column_type(stmt, col);
	switch (c->type) {
	case DAL_TYPE_INT64:
		c->i = dal_stmt_column_int64(stmt, col);
		break;
	case DAL_TYPE_BOOL:
		c->i = dal_stmt_column_bool(stmt, col);
		break;
	case DAL_TYPE_DOUBLE:
		c->d = dal_stmt_column_double(stmt, col);
		break;
	case DAL_TYPE_TEXT:
		c->p = dal_stmt_column_text(stmt, col, &c->len);
		if (!c->p)
			c->type = DAL_TYPE_NULL;
		break;
	case DAL_TYPE_BLOB:
		c->p = dal_stmt_column_blob(stmt, col, &c->len);
		if (!c->p) { /* an empty blob */
			c->p = "";
			c->len = 0;
		}
		break;
	default:
		c->type = DAL_TYPE_NULL;
		break;
	}
}

static void out_of_memory(void)
{
	fputs("dal: out of memory\n", stderr);
	exit(EXIT_RUNTIME);
}

/* Format a finite or non-finite double; returns buf. */
static const char *fmt_double(char *buf, size_t size, double d)
{
	if (isnan(d))
		return "NaN";
	if (isinf(d))
		return d > 0 ? "Infinity" : "-Infinity";
	/* The shortest precision that reads back exactly, so 0.1 prints as 0.1
	 * and not as 0.10000000000000001. */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return buf;
}

/* Length of the well-formed UTF-8 sequence at s (n bytes available), or 0 if
 * s[0] does not start one (stray continuation, overlong form, surrogate,
 * beyond U+10FFFF, or truncated). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < need + 1)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k <= need; k++)
		if ((s[k] & 0xC0) != 0x80)
			return 0;
	return need + 1;
}

static const char hexdigits[] = "0123456789abcdef";

/* A growable byte buffer, reused across rows. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_reserve(struct sbuf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;

	if (b->len + more <= b->cap)
		return;
	while (cap < b->len + more)
		cap *= 2;
	b->p = realloc(b->p, cap);
	if (!b->p)
		out_of_memory();
	b->cap = cap;
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* ------------------------------------------------------------------------ */
/* Table                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Render one value for the table into b; returns its display width in
 * characters. Control characters and bytes that are not UTF-8 are shown
 * escaped (\n, \t, \r, \xHH) so that one row stays one line. Width counts
 * code points: exact for most scripts, short for double-width ones.
 */
static size_t render_text(struct sbuf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t width = 0;

	for (size_t k = 0; k < len;) {
		size_t n = utf8_seq(u + k, len - k);
		char esc[4];

		if (n == 1 && u[k] >= 0x20 && u[k] != 0x7f) {
			sb_add(b, s + k, 1);
			width++;
		} else if (n > 1) {
			sb_add(b, s + k, n);
			width++;
		} else {
			n = 1;
			esc[0] = '\\';
			if (u[k] == '\n' || u[k] == '\t' || u[k] == '\r') {
				esc[1] = u[k] == '\n' ? 'n' : u[k] == '\t' ? 't' : 'r';
				sb_add(b, esc, 2);
				width += 2;
			} else {
				esc[1] = 'x';
				esc[2] = hexdigits[u[k] >> 4];
				esc[3] = hexdigits[u[k] & 15];
				sb_add(b, esc, 4);
				width += 4;
			}
		}
		k += n;
	}
	return width;
}

static size_t render_cell(struct sbuf *b, const struct cell *c)
{
	char num[40];
	const char *s;
	size_t start = b->len;

	switch (c->type) {
	case DAL_TYPE_NULL:
		sb_add(b, "NULL", 4);
		return 4;
	case DAL_TYPE_INT64:
		snprintf(num, sizeof num, "%" PRId64, c->i);
		s = num;
		break;
	case DAL_TYPE_BOOL:
		s = c->i ? "true" : "false";
		break;
	case DAL_TYPE_DOUBLE:
		s = fmt_double(num, sizeof num, c->d);
		break;
	case DAL_TYPE_TEXT:
		return render_text(b, c->p, c->len);
	case DAL_TYPE_BLOB:
		sb_reserve(b, 2 + 2 * c->len);
		b->p[b->len++] = '\\';
		b->p[b->len++] = 'x';
		for (size_t k = 0; k < c->len; k++) {
			unsigned char v = (unsigned char)c->p[k];
			b->p[b->len++] = hexdigits[v >> 4];
			b->p[b->len++] = hexdigits[v & 15];
		}
		return b->len - start;
	default:
		s = "?";
		break;
	}
	sb_add(b, s, strlen(s));
	return b->len - start;
}

/* One rendered value: bytes at arena offset off, display width. */
struct tcell {
	size_t off, len, width;
};

struct table {
	FILE *out;
	unsigned ncols;
	size_t *width;       /* per column */
	unsigned char *right; /* per column: right-align (all numbers) */
	unsigned char *seen_text; /* per column: a non-number value was seen */
	struct sbuf arena;
	struct tcell *cells;
	size_t n_cells, cap_cells;
};

static void table_pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

/* Print one line of ncols rendered values. */
static void table_line(struct table *t, const char *base, const struct tcell *cells)
{
	for (unsigned c = 0; c < t->ncols; c++) {
		const struct tcell *v = &cells[c];
		size_t pad = v->width < t->width[c] ? t->width[c] - v->width : 0;
		int last = c + 1 == t->ncols;

		if (c)
			fputs(" | ", t->out);
		if (t->right[c])
			table_pad(t->out, pad);
		fwrite(base + v->off, 1, v->len, t->out);
		/* No trailing blanks after the last column. */
		if (!t->right[c] && !last)
			table_pad(t->out, pad);
	}
	fputc('\n', t->out);
}

static void table_add_cell(struct table *t, size_t off, size_t width)
{
	if (t->n_cells == t->cap_cells) {
		t->cap_cells = t->cap_cells ? 2 * t->cap_cells : 64;
		t->cells = realloc(t->cells, t->cap_cells * sizeof *t->cells);
		if (!t->cells)
			out_of_memory();
	}
	t->cells[t->n_cells].off = off;
	t->cells[t->n_cells].len = t->arena.len - off;
	t->cells[t->n_cells].width = width;
	t->n_cells++;
}

/* Render the current row into the arena (buffer phase). */
static void table_buffer_row(struct table *t, dal_stmt *stmt)
{
	for (unsigned c = 0; c < t->ncols; c++) {
		struct cell v;
		size_t off = t->arena.len, w;

		cell_get(stmt, c, &v);
		w = render_cell(&t->arena, &v);
		table_add_cell(t, off, w);
		if (w > t->width[c])
			t->width[c] = w;
		if (v.type == DAL_TYPE_INT64 || v.type == DAL_TYPE_DOUBLE)
			t->right[c] = 1;
		else if (v.type != DAL_TYPE_NULL)
			t->seen_text[c] = 1;
	}
}

int format_table(FILE *out, dal_stmt *stmt, int rc, uint64_t *nrows)
{
	struct table t = { .out = out, .ncols = dal_stmt_column_count(stmt) };
	size_t nbuf = 0;
	struct tcell *row;

	*nrows = 0;
	t.width = calloc(t.ncols + 1, sizeof *t.width);
	t.right = calloc(t.ncols + 1, 1);
	t.seen_text = calloc(t.ncols + 1, 1);
	if (!t.width || !t.right || !t.seen_text)
		out_of_memory();

	/* Header names count towards the widths. */
	for (unsigned c = 0; c < t.ncols; c++) {
		const char *name = dal_stmt_column_name(stmt, c);
		size_t off = t.arena.len;

		if (!name)
			name = "?";
		t.width[c] = render_text(&t.arena, name, strlen(name));
		table_add_cell(&t, off, t.width[c]);
	}

	while (rc == DAL_ROW && nbuf < TABLE_BUFFER_ROWS &&
	       t.arena.len < TABLE_BUFFER_BYTES) {
		table_buffer_row(&t, stmt);
		nbuf++;
		rc = dal_stmt_step(stmt);
	}
	if (rc != DAL_ROW && rc != DAL_DONE)
		goto out;

	/* A column is right-aligned only if every value seen is a number. */
	for (unsigned c = 0; c < t.ncols; c++)
		if (t.seen_text[c])
			t.right[c] = 0;

	table_line(&t, t.arena.p, t.cells);
	for (unsigned c = 0; c < t.ncols; c++) {
		if (c)
			fputs("-+-", out);
		for (size_t k = 0; k < t.width[c]; k++)
			fputc('-', out);
	}
	fputc('\n', out);
	for (size_t r = 0; r < nbuf; r++)
		table_line(&t, t.arena.p, t.cells + (r + 1) * t.ncols);
	*nrows = nbuf;

	/* Stream the rest, reusing the arena and the first row of cells. */
	row = t.cells;
	while (rc == DAL_ROW) {
		t.arena.len = 0;
		for (unsigned c = 0; c < t.ncols; c++) {
			struct cell v;

			cell_get(stmt, c, &v);
			row[c].off = t.arena.len;
			row[c].width = render_cell(&t.arena, &v);
			row[c].len = t.arena.len - row[c].off;
		}
		table_line(&t, t.arena.p, row);
		(*nrows)++;
		rc = dal_stmt_step(stmt);
	}
	if (rc == DAL_DONE)
		fprintf(out, "(%" PRIu64 " row%s)\n", *nrows, *nrows == 1 ? "" : "s");
out:
	free(t.width);
	free(t.right);
	free(t.seen_text);
	free(t.arena.p);
	free(t.cells);
	return rc == DAL_DONE ? DAL_OK : rc;
}

/* ------------------------------------------------------------------------ */
/* CSV                                                                       */
/* ------------------------------------------------------------------------ */

/* 1 while CSV goes to a terminal: control bytes are then shown as \xHH,
 * so that data cannot drive the terminal (escape sequences). Into a pipe or
 * file the bytes go out exactly, as CSV consumers expect. */
static int csv_tty;

static void csv_byte(FILE *out, unsigned char c)
{
	if (csv_tty && ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f))
		fprintf(out, "\\x%02x", c);
	else
		fputc(c, out);
}

/* RFC 4180 field: quoted when it holds a comma, quote, CR or LF, and when it
 * is empty, so that an empty string ("") differs from NULL (nothing). */
static void csv_text(FILE *out, const char *s, size_t len)
{
	int quote = len == 0;

	for (size_t k = 0; k < len && !quote; k++)
		if (s[k] == ',' || s[k] == '"' || s[k] == '\r' || s[k] == '\n')
			quote = 1;
	if (quote)
		fputc('"', out);
	for (size_t k = 0; k < len; k++) {
		if (s[k] == '"')
			fputc('"', out);
		csv_byte(out, (unsigned char)s[k]);
	}
	if (quote)
		fputc('"', out);
}

static void csv_cell(FILE *out, const struct cell *c)
{
	char num[40];

	switch (c->type) {
	case DAL_TYPE_NULL:
		break;
	case DAL_TYPE_INT64:
		fprintf(out, "%" PRId64, c->i);
		break;
	case DAL_TYPE_BOOL:
		fputs(c->i ? "true" : "false", out);
		break;
	case DAL_TYPE_DOUBLE:
		fputs(fmt_double(num, sizeof num, c->d), out);
		break;
	case DAL_TYPE_TEXT:
		csv_text(out, c->p, c->len);
		break;
	case DAL_TYPE_BLOB:
		fputs("\\x", out);
		for (size_t k = 0; k < c->len; k++) {
			unsigned char v = (unsigned char)c->p[k];
			fputc(hexdigits[v >> 4], out);
			fputc(hexdigits[v & 15], out);
		}
		break;
	default:
		break;
	}
}

int format_csv(FILE *out, dal_stmt *stmt, int rc, uint64_t *nrows)
{
	unsigned ncols = dal_stmt_column_count(stmt);

	*nrows = 0;
	csv_tty = isatty(fileno(out));
	for (unsigned c = 0; c < ncols; c++) {
		const char *name = dal_stmt_column_name(stmt, c);

		if (c)
			fputc(',', out);
		if (name)
			csv_text(out, name, strlen(name));
	}
	fputs("\r\n", out);
	for (; rc == DAL_ROW; rc = dal_stmt_step(stmt)) {
		for (unsigned c = 0; c < ncols; c++) {
			struct cell v;

			if (c)
				fputc(',', out);
			cell_get(stmt, c, &v);
			csv_cell(out, &v);
		}
		fputs("\r\n", out);
		(*nrows)++;
	}
	return rc == DAL_DONE ? DAL_OK : rc;
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */
/* ------------------------------------------------------------------------ */

void json_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	fputc('"', out);
	for (size_t k = 0; k < len;) {
		size_t n = utf8_seq(u + k, len - k);

		if (n == 0) {
			fputs("\\ufffd", out);
			k++;
			continue;
		}
		if (n > 1) {
			fwrite(s + k, 1, n, out);
			k += n;
			continue;
		}
		switch (u[k]) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		default:
			if (u[k] < 0x20)
				fprintf(out, "\\u%04x", u[k]);
			else
				fputc(u[k], out);
		}
		k++;
	}
	fputc('"', out);
}

void json_pool(FILE *out, const dal_pool_stats *ps)
{
	fprintf(out, "{\"max\":%u,\"idle_max\":%u,\"idle\":%u,\"used\":%u,"
	        "\"pending\":%u,\"timeouts\":%" PRIu64 ",\"created\":%" PRIu64
	        ",\"closed\":%" PRIu64 ",\"acquired\":%" PRIu64 "}",
	        ps->max, ps->idle_max, ps->idle, ps->used, ps->pending, ps->timeouts,
	        ps->created, ps->closed, ps->acquired);
}

static void json_base64(FILE *out, const unsigned char *p, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t k;

	fputc('"', out);
	for (k = 0; k + 3 <= len; k += 3) {
		uint32_t v = (uint32_t)p[k] << 16 | (uint32_t)p[k + 1] << 8 | p[k + 2];
		fputc(b64[v >> 18], out);
		fputc(b64[(v >> 12) & 63], out);
		fputc(b64[(v >> 6) & 63], out);
		fputc(b64[v & 63], out);
	}
	if (len - k == 1) {
		uint32_t v = (uint32_t)p[k] << 16;
		fputc(b64[v >> 18], out);
		fputc(b64[(v >> 12) & 63], out);
		fputs("==", out);
	} else if (len - k == 2) {
		uint32_t v = (uint32_t)p[k] << 16 | (uint32_t)p[k + 1] << 8;
		fputc(b64[v >> 18], out);
		fputc(b64[(v >> 12) & 63], out);
		fputc(b64[(v >> 6) & 63], out);
		fputc('=', out);
	}
	fputc('"', out);
}

static void json_cell(FILE *out, const struct cell *c)
{
	char num[40];

	switch (c->type) {
	case DAL_TYPE_INT64:
		fprintf(out, "%" PRId64, c->i);
		break;
	case DAL_TYPE_BOOL:
		fputs(c->i ? "true" : "false", out);
		break;
	case DAL_TYPE_DOUBLE:
		if (isfinite(c->d))
			fputs(fmt_double(num, sizeof num, c->d), out);
		else
			fprintf(out, "\"%s\"", fmt_double(num, sizeof num, c->d));
		break;
	case DAL_TYPE_TEXT:
		json_string(out, c->p, c->len);
		break;
	case DAL_TYPE_BLOB:
		json_base64(out, (const unsigned char *)c->p, c->len);
		break;
	default:
		fputs("null", out);
		break;
	}
}

/*
 * One array of objects, one object per line. If a step fails midway the
 * closing bracket is deliberately not written: a truncated result must not
 * parse as a complete one.
 */
int format_json(FILE *out, dal_stmt *stmt, int rc, uint64_t *nrows)
{
	unsigned ncols = dal_stmt_column_count(stmt);

	*nrows = 0;
	fputc('[', out);
	for (; rc == DAL_ROW; rc = dal_stmt_step(stmt)) {
		fputs(*nrows ? ",\n{" : "\n{", out);
		for (unsigned c = 0; c < ncols; c++) {
			const char *name = dal_stmt_column_name(stmt, c);
			struct cell v;

			if (c)
				fputc(',', out);
			if (!name)
				name = "";
			json_string(out, name, strlen(name));
			fputc(':', out);
			cell_get(stmt, c, &v);
			json_cell(out, &v);
		}
		fputc('}', out);
		(*nrows)++;
	}
	if (rc != DAL_DONE) {
		fputc('\n', out);
		return rc;
	}
	fputs(*nrows ? "\n]\n" : "]\n", out);
	return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Any statement                                                             */
/* ------------------------------------------------------------------------ */

int cli_print_rows(FILE *out, dal_stmt *stmt, int rc, enum out_format format,
                   uint64_t *nrows)
{
	*nrows = 0;
	if (rc != DAL_ROW && rc != DAL_DONE)
		return rc;
	if (dal_stmt_column_count(stmt) != 0) {
		if (format == FMT_CSV)
			return format_csv(out, stmt, rc, nrows);
		if (format == FMT_JSON)
			return format_json(out, stmt, rc, nrows);
		return format_table(out, stmt, rc, nrows);
	}
	/* Not a row-returning statement (an INSERT run with query). */
	while (rc == DAL_ROW)
		rc = dal_stmt_step(stmt);
	if (rc != DAL_DONE)
		return rc;
	if (format == FMT_JSON)
		fputs("[]\n", out);
	else if (format != FMT_CSV)
		fprintf(out, "%" PRId64 " row(s) affected\n", dal_stmt_rows_affected(stmt));
	return DAL_OK;
}
