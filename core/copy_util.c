/*
 * The copy layer's small helpers: a growing string for the SQL it builds,
 * identifier quoting by the repository's declared quotes, error filling
 * and the SQL family of a repository. Public API only.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "copy_int.h"

void cb_add(struct cbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->p, cap))) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void cb_adds(struct cbuf *b, const char *s)
{
	cb_add(b, s, strlen(s));
}

void cb_addf(struct cbuf *b, const char *fmt, ...)
{
	char tmp[256], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n < sizeof tmp) {
		cb_add(b, tmp, (size_t)n);
		return;
	}
	if (!(big = malloc((size_t)n + 1))) {
		b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cb_add(b, big, (size_t)n);
	free(big);
}

void cb_quote(struct cbuf *b, const char *quote, const char *ident)
{
	char open = quote && quote[0] ? quote[0] : '"';
	char close = quote && quote[0] && quote[1] ? quote[1] : open;

	cb_add(b, &open, 1);
	for (const char *p = ident; *p; p++) {
		cb_add(b, p, 1);
		if (*p == close)
			cb_add(b, p, 1);
	}
	cb_add(b, &close, 1);
}

void cb_free(struct cbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

static void fill(dal_error *err, int code, const char *sqlstate, long native,
                 const char *prefix, const char *fmt, va_list ap)
{
	size_t n;

	err->code = code;
	snprintf(err->sqlstate, sizeof err->sqlstate, "%.5s",
	         sqlstate && strlen(sqlstate) == 5 ? sqlstate : "HY000");
	err->native = native;
	n = (size_t)vsnprintf(err->message, sizeof err->message, fmt, ap);
	if (prefix && n < sizeof err->message)
		snprintf(err->message + n, sizeof err->message - n, ": %s", prefix);
}

int copy_err(dal_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	fill(err, code, NULL, 0, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int copy_err_from(dal_error *err, const dal_error *cause, const char *fmt, ...)
{
	int code = cause && cause->code < 0 ? cause->code : DAL_EBACKEND;
	const char *msg = cause && cause->message[0] ? cause->message : dal_strerror(code);
	va_list ap;

	if (!err)
		return code;
	if (cause == err) {
		/* The message is both source and destination: keep a copy. */
		dal_error copy = *cause;

		va_start(ap, fmt);
		fill(err, code, copy.sqlstate, copy.native, copy.message, fmt, ap);
		va_end(ap);
		return code;
	}
	va_start(ap, fmt);
	fill(err, code, cause ? cause->sqlstate : NULL, cause ? cause->native : 0, msg,
	     fmt, ap);
	va_end(ap);
	return code;
}

enum copy_dialect copy_dialect_of(const dal_repo *repo)
{
	const char *d = dal_repo_dialect(repo);

	if (!d)
		return CD_STANDARD;
	if (strcmp(d, "sqlite") == 0)
		return CD_SQLITE;
	if (strcmp(d, "mysql") == 0)
		return CD_MYSQL;
	if (strcmp(d, "postgresql") == 0)
		return CD_PGSQL;
	return CD_STANDARD;
}

uint64_t copy_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
