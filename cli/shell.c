/*
 * `dal shell`: read SQL statements and backslash commands, run them on the
 * invocation's connection and print their results as `dal query` does.
 *
 * On a terminal it prompts, edits lines and keeps a history (shell_input.c)
 * and an error leaves the shell running. Otherwise it runs stdin as a
 * script: no prompt, errors name their line, and the first error stops the
 * script with exit status 1 unless --continue is given (then the status is
 * 1 if any statement failed). An interactive session exits 0 unless it
 * cannot start (no connection) or stdin cannot be read.
 *
 * ^C cancels the running statement, or drops the one being typed
 * (shell_signal.c).
 *
 * A statement ends at a ';' that is not inside a literal or comment of the
 * backend's dialect (shell_lex.c), so it may span lines and several may
 * share one. A backslash command is one line, recognised only where a
 * statement would begin.
 */
#define _GNU_SOURCE
#include <config.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shell.h"

#ifdef HAVE_LIBEDIT
#define SHELL_EDITING "This dal is built with libedit: line editing and history.\n"
#else
#define SHELL_EDITING "This dal is built without libedit: plain lines, no editing or history.\n"
#endif

const char cmd_shell_help[] =
	"Usage: dal shell [--csv|--json] [--continue]\n"
	"Read SQL statements and run them on one connection, printing results\n"
	"as 'dal query' does (table, or --csv / --json; \\format changes it).\n"
	"A statement ends with ';' and may span lines; a ';' inside quotes,\n"
	"comments or PostgreSQL dollar-quoted strings does not end it.\n"
	"\n"
	"On a terminal: a prompt, line editing and history (when dal is built\n"
	"with libedit; otherwise plain lines); an error leaves the shell\n"
	"running; ^C cancels the running statement, or drops the one being\n"
	"typed. History is kept in $DAL_HISTFILE (empty: none), else\n"
	"$XDG_STATE_HOME/dal/history, else ~/.dal_history (mode 0600); lines\n"
	"that look like they hold a password are never recorded.\n"
	"\n"
	"Otherwise stdin is a script: no prompt, errors name their line\n"
	"(\"dal: shell: stdin:LINE: ...\"), a last statement without ';' runs,\n"
	"and the first error ends it with exit status 1.\n"
	"  --continue  run the rest of the script after an error (exit status\n"
	"              1 if any statement failed)\n"
	"\n"
	"Commands (one line, where a statement would begin):\n"
	"  \\tables              tables and views\n"
	"  \\describe T          columns of T: type, nullable, primary key\n"
	"  \\timing [on|off]     time each statement\n"
	"  \\format table|csv|json\n"
	"  \\help                the commands\n"
	"  \\quit                leave (so does end of input)\n"
	"\n"
	SHELL_EDITING;

long long shell_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The prefix of an error: "shell: stdin:12" in a script, else "shell". */
static const char *fail_where(const struct shell *sh, char *buf, size_t size)
{
	if (sh->interactive || !sh->line)
		return "shell";
	snprintf(buf, size, "shell: %s:%u", sh->where, sh->line);
	return buf;
}

