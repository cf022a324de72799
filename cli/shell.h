/*
 * Internal to `dal shell`: the pieces of the interactive shell and the
 * script runner, one job per file. shell.c reads input and runs what it
 * reads; shell_lex.c finds where an SQL statement ends; shell_input.c reads
 * lines (libedit when built with it) and keeps the history file;
 * shell_meta.c runs the backslash commands; shell_catalog.c holds the
 * catalog queries behind \tables and \describe.
 */
#ifndef DAL_CLI_SHELL_H
#define DAL_CLI_SHELL_H

#include <stddef.h>
#include <stdio.h>

#include "cli.h"

/* ------------------------------------------------------------------------ */
/* Statement splitting (shell_lex.c)                                         */
/* ------------------------------------------------------------------------ */

/* Where the scanner is: outside any literal, or inside one of these. */
enum lex_state {
	LX_NORMAL = 0,
	LX_SQUOTE,   /* '...' */
	LX_DQUOTE,   /* "..." */
	LX_BTICK,    /* `...` (DAL_SYNTAX_BACKTICK) */
	LX_BRACKET,  /* [...] (DAL_SYNTAX_BRACKET_IDENT) */
	LX_LINE_COMMENT,
	LX_BLOCK_COMMENT,
	LX_DOLLAR    /* $tag$...$tag$ (DAL_SYNTAX_DOLLAR_QUOTE) */
};

/*
 * An incremental scanner over a growing buffer of SQL text that is fed
 * whole lines (each ending with '\n'): a token never spans the end of the
 * text scanned so far, so scanning resumes where it stopped. It follows the
 * lexical rules the backend's plugin declares (DAL_SYNTAX_* flags).
 */
struct sql_lexer {
	unsigned syntax;
	enum lex_state state;
	int escapes;        /* the current quoted text takes backslash escapes */
	unsigned depth;     /* block comment nesting */
	size_t pos;         /* next byte to scan */
	size_t open_at;     /* where the current literal or comment began */
	size_t content_at;  /* first byte that is not blank or comment, or
	                       (size_t)-1 while there is none */
	char tag[64];       /* the $tag$ of LX_DOLLAR, NUL-terminated */
	size_t taglen;
};

/* Start scanning a new statement at offset 0 (set lx->pos to start
 * elsewhere) with the given syntax flags. */
void lex_reset(struct sql_lexer *lx, unsigned syntax);

/* The text before offset n (all of it scanned) was removed from the
 * buffer: move the offsets. */
void lex_shift(struct sql_lexer *lx, size_t n);

/* Scan buf[lx->pos .. len). Returns the offset of a ';' that ends a
 * statement (outside quotes, comments and dollar quotes), or -1 when the
 * text ends first (lx->state then says inside what). */
long lex_scan(struct sql_lexer *lx, const char *buf, size_t len);

/* "string", "quoted identifier", "comment", ... for an error message about
 * text that ends inside state. */
const char *lex_state_name(enum lex_state state);

/* ------------------------------------------------------------------------ */
/* Line input and history (shell_input.c)                                    */
/* ------------------------------------------------------------------------ */

struct shell_input;

/* Open the input: stdin. interactive: read with line editing (when built
 * with libedit) and load the history file. Returns NULL when out of memory. */
struct shell_input *input_open(const struct cli *cli, int interactive);

/* Read one line, without its newline, showing prompt when interactive.
 * Returns a string valid until the next call, or NULL at end of input (or
 * on a read error, reported through *failed when not NULL). */
const char *input_line(struct shell_input *in, const char *prompt, int *failed);

/* Remember entry (a statement or a backslash command) in the history and
 * the history file, unless it looks like it holds a password. */
void input_remember(struct shell_input *in, const char *entry);

/* 1 if entry must never be written to the history: a URL with a password,
 * password=..., PASSWORD '...', IDENTIFIED BY, or one of the invocation's
 * secrets. */
int input_is_secret(const struct cli *cli, const char *entry);

/* The history file path in use, or NULL (none). */
const char *input_history_path(const struct shell_input *in);

/* 1 when built with libedit. */
int input_has_line_editing(void);

void input_close(struct shell_input *in);

/* ------------------------------------------------------------------------ */
/* The shell's state and its commands (shell.c, shell_meta.c)                */
/* ------------------------------------------------------------------------ */

struct shell {
	struct cli *cli;
	enum out_format format;  /* FMT_TABLE, FMT_CSV or FMT_JSON */
	int timing;              /* \timing on */
	int interactive;
	int quit;                /* \quit seen */
	const char *where;       /* "stdin" (scripts): for line numbers */
	unsigned line;           /* line of the statement being run */
};

/* Print an error of the shell: "dal: shell: stdin:LINE: text" in a script,
 * "dal: shell: text" interactively. */
void shell_fail(const struct shell *sh, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
void shell_fail_error(const struct shell *sh, const dal_error *err);

/* Run the statement whose first step returned rc (prepared and bound by the
 * caller), print its result in sh->format and the time when \timing is on.
 * start_ns: when the caller began (prepare). Returns 0, or -1 with the error
 * printed. */
int shell_print_result(struct shell *sh, dal_stmt *stmt, int rc, long long start_ns);

/* Monotonic clock in nanoseconds. */
long long shell_now_ns(void);

/* Run one backslash command line ("\describe t"). Returns 0, or -1 with the
 * error printed. */
int shell_meta(struct shell *sh, const char *line);

/* ------------------------------------------------------------------------ */
/* ^C (shell_signal.c)                                                       */
/* ------------------------------------------------------------------------ */

/* Catch SIGINT: while sigint_running(1), it cancels conn's statement; it
 * always sets the flag sigint_take() returns (and clears). Returns 0, or -1
 * (^C then keeps its default action). */
int sigint_start(dal_conn *conn);
void sigint_running(int on);
int sigint_take(void);
/* 1 if ^C came since the last sigint_take(). */
int sigint_pending(void);
/* Restore SIGINT's previous action and end the watcher thread. */
void sigint_stop(void);

/* ------------------------------------------------------------------------ */
/* Catalog queries (shell_catalog.c)                                         */
/* ------------------------------------------------------------------------ */

struct catalog {
	const char *family;           /* the dialect, or "information_schema" */
	const char *tables_sql;       /* columns: name, type */
	/* columns: name, type, nullable, primary_key (position in the key);
	 * parameters (each optional): :schema (NULL: the current one) and
	 * :table, or :name, the name as written, which the server resolves */
	const char *describe_sql;
};

/* The catalog queries for the repository's backend: those its plugin
 * declares (<dal/dialect.h>), filled into *buf, or the SQL standard's
 * information_schema for a plugin that declares none. */
const struct catalog *catalog_for(dal_repo *repo, struct catalog *buf);

#endif
