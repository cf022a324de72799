/*
 * backend_pgsql: result columns. Maps column types to the kinds this plugin
 * decodes (which decides, at prepare, between binary and text results),
 * keeps the column names, and decodes column values: the fetch path. Not
 * the stepping from row to row (stmt.c).
 *
 * Results come binary when every column has a type whose binary form is
 * trivial (integers, floats, bool, bytea, text-like): no parsing, and bytea
 * without hex decoding. A statement returning anything else (numeric,
 * dates, arrays, ...) gets text results, parsed on demand: libpq asks for
 * one format for all columns of a result. The column types are known at
 * prepare: the statement is prepared and described in one round trip
 * (pipeline mode, stmt.c).
 *
 * Fetch path: column_value() hands out pointers into the PGresult of the
 * current row; nothing is allocated by this plugin per row (libpq allocates
 * one PGresult per row in single-row mode, per chunk in chunked mode), nor
 * per execution: parameters are encoded into buffers of the statement
 * (bind.c).
 */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql_int.h"

enum col_kind pgb_kind_of(Oid t, int *binary_ok)
{
	switch (t) {
	case OID_INT8:
	case OID_INT4:
	case OID_INT2:
		return K_INT;
	case OID_OID:
		return K_OID;
	case OID_FLOAT4:
		return K_FLOAT4;
	case OID_FLOAT8:
		return K_FLOAT8;
	case OID_BOOL:
		return K_BOOL;
	case OID_BYTEA:
		return K_BYTEA;
	case OID_CHAR:
	case OID_NAME:
	case OID_TEXT:
	case OID_JSON:
	case OID_XML:
	case OID_UNKNOWN:
	case OID_BPCHAR:
	case OID_VARCHAR:
		/* Binary form is the text itself. */
		return K_TEXT;
	default:
		/* numeric, dates, uuid, jsonb, arrays, ...: their text form is
		 * what applications expect, so the statement goes text. */
		*binary_ok = 0;
		return K_TEXT;
	}
}

int pgb_copy_names(struct dal_bstmt *s, const PGresult *d)
{
	size_t size = s->ncols * sizeof(char *);
	char *p;

	for (unsigned i = 0; i < s->ncols; i++)
		size += strlen(PQfname(d, (int)i)) + 1;
	if (!(s->names = malloc(size)))
		return -1;
	p = (char *)(s->names + s->ncols);
	for (unsigned i = 0; i < s->ncols; i++) {
		size_t l = strlen(PQfname(d, (int)i)) + 1;

		memcpy(p, PQfname(d, (int)i), l);
		s->names[i] = p;
		p += l;
	}
	return 0;
}

unsigned pgb_column_count(dal_bstmt *s)
{
	return s->ncols;
}

const char *pgb_column_name(dal_bstmt *s, unsigned col)
{
	return col < s->ncols ? s->names[col] : NULL;
}

static int64_t be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Decode a text-format bytea in place (the decoded form is never longer):
 * hex ("\x0a0b") or the old escape format ("a\\b\001"). Returns the length.
 */
static size_t bytea_decode(char *p, size_t len)
{
	size_t i, o = 0;

	if (len >= 2 && p[0] == '\\' && p[1] == 'x') {
		for (i = 2; i + 1 < len; i += 2) {
			int hi = hexval((unsigned char)p[i]), lo = hexval((unsigned char)p[i + 1]);

			if (hi < 0 || lo < 0)
				break;
			p[o++] = (char)(hi << 4 | lo);
		}
		return o;
	}
	for (i = 0; i < len; i++) {
		if (p[i] != '\\') {
			p[o++] = p[i];
		} else if (i + 1 < len && p[i + 1] == '\\') {
			p[o++] = '\\';
			i++;
		} else if (i + 3 < len) {
			p[o++] = (char)((p[i + 1] - '0') << 6 | (p[i + 2] - '0') << 3 |
			                (p[i + 3] - '0'));
			i += 3;
		}
	}
	return o;
}

/* A column of a text-format result (a statement with a column whose binary
 * form this file does not read, see pgb_kind_of). */
