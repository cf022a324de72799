/*
 * backend_pgsql: parameters. Encodes bound values into the statement's own
 * buffers, in the form libpq sends (text or binary, per value), so that an
 * execution allocates nothing. Not the execution itself (stmt.c).
 *
 * Parameter types are left to the server (0): it infers each one from the
 * SQL, so `WHERE id = $1` works with an int64 on an int4 column, a text on
 * a varchar column, and so on, exactly as a literal would. The inferred
 * types come back at prepare, and a value travels binary when its binary
 * form means exactly what its text would: int64 into int8 (and into
 * int4/int2 when it fits), double into float8 (and into float4 when the
 * float holds it exactly), bool into bool, int64 into float8 when the double
 * holds it exactly, and blobs. That saves printing numbers on every
 * execution. Anything else travels as text so that the server converts it,
 * or refuses it (an int64 too large for an int4 column), just as it would a
 * literal. Booleans bound to non-bool parameters are sent as t/f or 1/0
 * depending on the inferred type.
 */
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql_int.h"

/* Make room for len bytes in the parameter's own buffer. */
static int param_reserve(struct param *pm, size_t len)
{
	if (len > pm->cap || !pm->data) {
		size_t cap = len < 64 ? 64 : len;
		char *d = realloc(pm->data, cap);

		if (!d)
			return -1;
		pm->data = d;
		pm->cap = cap;
	}
	return 0;
}

/* Network byte order, as the binary wire format wants it. */
static void put_be(char *p, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--, v >>= 8)
		p[i] = (char)(v & 0xff);
}

/* Point the parameter at the first width bytes of its num[], binary. */
static void param_binary(struct param *pm, uint64_t bits, int width)
{
	put_be(pm->num, bits, width);
	pm->value = pm->num;
	pm->length = width;
	pm->format = 1;
}

/*
 * Binary forms of an int64 for the parameter type the server inferred, when
 * they say exactly what the text would. Returns 0 when the value must go as
 * text: other types, and values out of the type's range, whose error (or
 * conversion) is left to the server as for a literal.
 */
static int int64_binary(struct param *pm, Oid type, int64_t i)
{
	double d;
	uint64_t bits;

	switch (type) {
	case OID_INT8:
		param_binary(pm, (uint64_t)i, 8);
		return 1;
	case OID_INT4:
		if (i < INT32_MIN || i > INT32_MAX)
			return 0;
		param_binary(pm, (uint32_t)(int32_t)i, 4);
		return 1;
	case OID_INT2:
		if (i < INT16_MIN || i > INT16_MAX)
			return 0;
		param_binary(pm, (uint16_t)(int16_t)i, 2);
		return 1;
	case OID_FLOAT8:
		/* Beyond 2^53 the text goes through the server's own rounding. */
		if (i < -(INT64_C(1) << 53) || i > INT64_C(1) << 53)
			return 0;
		d = (double)i;
		memcpy(&bits, &d, sizeof bits);
		param_binary(pm, bits, 8);
		return 1;
	default:
		return 0;
	}
}

/* The same for a double. float4 only takes values a float holds exactly:
 * the server would round the text itself, or refuse it as out of range. */
static int double_binary(struct param *pm, Oid type, double d)
{
	uint64_t bits;
	uint32_t fbits;
	float f;

	switch (type) {
	case OID_FLOAT8:
		memcpy(&bits, &d, sizeof bits);
		param_binary(pm, bits, 8);
		return 1;
	case OID_FLOAT4:
		if (isfinite(d) && (d > FLT_MAX || d < -FLT_MAX))
			return 0;
		f = (float)d;
		if (isfinite(d) && (double)f != d)
			return 0;
		memcpy(&fbits, &f, sizeof fbits);
		param_binary(pm, fbits, 4);
		return 1;
	default:
		return 0;
	}
}

static int is_int_type(Oid t)
{
	return t == OID_INT2 || t == OID_INT4 || t == OID_INT8 || t == OID_NUMERIC ||
	       t == OID_OID;
}

