/*
 * The placeholder rewriter; see placeholder.h for the contract.
 *
 * A single forward scan. At each byte we are either in plain SQL, where `?`
 * and `:name` are markers, or inside something that is copied verbatim until
 * its terminator: '...', "...", `...`, [...], -- / # comments, C comments,
 * $tag$...$tag$. Each such region is handled by a skip_* function returning
 * the index just past it (or the end of input when unterminated).
 */
#include "placeholder.h"

#include <stdlib.h>
#include <string.h>

#include <dal/plugin.h>

#include "hindex.h"
#include "strbuf.h"

static int is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_ident(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* Skip a quoted region starting at s[i] == q. Doubled quotes are escapes;
 * backslash escapes when `backslash` is set. */
static size_t skip_quoted(const char *s, size_t n, size_t i, char q, char close,
                          int backslash)
{
	for (i++; i < n; i++) {
		if (backslash && s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] == close) {
			if (q == close && i + 1 < n && s[i + 1] == close) {
				i++;
				continue;
			}
			return i + 1;
		}
	}
	return n;
}

static size_t skip_line_comment(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] != '\n')
		i++;
	return i;
}

static size_t skip_block_comment(const char *s, size_t n, size_t i, int nested)
{
	int depth = 1;

	for (i += 2; i < n; i++) {
		if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
			i++;
			if (--depth == 0 || !nested)
				return i + 1;
		} else if (nested && s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			i++;
			depth++;
		}
	}
	return n;
}

/* $tag$ ... $tag$ where tag is empty or an identifier not starting with a
 * digit. Returns i unchanged when s[i] does not open a dollar quote (e.g. $1). */
static size_t skip_dollar_quote(const char *s, size_t n, size_t i)
{
	size_t j = i + 1, taglen;

	if (j < n && is_ident_start((unsigned char)s[j]))
		while (j < n && is_ident((unsigned char)s[j]) && s[j] != '$')
			j++;
	if (j >= n || s[j] != '$')
		return i;
	taglen = j - i + 1; /* including both $ */
	for (j++; j + taglen <= n; j++)
		if (s[j] == '$' && memcmp(s + j, s + i, taglen) == 0)
			return j + taglen;
	return n;
}

struct ph_state {
	struct ph_result *r;
	unsigned cap_pos, cap_names;
	int repeats;         /* a :name occurred more than once */
	struct hindex names; /* :name -> r->names[], so that a repeat is found
	                        in constant time (linear in the SQL's size) */
};

struct ph_name {
	const char *s;
	size_t len;
};

static int name_is(const void *ctx, size_t i, const void *key)
{
	const struct ph_result *r = ctx;
	const struct ph_name *k = key;

	return strncmp(r->names[i], k->s, k->len) == 0 && r->names[i][k->len] == '\0';
}

static uint64_t name_hash(const void *ctx, size_t i)
{
	const struct ph_result *r = ctx;

	return hindex_hash(HINDEX_SEED, r->names[i], strlen(r->names[i]));
}

static int add_param(struct ph_state *st, const char *name, size_t len, unsigned *idx)
{
	struct ph_result *r = st->r;
	struct ph_name key = {name, len};
	size_t *slot = NULL;

	if (name) {
		if (!hindex_reserve(&st->names, name_hash, r))
			return 0;
		slot = hindex_find(&st->names, hindex_hash(HINDEX_SEED, name, len), name_is, r,
		                   &key);
		if (*slot) {
			*idx = (unsigned)*slot;
			st->repeats = 1;
			return 1;
		}
	}
	if (r->nparams == st->cap_names) {
		unsigned cap = st->cap_names ? st->cap_names * 2 : 8;
		char **p = realloc(r->names, cap * sizeof *p);
		if (!p)
			return 0;
		r->names = p;
		st->cap_names = cap;
	}
	r->names[r->nparams] = NULL;
	if (name) {
		if (!(r->names[r->nparams] = strndup(name, len)))
			return 0;
		hindex_set(&st->names, slot, r->nparams);
	}
	*idx = ++r->nparams;
	return 1;
}

static int add_pos(struct ph_state *st, unsigned idx)
{
	struct ph_result *r = st->r;

	if (r->npos == st->cap_pos) {
		unsigned cap = st->cap_pos ? st->cap_pos * 2 : 8;
		unsigned *p = realloc(r->pos_param, cap * sizeof *p);
		if (!p)
			return 0;
		r->pos_param = p;
		st->cap_pos = cap;
	}
	r->pos_param[r->npos++] = idx;
	return 1;
}

