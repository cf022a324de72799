/*
 * Internal: the one placeholder rewriter shared by every backend.
 *
 * Applications write `?` and `:name`. The rewriter scans the SQL with the
 * backend dialect's lexical rules (DAL_SYNTAX_* flags), leaves string
 * literals, quoted identifiers, comments, dollar-quoted strings and `::`
 * casts untouched, and emits the backend's own markers: `?` (QMARK) or `$n`
 * (DOLLAR). Numbering: each `?` and each distinct `:name` gets the next
 * application index, in order of first appearance.
 */
#ifndef DAL_CORE_PLACEHOLDER_H
#define DAL_CORE_PLACEHOLDER_H

#include <stddef.h>

#include <dal/error.h>

struct ph_result {
	char *sql;          /* rewritten SQL, NUL-terminated */
	size_t len;
	unsigned nparams;   /* application-visible parameters */
	unsigned npos;      /* backend markers emitted (QMARK: occurrences) */
	unsigned *pos_param; /* npos entries, 1-based app index per marker, or
	                        NULL when every marker i is parameter i */
	char **names;       /* nparams entries: name without ':' or NULL */
};

/*
 * Rewrite sql for a backend with the given param style (enum
 * dal_param_style) and syntax flags. Returns DAL_OK or DAL_ENOMEM (then *out
 * is zeroed). An unterminated literal or comment is copied through as is, so
 * that the server reports the syntax error in its own words.
 */
int ph_rewrite(const char *sql, unsigned style, unsigned syntax,
               struct ph_result *out, dal_error *err);

void ph_free(struct ph_result *r);

#endif
