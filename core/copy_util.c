/*
 * The copy layer's small helpers: identifier quoting by the repository's
 * declared quotes (into the core's strbuf), error filling and the SQL facts
 * of a repository. Public API otherwise.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "copy_int.h"

void copy_quote(struct strbuf *b, const char *quote, const char *ident)
{
	char open = quote && quote[0] ? quote[0] : '"';
	char close = quote && quote[0] && quote[1] ? quote[1] : open;

	sb_append(b, &open, 1);
	for (const char *p = ident; *p; p++) {
		sb_append(b, p, 1);
		if (*p == close)
			sb_append(b, p, 1);
	}
	sb_append(b, &close, 1);
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

const struct dal_sql_facts *copy_facts(const dal_repo *repo)
{
	static const struct dal_sql_facts standard = { .struct_size = sizeof standard };
	const struct dal_sql_facts *f = dal_repo_sql_facts(repo);

	return f ? f : &standard;
}

uint64_t copy_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