void ph_free(struct ph_result *r)
{
	if (!r)
		return;
	free(r->sql);
	free(r->pos_param);
	if (r->names)
		for (unsigned k = 0; k < r->nparams; k++)
			free(r->names[k]);
	free(r->names);
	memset(r, 0, sizeof *r);
}

int ph_rewrite(const char *s, unsigned style, unsigned syntax,
               struct ph_result *out, dal_error *err)
{
	size_t n = strlen(s), i = 0, copied = 0;
	int backslash = (syntax & DAL_SYNTAX_BACKSLASH_ESCAPE) != 0;
	struct strbuf sb = {0};
	struct ph_state st = {.r = out};

	memset(out, 0, sizeof *out);
	while (i < n) {
		char c = s[i];
		size_t next = i + 1;
		const char *name = NULL;
		size_t namelen = 0;
		unsigned idx;

		switch (c) {
		case '\'':
			/* E'...' (PostgreSQL) always takes backslash escapes. */
			next = skip_quoted(s, n, i, '\'', '\'',
			                   backslash || ((syntax & DAL_SYNTAX_DOLLAR_QUOTE) && i > 0 &&
			                                 (s[i - 1] == 'E' || s[i - 1] == 'e') &&
			                                 (i < 2 || !is_ident((unsigned char)s[i - 2]))));
			break;
		case '"':
			next = skip_quoted(s, n, i, '"', '"', backslash);
			break;
		case '`':
			if (syntax & DAL_SYNTAX_BACKTICK)
				next = skip_quoted(s, n, i, '`', '`', 0);
			break;
		case '[':
			if (syntax & DAL_SYNTAX_BRACKET_IDENT)
				next = skip_quoted(s, n, i, '[', ']', 0);
			break;
		case '-':
			if (i + 1 < n && s[i + 1] == '-')
				next = skip_line_comment(s, n, i);
			break;
		case '#':
			if (syntax & DAL_SYNTAX_HASH_COMMENT)
				next = skip_line_comment(s, n, i);
			break;
		case '/':
			if (i + 1 < n && s[i + 1] == '*')
				next = skip_block_comment(s, n, i,
				                          (syntax & DAL_SYNTAX_NESTED_COMMENT) != 0);
			break;
		case '$':
			if ((syntax & DAL_SYNTAX_DOLLAR_QUOTE) &&
			    (i == 0 || !is_ident((unsigned char)s[i - 1]))) {
				next = skip_dollar_quote(s, n, i);
				if (next == i)
					next = i + 1;
			}
			break;
		case ':':
			if (i + 1 < n && s[i + 1] == ':') {
				next = i + 2; /* :: cast */
			} else if (i + 1 < n && is_ident_start((unsigned char)s[i + 1]) &&
			           (i == 0 || !is_ident((unsigned char)s[i - 1]))) {
				size_t j = i + 1;
				while (j < n && is_ident((unsigned char)s[j]))
					j++;
				name = s + i + 1;
				namelen = j - i - 1;
				next = j;
				goto marker;
			}
			break;
		case '?':
			goto marker;
		default:
			break;
		}
		i = next;
		continue;
marker:
		if (!add_param(&st, name, namelen, &idx) || !add_pos(&st, idx))
			goto nomem;
		sb_append(&sb, s + copied, i - copied);
		if (style == DAL_PARAM_DOLLAR)
			sb_printf(&sb, "$%u", idx);
		else
			sb_append(&sb, "?", 1);
		i = copied = next;
	}
	sb_append(&sb, s + copied, n - copied);
	if (sb.failed)
		goto nomem;
	out->len = sb.len;
	out->sql = sb_detach(&sb);
	if (!out->sql)
		goto nomem;
	/* With $n markers each parameter has one position; with ? markers a
	 * repeated :name occupies several. Keep the map only when needed. */
	if (style == DAL_PARAM_DOLLAR) {
		out->npos = out->nparams;
		free(out->pos_param);
		out->pos_param = NULL;
	} else if (!st.repeats) {
		free(out->pos_param);
		out->pos_param = NULL;
	}
	hindex_free(&st.names);
	return DAL_OK;
nomem:
	hindex_free(&st.names);
	sb_free(&sb);
	ph_free(out);
	return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory rewriting placeholders");
}
