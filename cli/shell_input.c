/*
 * Line input of `dal shell`: libedit's line editing and history when the
 * tool is built with it and the input is a terminal, plain lines otherwise
 * (scripts, pipes, or a build without libedit). Also the history file: where
 * it lives ($DAL_HISTFILE, else $XDG_STATE_HOME/dal/history, else
 * ~/.dal_history), that it is private to the user (0600), and that an entry
 * that may hold a password never reaches it.
 */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "shell.h"

/* Entries kept in the history file. */
#define HISTORY_MAX 1000

struct shell_input {
	const struct cli *cli;
	int interactive;
	int editing;     /* libedit reads the lines */
	char *histfile;  /* NULL: no history file */
	char *line;      /* the last line returned */
	size_t cap;
	char *last;      /* the last history entry, not repeated */
	int warned;      /* the history file could not be written */
};

int input_has_line_editing(void)
{
#ifdef HAVE_LIBEDIT
	return 1;
#else
	return 0;
#endif
}

/* The history file: $DAL_HISTFILE (empty: none), $XDG_STATE_HOME/dal/history
 * (the directory made 0700 if missing), or ~/.dal_history. NULL: none. */
static char *history_path(void)
{
	const char *env = getenv("DAL_HISTFILE");
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *path = NULL;

	if (env)
		return *env ? strdup(env) : NULL;
	/* The XDG spec ignores a relative XDG_STATE_HOME. */
	if (state && state[0] == '/') {
		/* Made if missing, private (the spec's 0700). */
		if (mkdir(state, 0700) != 0 && errno != EEXIST)
			return NULL;
		if (asprintf(&path, "%s/dal", state) < 0)
			return NULL;
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			free(path);
			return NULL;
		}
		free(path);
		return asprintf(&path, "%s/dal/history", state) < 0 ? NULL : path;
	}
	if (home && *home)
		return asprintf(&path, "%s/.dal_history", home) < 0 ? NULL : path;
	return NULL;
}

struct shell_input *input_open(const struct cli *cli, int interactive)
{
	struct shell_input *in = calloc(1, sizeof *in);

	if (!in)
		return NULL;
	in->cli = cli;
	in->interactive = interactive;
	if (!interactive)
		return in;
	in->histfile = history_path();
#ifdef HAVE_LIBEDIT
	in->editing = 1;
	using_history();
	stifle_history(HISTORY_MAX);
	if (in->histfile)
		read_history(in->histfile); /* a missing file is an empty history */
#endif
	return in;
}

const char *input_history_path(const struct shell_input *in)
{
	return in->histfile;
}

const char *input_line(struct shell_input *in, const char *prompt, int *failed)
{
	ssize_t n;

	if (failed)
		*failed = 0;
	free(in->editing ? in->line : NULL);
#ifdef HAVE_LIBEDIT
	if (in->editing) {
		in->line = readline(prompt);
		return in->line;
	}
#endif
	if (in->interactive) {
		fputs(prompt, stdout);
		fflush(stdout);
	}
	errno = 0;
	n = getline(&in->line, &in->cap, stdin);
	if (n < 0) {
		if (ferror(stdin) && failed)
			*failed = errno ? errno : EIO;
		return NULL;
	}
	if (n > 0 && in->line[n - 1] == '\n')
		in->line[--n] = '\0';
	if (n > 0 && in->line[n - 1] == '\r') /* a script written on Windows */
		in->line[--n] = '\0';
	return in->line;
}

int input_is_secret(const struct cli *cli, const char *entry)
{
	static const char *const words[] = { "password", "passwd", "identified by",
	                                     NULL };
	size_t n = strlen(entry) + 1;
	char *redacted;
	int secret;

	for (const char *const *w = words; *w; w++)
		if (strcasestr(entry, *w))
			return 1;
	/* cli_redact() masks URL passwords, password=... and the secrets of
	 * this invocation (-u, DB_PASS, ...): any change means a secret. Room
	 * for growth: "***" may be longer than what it replaces. */
	redacted = malloc(4 * n + 64);
	if (!redacted)
		return 1;
	cli_redact(cli, entry, redacted, 4 * n + 64);
	secret = strcmp(redacted, entry) != 0;
	free(redacted);
	return secret;
}

void input_remember(struct shell_input *in, const char *entry)
{
#ifdef HAVE_LIBEDIT
	int fd, e;

	if (!in->editing || !*entry || (in->last && strcmp(in->last, entry) == 0) ||
	    input_is_secret(in->cli, entry))
		return;
	add_history(entry);
	free(in->last);
	in->last = strdup(entry);
	if (!in->histfile)
		return;
	/* Created private before libedit writes it (it keeps the mode). */
	fd = open(in->histfile, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		e = errno;
	else {
		close(fd);
		e = write_history(in->histfile); /* 0, or an errno value */
	}
	if (e && !in->warned) {
		/* Once: the shell works on, without a saved history. */
		cli_fail(in->cli, "shell", "warning: cannot write the history file %s: %s",
		         in->histfile, strerror(e));
		in->warned = 1;
	}
#else
	(void)in;
	(void)entry;
#endif
}

void input_close(struct shell_input *in)
{
	if (!in)
		return;
	free(in->line);
	free(in->last);
	free(in->histfile);
	free(in);
}
