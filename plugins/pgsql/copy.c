/*
 * backend_pgsql: batches of plain INSERTs as COPY FROM STDIN (text
 * format). A statement of the form
 *
 *     INSERT INTO table (col, ...) VALUES ($1, $2, ..., $n)
 *
 * (each value a bare parameter, in order, each used once; no RETURNING or
 * ON CONFLICT) is recognised at prepare (pgb_copy_sql()), and its batches
 * go as COPY table (col, ...) FROM STDIN: the rows stream to the server in
 * one command instead of one Bind/Execute each, about 2.5 times faster on
 * loopback (bench/RESULTS.md).
 *
 * The values must mean what they mean as parameters. Every value goes as
 * text through the column type's input function, as a text parameter does
 * (numbers and booleans are written exactly as bind.c writes them when it
 * sends text). The one case that differs is a blob for a column that is not
 * bytea (as a parameter it travels binary, to that type's receive
 * function): such a batch, and one holding text with a NUL byte (refused
 * with its row index by the pipeline path), is not sent by COPY. The rows
 * are checked first; the check reads the core's values only.
 *
 * COPY fires INSERT triggers like INSERT, but rules on INSERT do not apply
 * to it and it cannot fill a view: the first batch of a statement asks the
 * catalog (one round trip, once) and keeps the pipeline for anything but a
 * plain or partitioned table without rules. A failing row is named by the
 * server's "line N".
 */
#include <ctype.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pgsql_int.h"

/* ---- recognising a plain INSERT ----------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

static const char *keyword(const char *p, const char *end, const char *kw)
{
	size_t n = strlen(kw);

	p = skip_ws(p, end);
	if ((size_t)(end - p) < n || strncasecmp(p, kw, n) != 0)
		return NULL;
	if (p + n < end && (isalnum((unsigned char)p[n]) || p[n] == '_'))
		return NULL;
	return p + n;
}

/* An identifier, bare or "quoted" ("" inside quotes); end of it or NULL. */
static const char *ident(const char *p, const char *end)
{
	p = skip_ws(p, end);
	if (p < end && *p == '"') {
		for (p++; p < end; p++)
			if (*p == '"') {
				if (p + 1 < end && p[1] == '"')
					p++;
				else
					return p + 1;
			}
		return NULL;
	}
	if (p >= end || !(isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80))
		return NULL;
	while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '$' ||
	                   (unsigned char)*p >= 0x80))
		p++;
	return p;
}

char *pgb_copy_sql(const char *sql, size_t len, unsigned nparams, char **table)
{
	const char *end = sql + len, *p, *t0, *t1, *c0, *c1;
	unsigned ncols = 0;
	char *out;

	if (!nparams || !(p = keyword(sql, end, "INSERT")) || !(p = keyword(p, end, "INTO")))
		return NULL;
	t0 = skip_ws(p, end);
	if (!(t1 = ident(t0, end)))
		return NULL;
	if (t1 < end && *t1 == '.' && !(t1 = ident(t1 + 1, end)))
		return NULL;
	p = skip_ws(t1, end);
	if (p >= end || *p != '(')
		return NULL; /* no column list: COPY would need every column */
	c0 = p;
	for (p++;; p++) {
		if (!(p = ident(p, end)))
			return NULL;
		ncols++;
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			continue;
		if (p < end && *p == ')')
			break;
		return NULL;
	}
	c1 = ++p;
	if (ncols != nparams || !(p = keyword(p, end, "VALUES")))
		return NULL;
	p = skip_ws(p, end);
	if (p >= end || *p != '(')
		return NULL;
	for (unsigned k = 1; k <= nparams; k++) {
		char *e;
		unsigned long v;

		p = skip_ws(p + 1, end);
		if (p >= end || *p != '$')
			return NULL;
		v = strtoul(p + 1, &e, 10);
		if (e == p + 1 || v != k || e > end)
			return NULL;
		p = skip_ws(e, end);
		if (p >= end || *p != (k == nparams ? ')' : ','))
			return NULL;
	}
	p = skip_ws(p + 1, end);
	while (p < end && *p == ';')
		p = skip_ws(p + 1, end);
	if (p != end)
		return NULL; /* RETURNING, ON CONFLICT, a second row... */
	if (!(out = malloc((size_t)(t1 - t0) + (size_t)(c1 - c0) + 32)))
		return NULL;
	if (!(*table = strndup(t0, (size_t)(t1 - t0)))) {
		free(out);
		return NULL;
	}
	sprintf(out, "COPY %.*s %.*s FROM STDIN", (int)(t1 - t0), t0, (int)(c1 - c0), c0);
	return out;
}