int pgb_bind(dal_bstmt *s, unsigned pos, const dal_value *v,
             dal_error *err)
{
	struct dal_bconn *c = s->conn;
	struct param *pm;
	locale_t old;
	size_t len;

	if (pos < 1 || pos > s->nparams)
		return dal_error_set(err, DAL_EMISUSE, "07009", 0,
		                     "bind: parameter %u is out of range (the statement "
		                     "has %u)", pos, s->nparams);
	if (s->state == ST_ROW)
		return dal_error_set(err, DAL_EMISUSE, "HY010", 0,
		                     "bind: parameter %u: the statement has unread rows; "
		                     "reset it first", pos);
	pm = &s->params[pos - 1];
	pm->format = 0;
	pm->length = 0;
	switch (v->type) {
	case DAL_TYPE_NULL:
		pm->value = NULL;
		break;
	case DAL_TYPE_INT64:
		if (int64_binary(pm, s->ptypes[pos - 1], v->u.i))
			break;
		snprintf(pm->num, sizeof pm->num, "%" PRId64, v->u.i);
		pm->value = pm->num;
		break;
	case DAL_TYPE_BOOL:
		if (s->ptypes[pos - 1] == OID_BOOL) {
			param_binary(pm, v->u.i != 0, 1);
			break;
		}
		/* "1"/"0" are valid input for bool too, but "t"/"f" also suit
		 * text and unknown parameters; integers need digits. */
		if (is_int_type(s->ptypes[pos - 1]))
			strcpy(pm->num, v->u.i ? "1" : "0");
		else
			strcpy(pm->num, v->u.i ? "t" : "f");
		pm->value = pm->num;
		break;
	case DAL_TYPE_DOUBLE:
		if (double_binary(pm, s->ptypes[pos - 1], v->u.d))
			break;
		if (isnan(v->u.d))
			strcpy(pm->num, "NaN");
		else if (isinf(v->u.d))
			strcpy(pm->num, v->u.d > 0 ? "Infinity" : "-Infinity");
		else {
			/* %.17g round-trips every double; the C locale keeps the
			 * decimal point a point whatever the application set. */
			old = uselocale(c->c_locale);
			snprintf(pm->num, sizeof pm->num, "%.17g", v->u.d);
			uselocale(old);
		}
		pm->value = pm->num;
		break;
	case DAL_TYPE_TEXT:
		len = v->u.b.len;
		if (len && memchr(v->u.b.ptr, '\0', len))
			return dal_error_set(err, DAL_EDATA, "22021", 0,
			                     "bind: parameter %u: text contains a NUL byte, "
			                     "which PostgreSQL text cannot hold (bind it as a "
			                     "blob)", pos);
		if (len >= INT_MAX || param_reserve(pm, len + 1))
			return pgb_oom(err, "bind");
		if (len)
			memcpy(pm->data, v->u.b.ptr, len);
		pm->data[len] = '\0';
		pm->value = pm->data;
		pm->length = (int)len;
		break;
	case DAL_TYPE_BLOB:
		len = v->u.b.len;
		if (len > INT_MAX)
			return dal_error_set(err, DAL_EDATA, "54000", 0,
			                     "bind: parameter %u: a blob of %zu bytes is larger "
			                     "than libpq can send", pos, len);
		if (param_reserve(pm, len))
			return pgb_oom(err, "bind");
		if (len)
			memcpy(pm->data, v->u.b.ptr, len);
		pm->value = pm->data; /* never NULL: an empty blob is not NULL */
		pm->length = (int)len;
		pm->format = 1;
		break;
	default:
		return dal_error_set(err, DAL_EMISUSE, "HY004", 0,
		                     "bind: parameter %u has unknown type %d", pos,
		                     (int)v->type);
	}
	s->values[pos - 1] = pm->value;
	s->lengths[pos - 1] = pm->length;
	s->formats[pos - 1] = pm->format;
	if (s->state != ST_READY)
		s->state = ST_READY;
	return DAL_OK;
}