static void text_value(struct dal_bstmt *s, unsigned col, unsigned char *v,
                       int len, dal_value *out)
{
	locale_t old;

	switch (s->kinds[col]) {
	case K_INT:
	case K_OID:
		out->type = DAL_TYPE_INT64;
		out->u.i = (int64_t)strtoll((const char *)v, NULL, 10);
		return;
	case K_FLOAT4:
	case K_FLOAT8:
		out->type = DAL_TYPE_DOUBLE;
		old = uselocale(s->conn->c_locale);
		out->u.d = s->kinds[col] == K_FLOAT4 ? (double)strtof((const char *)v, NULL)
		                                     : strtod((const char *)v, NULL);
		uselocale(old);
		return;
	case K_BOOL:
		out->type = DAL_TYPE_BOOL;
		out->u.i = v[0] == 't';
		return;
	case K_BYTEA:
		/* Decode once per row, in the result's own memory (rowgen
		 * starts at 1, so a zeroed entry never matches). */
		if (s->decoded[col].gen != s->rowgen) {
			s->decoded[col].len = bytea_decode((char *)v, (size_t)len);
			s->decoded[col].gen = s->rowgen;
		}
		out->type = DAL_TYPE_BLOB;
		out->u.b.ptr = v;
		out->u.b.len = s->decoded[col].len;
		return;
	case K_TEXT: /* the same in both formats: pgb_column_value() */
		return;
	}
}

/*
 * The fetch path's hot spot: a scan calls this for every column of every
 * row. Each libpq accessor re-checks its row and column numbers, so it is
 * called as little as possible, and the decoding depends only on kinds[],
 * fixed at prepare (a prepared statement's result columns cannot change).
 */
void pgb_column_value(dal_bstmt *s, unsigned col, dal_value *out)
{
	const PGresult *res = s->res;
	int c = (int)col, row = s->row;
	int len = PQgetlength(res, row, c);
	const unsigned char *v;
	uint64_t u;
	uint32_t u32;
	float f;

	/* PQgetlength gives 0 for NULL: only an empty value needs the flag. */
	if (len == 0 && PQgetisnull(res, row, c)) {
		out->type = DAL_TYPE_NULL;
		return;
	}
	v = (const unsigned char *)PQgetvalue(res, row, c);
	if (s->kinds[col] == K_TEXT) {
		out->type = DAL_TYPE_TEXT;
		out->u.b.ptr = v;
		out->u.b.len = (size_t)len;
		return;
	}
	if (!s->binary) {
		text_value(s, col, (unsigned char *)v, len, out);
		return;
	}
	/* Binary widths are fixed by the type; a short value (which no server
	 * sends) reads as 0 rather than past its end. */
	switch (s->kinds[col]) {
	case K_INT:
		out->type = DAL_TYPE_INT64;
		if (len == 8)
			out->u.i = be64(v);
		else if (len == 4)
			out->u.i = (int32_t)be32(v);
		else if (len == 2)
			out->u.i = (int16_t)(v[0] << 8 | v[1]);
		else
			out->u.i = 0;
		return;
	case K_OID:
		out->type = DAL_TYPE_INT64;
		out->u.i = len == 4 ? (int64_t)be32(v) : 0;
		return;
	case K_FLOAT8:
		out->type = DAL_TYPE_DOUBLE;
		u = len == 8 ? (uint64_t)be64(v) : 0;
		memcpy(&out->u.d, &u, sizeof out->u.d);
		return;
	case K_FLOAT4:
		out->type = DAL_TYPE_DOUBLE;
		u32 = len == 4 ? be32(v) : 0;
		memcpy(&f, &u32, sizeof f);
		out->u.d = f;
		return;
	case K_BOOL:
		out->type = DAL_TYPE_BOOL;
		out->u.i = len > 0 && v[0] != 0;
		return;
	case K_BYTEA:
		out->type = DAL_TYPE_BLOB;
		out->u.b.ptr = v;
		out->u.b.len = (size_t)len;
		return;
	case K_TEXT: /* handled above */
		return;
	}
}
