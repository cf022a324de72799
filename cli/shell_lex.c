/*
 * Where an SQL statement typed into `dal shell` ends: at a ';' outside
 * string literals, quoted identifiers, comments and dollar-quoted strings,
 * as the backend's dialect (the DAL_SYNTAX_* flags its plugin declares)
 * defines them. The scanner is incremental: the shell appends a line at a
 * time and scanning resumes where it stopped, so a long script costs one
 * pass. It does not parse SQL: a ';' inside a compound statement body
 * (SQLite's CREATE TRIGGER ... BEGIN ...; END) ends the statement.
 */
#include <ctype.h>
#include <string.h>

#include <dal/plugin.h>

#include "shell.h"

#define NO_CONTENT ((size_t)-1)

void lex_reset(struct sql_lexer *lx, unsigned syntax)
{
	memset(lx, 0, sizeof *lx);
	lx->syntax = syntax;
	lx->content_at = NO_CONTENT;
}

void lex_shift(struct sql_lexer *lx, size_t n)
{
	lx->pos -= n;
	lx->open_at = lx->open_at >= n ? lx->open_at - n : 0;
	if (lx->content_at != NO_CONTENT)
		lx->content_at -= n;
}

const char *lex_state_name(enum lex_state state)
{
	switch (state) {
	case LX_SQUOTE: return "string literal";
	case LX_DQUOTE: return "quoted identifier or string";
	case LX_BTICK: return "`quoted identifier`";
	case LX_BRACKET: return "[quoted identifier]";
	case LX_BLOCK_COMMENT: return "comment";
	case LX_DOLLAR: return "dollar-quoted string";
	default: return "statement";
	}
}

static int is_ident(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* Length of a dollar-quote tag ("$$", "$body$") at buf[i], or 0. */
static size_t dollar_tag(const char *buf, size_t i, size_t len)
{
	size_t j = i + 1;

	if (j < len && buf[j] == '$')
		return 2;
	if (j >= len || !(isalpha((unsigned char)buf[j]) || buf[j] == '_' ||
	                  (unsigned char)buf[j] >= 0x80))
		return 0;
	while (j < len && is_ident((unsigned char)buf[j]) && buf[j] != '$')
		j++;
	return j < len && buf[j] == '$' ? j - i + 1 : 0;
}

/* Enter a quoted state whose closing character is the same as the opening
 * one (doubled to escape it). */
static void open_quote(struct sql_lexer *lx, enum lex_state st, size_t i, int escapes)
{
	lx->state = st;
	lx->open_at = i;
	lx->escapes = escapes;
	if (lx->content_at == NO_CONTENT)
		lx->content_at = i;
}

long lex_scan(struct sql_lexer *lx, const char *buf, size_t len)
{
	const unsigned syn = lx->syntax;
	size_t i = lx->pos;

	while (i < len) {
		unsigned char c = (unsigned char)buf[i];
		char close;

		switch (lx->state) {
		case LX_NORMAL:
			if (c == ';') {
				lx->pos = i + 1;
				return (long)i;
			}
			if (c == '-' && i + 1 < len && buf[i + 1] == '-') {
				lx->state = LX_LINE_COMMENT;
				i += 2;
				continue;
			}
			if (c == '#' && (syn & DAL_SYNTAX_HASH_COMMENT)) {
				lx->state = LX_LINE_COMMENT;
				break;
			}
			if (c == '/' && i + 1 < len && buf[i + 1] == '*') {
				lx->state = LX_BLOCK_COMMENT;
				lx->open_at = i;
				lx->depth = 1;
				i += 2;
				continue;
			}
			if (c == '\'') {
				/* E'...' (PostgreSQL) takes backslash escapes. */
				int e = (syn & DAL_SYNTAX_BACKSLASH_ESCAPE) ||
				        ((syn & DAL_SYNTAX_DOLLAR_QUOTE) && i > 0 &&
				         (buf[i - 1] == 'E' || buf[i - 1] == 'e') &&
				         (i < 2 || !is_ident((unsigned char)buf[i - 2])));
				open_quote(lx, LX_SQUOTE, i, e);
				break;
			}
			if (c == '"') {
				open_quote(lx, LX_DQUOTE, i,
				           (syn & DAL_SYNTAX_BACKSLASH_ESCAPE) != 0);
				break;
			}
			if (c == '`' && (syn & DAL_SYNTAX_BACKTICK)) {
				open_quote(lx, LX_BTICK, i, 0);
				break;
			}
			if (c == '[' && (syn & DAL_SYNTAX_BRACKET_IDENT)) {
				open_quote(lx, LX_BRACKET, i, 0);
				break;
			}
			if (c == '$' && (syn & DAL_SYNTAX_DOLLAR_QUOTE) &&
			    (i == 0 || !is_ident((unsigned char)buf[i - 1]))) {
				size_t n = dollar_tag(buf, i, len);

				if (n && n < sizeof lx->tag) {
					open_quote(lx, LX_DOLLAR, i, 0);
					memcpy(lx->tag, buf + i, n);
					lx->tag[n] = '\0';
					lx->taglen = n;
					i += n;
					continue;
				}
			}
			if (!isspace(c) && lx->content_at == NO_CONTENT)
				lx->content_at = i;
			break;
		case LX_SQUOTE:
		case LX_DQUOTE:
		case LX_BTICK:
		case LX_BRACKET:
			close = lx->state == LX_SQUOTE ? '\'' : lx->state == LX_DQUOTE ? '"'
			        : lx->state == LX_BTICK ? '`' : ']';
			if (c == '\\' && lx->escapes) {
				i += 2; /* the escaped byte; lines end with '\n' */
				continue;
			}
			if (c == (unsigned char)close) {
				if (i + 1 < len && buf[i + 1] == close) {
					i += 2;
					continue;
				}
				lx->state = LX_NORMAL;
			}
			break;
		case LX_LINE_COMMENT:
			if (c == '\n')
				lx->state = LX_NORMAL;
			break;
		case LX_BLOCK_COMMENT:
			if (c == '*' && i + 1 < len && buf[i + 1] == '/') {
				if (--lx->depth == 0)
					lx->state = LX_NORMAL;
				i += 2;
				continue;
			}
			if (c == '/' && i + 1 < len && buf[i + 1] == '*' &&
			    (syn & DAL_SYNTAX_NESTED_COMMENT)) {
				lx->depth++;
				i += 2;
				continue;
			}
			break;
		case LX_DOLLAR:
			if (c == '$' && len - i >= lx->taglen &&
			    memcmp(buf + i, lx->tag, lx->taglen) == 0) {
				lx->state = LX_NORMAL;
				i += lx->taglen;
				continue;
			}
			break;
		}
		i++;
	}
	lx->pos = i > len ? len : i;
	return -1;
}
