/*
 * Internal: a growable byte buffer, always NUL-terminated. Used where the
 * core builds strings of unknown length (rewritten SQL, search-path lists).
 * On allocation failure the buffer sets .failed and further appends are
 * no-ops, so callers check once at the end.
 */
#ifndef DAL_CORE_STRBUF_H
#define DAL_CORE_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *data;
	size_t len, cap;
	int failed;
};

void sb_append(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* Give up ownership of the data (NULL if an append failed); resets sb. */
char *sb_detach(struct strbuf *sb);
void sb_free(struct strbuf *sb);

#endif