void shell_fail(const struct shell *sh, const char *fmt, ...)
{
	char text[2 * DAL_ERROR_MESSAGE_SIZE], where[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	cli_fail(sh->cli, fail_where(sh, where, sizeof where), "%s", text);
}

void shell_fail_error(const struct shell *sh, const dal_error *err)
{
	char where[64];

	cli_fail_error(sh->cli, fail_where(sh, where, sizeof where), err);
}

int shell_print_result(struct shell *sh, dal_stmt *stmt, int rc, long long start_ns)
{
	uint64_t nrows = 0;

	rc = cli_print_rows(stdout, stmt, rc, sh->format, &nrows);
	if (rc != DAL_OK) {
		fflush(stdout);
		shell_fail_error(sh, dal_stmt_error(stmt));
		return -1;
	}
	if (sh->timing)
		printf("Time: %.3f ms\n", (double)(shell_now_ns() - start_ns) / 1e6);
	fflush(stdout);
	return 0;
}

/* Prepare and run one statement. */
static int run_sql(struct shell *sh, const char *sql)
{
	long long start = shell_now_ns();
	dal_stmt *stmt;
	int rc;

	if (dal_stmt_prepare(sh->cli->conn, sql, &stmt) != DAL_OK) {
		shell_fail_error(sh, dal_conn_error(sh->cli->conn));
		return -1;
	}
	/* A ^C between the Enter and now found nothing running to cancel. */
	if (sigint_pending()) {
		dal_stmt_close(stmt);
		shell_fail(sh, "cancelled (^C) before it ran");
		return -1;
	}
	rc = shell_print_result(sh, stmt, dal_stmt_step(stmt), start);
	dal_stmt_close(stmt);
	return rc;
}

/*
 * The text read and not yet run. Statements are run from it in place and
 * only skipped (done advances); the buffer is compacted once per line read,
 * so a long line of many statements costs one pass, not one move each.
 */
struct pending {
	char *p;
	size_t len, cap;
	size_t done;        /* p[0 .. done) has been run */
	unsigned done_line; /* input line of p[done] */
};

static int pending_add(struct pending *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->p, cap)))
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* The input line of p[off], off >= done. */
static unsigned line_at(const struct pending *b, size_t off)
{
	unsigned line = b->done_line;

	for (size_t k = b->done; k < off && k < b->len; k++)
		line += b->p[k] == '\n';
	return line;
}

static void pending_skip(struct pending *b, size_t to)
{
	b->done_line = line_at(b, to);
	b->done = to;
}

/* Drop p[0 .. done); the lexer's offsets move with the text. */
static void pending_compact(struct pending *b, struct sql_lexer *lx)
{
	if (!b->done)
		return;
	memmove(b->p, b->p + b->done, b->len - b->done + 1);
	b->len -= b->done;
	lex_shift(lx, b->done);
	b->done = 0;
}

/* Forget everything typed (^C, or a backslash command). */
static void pending_clear(struct pending *b, struct sql_lexer *lx)
{
	b->len = b->done = 0;
	lex_reset(lx, lx->syntax);
}

/*
 * Run the statement p[content_at .. end) (end: its ';', or the end of the
 * text at end of input): trailing blanks cut, the ';' not sent, since not
 * every server accepts one in a prepared statement.
 */
static int run_pending(struct shell *sh, struct shell_input *in, struct pending *b,
                       size_t content_at, size_t end)
{
	size_t stop = end;
	char save;
	int rc;

	/* The history gets the statement as typed, ';' included, so that a
	 * recalled entry runs as it is. */
	if (end < b->len && b->p[end] == ';') {
		save = b->p[end + 1];
		b->p[end + 1] = '\0';
		input_remember(in, b->p + content_at);
		b->p[end + 1] = save;
	} else
		input_remember(in, b->p + content_at);
	while (stop > content_at && (b->p[stop - 1] == ' ' || b->p[stop - 1] == '\t' ||
	                             b->p[stop - 1] == '\n' || b->p[stop - 1] == '\r'))
		stop--;
	save = b->p[stop];
	b->p[stop] = '\0';
	sh->line = line_at(b, content_at);
	rc = run_sql(sh, b->p + content_at);
	b->p[stop] = save;
	return rc;
}

/* The prompt: "<repository>=> " for a new statement, "<repository>-> "
 * while one continues ('> inside a string, *> inside a comment, ...). */
static void make_prompt(const struct shell *sh, const struct sql_lexer *lx,
                        int continuing, char *buf, size_t size)
{
	static const char marks[] = { '-', '\'', '"', '`', ']', '-', '*', '$' };
	char mark = continuing ? marks[lx->state] : '=';

	snprintf(buf, size, "%s%c> ", dal_repo_name(sh->cli->repo), mark);
}

/* Is line a backslash command: its first non-blank byte a backslash? */
static const char *meta_start(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return *line == '\\' ? line : NULL;
}