/*
 * Whether COPY does what INSERT would into s's table: only for a table (or
 * a partitioned one) without rules; a view, or a table with INSERT rules,
 * keeps the pipeline. Asked once per statement (the answer is kept, with
 * the statement in the statement cache). to_regclass() never fails: a
 * table that does not exist is left for the INSERT to report.
 */
static int table_takes_copy(struct dal_bstmt *s, dal_error *err)
{
	const char *v[1] = {s->copy_table};
	PGresult *r;
	int rc;

	if (s->copy_ok)
		return s->copy_ok > 0 ? 1 : 0;
	r = PQexecParams(s->conn->pg,
	                 "SELECT relkind IN ('r', 'p') AND NOT relhasrules FROM pg_class "
	                 "WHERE oid = to_regclass($1)", 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = r ? pgb_report_result(err, s->conn, r, 0, "batch (COPY check)")
		       : pgb_no_result(s->conn, 0, err, "batch (COPY check)");
		PQclear(r);
		return rc;
	}
	s->copy_ok = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't' ? 1 : -1;
	PQclear(r);
	return s->copy_ok > 0 ? 1 : 0;
}

/* ---- sending ------------------------------------------------------------ */

/* Text per row buffered before PQputCopyData. */
#define COPY_CHUNK 65536

struct buf {
	char *p;
	size_t n, cap;
};

static int grow(struct buf *b, size_t more)
{
	if (b->n + more > b->cap) {
		size_t cap = b->cap ? b->cap : COPY_CHUNK;
		char *q;

		while (cap < b->n + more)
			cap *= 2;
		if (!(q = realloc(b->p, cap)))
			return -1;
		b->p = q;
		b->cap = cap;
	}
	return 0;
}

static int is_int_type(Oid t)
{
	return t == OID_INT2 || t == OID_INT4 || t == OID_INT8 || t == OID_NUMERIC ||
	       t == OID_OID;
}

/* Append one value in COPY's text format. */
static int put_value(struct buf *b, const dal_value *v, Oid type, locale_t c_locale)
{
	static const char hex[] = "0123456789abcdef";
	char num[48];
	int n;

	switch (v->type) {
	case DAL_TYPE_NULL:
		if (grow(b, 2))
			return -1;
		memcpy(b->p + b->n, "\\N", 2);
		b->n += 2;
		return 0;
	case DAL_TYPE_INT64:
		n = snprintf(num, sizeof num, "%" PRId64, v->u.i);
		break;
	case DAL_TYPE_BOOL:
		n = snprintf(num, sizeof num, "%s",
		             is_int_type(type) ? (v->u.i ? "1" : "0") : (v->u.i ? "t" : "f"));
		break;
	case DAL_TYPE_DOUBLE:
		if (isnan(v->u.d))
			n = snprintf(num, sizeof num, "NaN");
		else if (isinf(v->u.d))
			n = snprintf(num, sizeof num, "%s", v->u.d > 0 ? "Infinity" : "-Infinity");
		else {
			locale_t old = uselocale(c_locale);
			n = snprintf(num, sizeof num, "%.17g", v->u.d);
			uselocale(old);
		}
		break;
	case DAL_TYPE_BLOB: {
		const unsigned char *s = v->u.b.ptr;

		/* bytea's hex form, its backslash escaped for COPY. */
		if (grow(b, 3 + 2 * v->u.b.len))
			return -1;
		memcpy(b->p + b->n, "\\\\x", 3);
		b->n += 3;
		for (size_t i = 0; i < v->u.b.len; i++) {
			b->p[b->n++] = hex[s[i] >> 4];
			b->p[b->n++] = hex[s[i] & 15];
		}
		return 0;
	}
	default: { /* TEXT: escape what COPY's text format gives a meaning */
		const char *s = v->u.b.ptr;

		if (grow(b, 2 * v->u.b.len))
			return -1;
		for (size_t i = 0; i < v->u.b.len; i++) {
			char ch = s[i];

			if (ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r') {
				b->p[b->n++] = '\\';
				ch = ch == '\t' ? 't' : ch == '\n' ? 'n' : ch == '\r' ? 'r' : '\\';
			}
			b->p[b->n++] = ch;
		}
		return 0;
	}
	}
	if (grow(b, (size_t)n))
		return -1;
	memcpy(b->p + b->n, num, (size_t)n);
	b->n += (size_t)n;
	return 0;
}

