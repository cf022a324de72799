/*
 * dal_ident_quote(): identifiers made safe for the backend's SQL, quoted
 * with the quotes its plugin declares (ident_quote). Also the binding of a
 * dal_param. The row helpers (rows.c) build on these two.
 *
 * Why refuse rather than escape a quote character inside a name: doubling
 * rules differ (and "[" names have none), a name with a quote in it is
 * almost always an injection attempt or a bug, and refusing is the one
 * behaviour that is the same on every backend.
 */
#define _GNU_SOURCE
#include <string.h>

#include <dal/rows.h>

#include "rows.h"

#include "internal.h"
#include "loader.h"

int dal_ident_quote(const dal_repo *repo, const char *ident, char *buf, size_t size,
                    dal_error *err)
{
	const char *q, *p, *part;
	char open, close;
	size_t len = 0;

	if (!repo || !ident || !buf)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "dal_ident_quote: %s is NULL",
		                     !repo ? "repo" : !ident ? "ident" : "buf");
	q = repo->plugin->reg.ident_quote;
	open = q && q[0] ? q[0] : '"';
	close = q && q[0] && q[1] ? q[1] : open;
	for (part = ident;; part = p + 1) {
		size_t n;

		p = strchr(part, '.');
		n = p ? (size_t)(p - part) : strlen(part);
		if (n == 0 || n > DAL_IDENT_MAX)
			return dal_error_set(err, DAL_EMISUSE, NULL, 0,
			                     "invalid identifier '%.80s': each part must be 1 to %d "
			                     "bytes", ident, DAL_IDENT_MAX);
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)part[i];
			if (ch < 0x20 || ch == 0x7f || ch == (unsigned char)open ||
			    ch == (unsigned char)close)
				return dal_error_set(err, DAL_EMISUSE, NULL, 0,
				                     "invalid identifier '%.80s': it contains %s",
				                     ident, ch < 0x20 || ch == 0x7f
				                     ? "a control character" : "a quote character");
		}
		if (len + n + 3 + (p ? 1 : 0) > size)
			return dal_error_set(err, DAL_ENOMEM, NULL, 0,
			                     "dal_ident_quote: buffer of %zu bytes too small for "
			                     "'%.80s'", size, ident);
		buf[len++] = open;
		memcpy(buf + len, part, n);
		len += n;
		buf[len++] = close;
		if (!p)
			break;
		buf[len++] = '.';
	}
	buf[len] = '\0';
	return DAL_OK;
}

int param_valid(const dal_param *p)
{
	switch (p->type) {
	case DAL_TYPE_NULL:
	case DAL_TYPE_INT64:
	case DAL_TYPE_DOUBLE:
	case DAL_TYPE_BOOL:
		return 1;
	case DAL_TYPE_TEXT:
		return p->u.b.ptr != NULL;
	case DAL_TYPE_BLOB:
		return p->u.b.len >= 0 && (p->u.b.ptr || !p->u.b.len);
	}
	return 0;
}

int dal_stmt_bind_param(dal_stmt *stmt, unsigned idx, const dal_param *p)
{
	if (!stmt)
		return DAL_EMISUSE;
	if (!p)
		return dal_error_set(&stmt->err, DAL_EMISUSE, NULL, 0,
		                     "dal_stmt_bind_param: parameter %u is NULL", idx);
	switch (p->type) {
	case DAL_TYPE_NULL:
		return dal_stmt_bind_null(stmt, idx);
	case DAL_TYPE_INT64:
		return dal_stmt_bind_int64(stmt, idx, p->u.i);
	case DAL_TYPE_DOUBLE:
		return dal_stmt_bind_double(stmt, idx, p->u.d);
	case DAL_TYPE_BOOL:
		return dal_stmt_bind_bool(stmt, idx, p->u.i != 0);
	case DAL_TYPE_TEXT:
		if (!p->u.b.ptr)
			break;
		return dal_stmt_bind_text(stmt, idx, p->u.b.ptr, p->u.b.len);
	case DAL_TYPE_BLOB:
		if (p->u.b.len < 0 || (!p->u.b.ptr && p->u.b.len))
			break;
		return dal_stmt_bind_blob(stmt, idx, p->u.b.ptr, (size_t)p->u.b.len);
	}
	return dal_error_set(&stmt->err, DAL_EMISUSE, NULL, 0,
	                     "dal_stmt_bind_param: parameter %u has an invalid type (%d), "
	                     "a NULL pointer or a bad length", idx, (int)p->type);
}