int cmd_shell(struct cli *cli, const struct command *cmd)
{
	struct shell sh = { .cli = cli, .where = "stdin" };
	struct pending b = { .done_line = 1 };
	struct sql_lexer lx;
	struct shell_input *in;
	unsigned lineno = 0, failures = 0;
	int read_error = 0, stop = 0;
	char prompt[128];

	sh.format = cmd->format == FMT_CSV || cmd->format == FMT_JSON ? cmd->format
	                                                              : FMT_TABLE;
	sh.interactive = isatty(STDIN_FILENO);
	if (cli_conn(cli, cmd->name))
		return EXIT_RUNTIME;
	if (!(in = input_open(cli, sh.interactive))) {
		cli_fail(cli, cmd->name, "out of memory");
		return EXIT_RUNTIME;
	}
	if (sh.interactive && !cli->quiet)
		printf("dal %s: repository %s (%s). \\help for help, \\quit to leave.\n",
		       DAL_VERSION_STRING, dal_repo_name(cli->repo),
		       dal_repo_backend(cli->repo));
	lex_reset(&lx, dal_repo_syntax(cli->repo));
	if (sh.interactive)
		sigint_start(cli->conn);

	while (!stop && !sh.quit) {
		const char *line, *meta;
		long end;
		int bad;

		make_prompt(&sh, &lx, lx.content_at != (size_t)-1 || lx.state != LX_NORMAL,
		            prompt, sizeof prompt);
		if (!(line = input_line(in, prompt, &read_error))) {
			if (!sigint_take())
				break;
			/* ^C at the prompt: drop what was typed. */
			clearerr(stdin);
			read_error = 0;
			fputs("^C\n", stdout);
			pending_clear(&b, &lx);
			continue;
		}
		lineno++;
		if (b.len == 0)
			b.done_line = lineno;
		/* Where a statement would begin, a backslash line is a command. */
		if (lx.content_at == (size_t)-1 && lx.state == LX_NORMAL &&
		    (meta = meta_start(line))) {
			pending_clear(&b, &lx);
			sh.line = lineno;
			input_remember(in, meta);
			sigint_running(1);
			bad = shell_meta(&sh, meta) != 0;
			sigint_running(0);
			sigint_take();
			failures += bad;
			stop = bad && !sh.interactive && !cmd->keep_going;
			continue;
		}
		if (pending_add(&b, line, strlen(line)) || pending_add(&b, "\n", 1)) {
			cli_fail(cli, cmd->name, "out of memory");
			failures++;
			break;
		}
		while (!stop && (end = lex_scan(&lx, b.p, b.len)) >= 0) {
			if (lx.content_at != (size_t)-1) {
				sigint_running(1);
				bad = run_pending(&sh, in, &b, lx.content_at, (size_t)end) != 0;
				sigint_running(0);
				sigint_take(); /* a ^C for this statement is spent */
				failures += bad;
				stop = bad && !sh.interactive && !cmd->keep_going;
			}
			pending_skip(&b, (size_t)end + 1);
			lex_reset(&lx, lx.syntax);
			lx.pos = b.done;
		}
		pending_compact(&b, &lx);
	}

	if (read_error) {
		cli_fail(cli, cmd->name, "cannot read stdin: %s", strerror(read_error));
		sigint_stop();
		free(b.p);
		input_close(in);
		return EXIT_RUNTIME;
	} else if (!stop && !sh.quit && lx.state != LX_NORMAL &&
	           lx.state != LX_LINE_COMMENT) {
		sh.line = line_at(&b, lx.open_at);
		shell_fail(&sh, "end of input inside a %s that starts here; "
		           "nothing of it was run", lex_state_name(lx.state));
		failures++;
	} else if (!stop && !sh.quit && lx.content_at != (size_t)-1) {
		/* A last statement without ';': a script runs it; at a terminal
		 * end of input (^D) means leave, so it is dropped. */
		if (sh.interactive)
			fputs("\n(unfinished statement not run)\n", stdout);
		else
			failures += run_pending(&sh, in, &b, lx.content_at, b.len) != 0;
	} else if (sh.interactive && !sh.quit) {
		putchar('\n'); /* after the prompt that ^D answered */
	}
	sigint_stop();
	free(b.p);
	input_close(in);
	fflush(stdout);
	/* At a terminal the user saw each error as it happened; a script's
	 * caller learns of them from the status. */
	return failures && !sh.interactive ? EXIT_RUNTIME : EXIT_OK;
}