/* The batch can go by COPY: no blob for a column that is not bytea, no
 * text with a NUL byte. */
static int copy_fits(struct dal_bstmt *s, struct dal_batch *b, dal_value *vals)
{
	for (size_t r = 0; r < b->nrows; r++) {
		b->row(b, r, vals);
		for (unsigned i = 0; i < b->npos; i++) {
			if (vals[i].type == DAL_TYPE_BLOB && s->ptypes[i] != OID_BYTEA)
				return 0;
			if (vals[i].type == DAL_TYPE_TEXT && vals[i].u.b.len &&
			    memchr(vals[i].u.b.ptr, '\0', vals[i].u.b.len))
				return 0;
		}
	}
	return 1;
}

/* The row the server names in a COPY error: "COPY t, line 218, ...". */
static size_t failed_line(const PGresult *r)
{
	const char *ctx = PQresultErrorField(r, PG_DIAG_CONTEXT), *l;
	unsigned long line;

	if (!ctx || !(l = strstr(ctx, ", line ")) || sscanf(l + 7, "%lu", &line) != 1 || !line)
		return DAL_BATCH_ROW_UNKNOWN;
	return (size_t)line - 1;
}

int pgb_copy_batch(struct dal_bstmt *s, struct dal_batch *b, dal_value *vals, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	struct buf buf = {0};
	PGresult *r;
	int rc = DAL_OK, ok = 1;

	if ((rc = table_takes_copy(s, err)) <= 0)
		return rc < 0 ? rc : 1; /* a view, rules: the pipeline's job */
	rc = DAL_OK;
	if (!copy_fits(s, b, vals))
		return 1; /* the pipeline's job */
	r = PQexec(c->pg, s->copy);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		rc = r ? pgb_report_result(err, c, r, 1, "batch (COPY)")
		       : pgb_no_result(c, 1, err, "batch (COPY)");
		PQclear(r);
		return rc;
	}
	PQclear(r);
	for (size_t row = 0; row < b->nrows && ok; row++) {
		b->row(b, row, vals);
		for (unsigned i = 0; i < b->npos && ok; i++) {
			ok = put_value(&buf, &vals[i], s->ptypes[i], c->c_locale) == 0 &&
			     grow(&buf, 1) == 0;
			if (ok)
				buf.p[buf.n++] = i + 1 < b->npos ? '\t' : '\n';
		}
		if (ok && (buf.n >= COPY_CHUNK || row + 1 == b->nrows)) {
			ok = PQputCopyData(c->pg, buf.p, (int)buf.n) == 1;
			buf.n = 0;
			if (!ok) {
				rc = pgb_lost(c, NULL, 1, err, "batch (COPY)");
				goto lost;
			}
		}
	}
	free(buf.p);
	if (!ok) {
		/* Out of memory: end the COPY with an error, so nothing stays. */
		PQputCopyEnd(c->pg, "out of memory in the client");
		while ((r = PQgetResult(c->pg)))
			PQclear(r);
		return pgb_oom(err, "batch (COPY)");
	}
	if (PQputCopyEnd(c->pg, NULL) != 1)
		return pgb_lost(c, NULL, 1, err, "batch (COPY)");
	if (!(r = PQgetResult(c->pg)))
		return pgb_no_result(c, 1, err, "batch (COPY)");
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		b->affected = pgb_affected_of(r);
	} else {
		b->failed_row = failed_line(r);
		rc = pgb_report_result(err, c, r, 1, "batch");
	}
	PQclear(r);
	while ((r = PQgetResult(c->pg)))
		PQclear(r);
	return rc;
lost:
	free(buf.p);
	return rc;
}
