/*
 * `dal`: the libdal command-line tool. This file owns the command line
 * (global options, the chain of commands and their options), the
 * shared state of one invocation (configuration, repository and the one
 * connection the chain runs on, opened on first use), error lines, the log
 * sink, and keeping passwords off the terminal. The command table and the
 * help texts are in cmdtable.c, the commands in commands.c and health.c,
 * row output in format.c.
 *
 * The whole command line is parsed before anything runs, so a usage error
 * late in a chain (exit 2) never leaves half the chain executed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifdef DAL_STATIC_BACKENDS
/* A static dal (configure --enable-static-backends): libtool -dlpreopen
 * linked the chosen backends in and generated lt_preloaded_symbols. */
#include <ltdl.h>
#endif

/* ------------------------------------------------------------------------ */
/* Passwords                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Secrets shorter than this are not scrubbed from text: replacing every "ab"
 * in a message would make it unreadable. They are still masked wherever the
 * library knows them as passwords; the scrub is a second line of defence.
 */
#define SECRET_MIN 4

static void add_secret(struct cli *cli, const char *s, size_t len)
{
	char *copy;

	if (len < SECRET_MIN ||
	    cli->n_secrets == sizeof cli->secrets / sizeof cli->secrets[0])
		return;
	copy = strndup(s, len);
	if (copy)
		cli->secrets[cli->n_secrets++] = copy;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Remember the password of a URL, as written and percent-decoded. */
static void add_url_secret(struct cli *cli, const char *url)
{
	const char *auth, *end, *at = NULL, *colon = NULL;
	char dec[1024];
	size_t n = 0;

	if (!url || !(auth = strstr(url, "://")))
		return;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return;
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (!colon)
		return;
	add_secret(cli, colon + 1, (size_t)(at - colon - 1));
	for (const char *p = colon + 1; p < at && n + 1 < sizeof dec; p++) {
		if (*p == '%' && p + 2 < at && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			dec[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else
			dec[n++] = *p;
	}
	add_secret(cli, dec, n);
}

/* A string that grows, for redaction; on allocation failure it reports
 * failure once and redact falls back to a fixed text. */
struct rbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void rb_add(struct rbuf *b, const char *s, size_t n)
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

/*
 * Replace the password of every URL in s ("scheme://user:pw@host") and every
 * "password=value" (connection-string style) with ***.
 */
static void redact_patterns(const char *s, struct rbuf *b)
{
	while (*s) {
		const char *sep = strstr(s, "://");
		const char *pw = strcasestr(s, "password=");
		const char *auth, *end, *at = NULL, *colon;

		if (pw && (!sep || pw < sep)) {
			pw += strlen("password=");
			rb_add(b, s, (size_t)(pw - s));
			if (*pw && !isspace((unsigned char)*pw))
				rb_add(b, "***", 3);
			s = pw + strcspn(pw, " \t\r\n;,");
			continue;
		}
		if (!sep) {
			rb_add(b, s, strlen(s));
			return;
		}
		auth = sep + 3;
		end = auth + strcspn(auth, "/?#'\" \t\r\n");
		for (const char *p = auth; p < end; p++)
			if (*p == '@')
				at = p;
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (!colon) {
			rb_add(b, s, (size_t)(auth - s));
			s = auth;
			continue;
		}
		rb_add(b, s, (size_t)(colon + 1 - s));
		rb_add(b, "***", 3);
		s = at;
	}
}

void cli_redact(const struct cli *cli, const char *s, char *buf, size_t size)
{
	struct rbuf a = { 0 }, b = { 0 };
	const char *text;

	redact_patterns(s, &a);
	rb_add(&a, "", 0);
	text = a.p;
	for (size_t k = 0; k < cli->n_secrets && text; k++) {
		const char *p = text, *hit;
		size_t n = strlen(cli->secrets[k]);

		b.len = 0;
		while ((hit = strstr(p, cli->secrets[k])) != NULL) {
			rb_add(&b, p, (size_t)(hit - p));
			rb_add(&b, "***", 3);
			p = hit + n;
		}
		rb_add(&b, p, strlen(p));
		if (b.failed)
			break;
		/* Swap so that the next secret scrubs this result. */
		{
			struct rbuf t = a;
			a = b;
			b = t;
		}
		text = a.p;
	}
	if (a.failed || b.failed || !text)
		text = "(message withheld: out of memory)";
	snprintf(buf, size, "%s", text);
	free(a.p);
	free(b.p);
}

/* ------------------------------------------------------------------------ */
/* Error lines and logging                                                   */
/* ------------------------------------------------------------------------ */

/* Make msg one line: control characters become spaces, runs of blanks one. */
static void one_line(char *msg)
{
	char *w = msg;
	int blank = 0;

	for (const char *r = msg; *r; r++) {
		unsigned char c = (unsigned char)*r;

		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!blank && w != msg)
				*w++ = ' ';
			blank = 1;
			continue;
		}
		blank = 0;
		*w++ = (char)c;
	}
	while (w > msg && w[-1] == ' ')
		w--;
	*w = '\0';
}

void cli_clean(const struct cli *cli, const char *s, char *buf, size_t size)
{
	cli_redact(cli, s, buf, size);
	one_line(buf);
}

static void print_line(const struct cli *cli, const char *prefix, const char *cmd,
                       const char *text)
{
	char buf[2 * DAL_ERROR_MESSAGE_SIZE + 256];

	cli_clean(cli, text, buf, sizeof buf);
	fflush(stdout); /* keep stdout and stderr in order on a terminal */
	if (cmd)
		fprintf(stderr, "dal: %s%s: %s\n", prefix, cmd, buf);
	else
		fprintf(stderr, "dal: %s%s\n", prefix, buf);
}

void cli_fail(const struct cli *cli, const char *cmd, const char *fmt, ...)
{
	char text[2 * DAL_ERROR_MESSAGE_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	print_line(cli, "", cmd, text);
}

void cli_fail_error(const struct cli *cli, const char *cmd, const dal_error *err)
{
	char text[2 * DAL_ERROR_MESSAGE_SIZE];
	const char *msg = err->message[0] ? err->message : dal_strerror(err->code);
	int code = err->code ? err->code : DAL_EBACKEND;

	if (err->sqlstate[0] && strcmp(err->sqlstate, "00000") != 0 &&
	    strcmp(err->sqlstate, "HY000") != 0)
		snprintf(text, sizeof text, "%s: %s [%.5s]", dal_code_name(code), msg,
		         err->sqlstate);
	else
		snprintf(text, sizeof text, "%s: %s", dal_code_name(code), msg);
	print_line(cli, "", cmd, text);
}

struct log_state {
	const struct cli *cli;
	int min_level; /* lines below this level are dropped; > ERROR: none */
};

static void log_sink(dal_log_level level, const char *msg, void *userdata)
{
	const struct log_state *ls = userdata;
	static const char *names[] = { "debug: ", "info: ", "warning: ", "error: " };

	if ((int)level < ls->min_level || ls->cli->mute_log)
		return;
	print_line(ls->cli, (unsigned)level <= DAL_LOG_ERROR ? names[level] : "",
	           NULL, msg);
}

/* The sink's state, for the tool's own log lines (cli_log). */
static const struct log_state *tool_log;

void cli_log(const struct cli *cli, dal_log_level level, const char *msg)
{
	(void)cli;
	if (tool_log)
		log_sink(level, msg, (void *)tool_log);
}

/* ------------------------------------------------------------------------ */
/* Shared state                                                              */
/* ------------------------------------------------------------------------ */

int cli_config(struct cli *cli, const char *cmd)
{
	dal_error err = { 0 };

	if (cli->cfg_loaded)
		return 0;
	if (dal_config_load(&cli->cfg, cli->config_path, &err) != DAL_OK) {
		cli_fail_error(cli, cmd, &err);
		return -1;
	}
	cli->cfg_loaded = 1;
	return 0;
}

int cli_repo(struct cli *cli, const char *cmd)
{
	dal_error err = { 0 };

	if (cli->repo)
		return 0;
	if (cli_config(cli, cmd))
		return -1;
	if (dal_repo_open(&cli->repo, cli->cfg, cli->repo_name, cli->url, &err) !=
	    DAL_OK) {
		cli->repo = NULL;
		cli_fail_error(cli, cmd, &err);
		return -1;
	}
	if (cli->verbose)
		dal_repo_set_statement_log(cli->repo, 1, -1);
	return 0;
}

int cli_conn(struct cli *cli, const char *cmd)
{
	dal_error err = { 0 };

	if (cli->conn)
		return 0;
	if (cli_repo(cli, cmd))
		return -1;
	if (dal_conn_acquire(cli->repo, &cli->conn, &err) != DAL_OK) {
		cli->conn = NULL;
		cli_fail_error(cli, cmd, &err);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Command line                                                              */
/* ------------------------------------------------------------------------ */

/* cmd: the command whose syntax is wrong, or NULL for the global syntax. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("dal: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "; try 'dal %s --help'\n", cmd);
	else
		fputs("; try 'dal --help'\n", stderr);
	return EXIT_USAGE;
}

/* An argument is an option if it starts with '-' and holds no blank: SQL
 * such as "-- note\nSELECT 1" is not mistaken for one. */
static int looks_like_option(const char *arg)
{
	if (arg[0] != '-' || arg[1] == '\0')
		return 0;
	for (const char *p = arg; *p; p++)
		if (isspace((unsigned char)*p))
			return 0;
	return 1;
}

/*
 * Match a global option with a value: "-c FILE", "-cFILE", "--config FILE",
 * "--config=FILE". Returns 1 and sets *value (advancing *i) on a match, 0 if
 * arg is another option, -1 (after printing) if the value is missing.
 */
static int option_value(int argc, char **argv, int *i, char shortopt,
                        const char *longopt, const char *what, const char **value)
{
	const char *arg = argv[*i];
	size_t n = strlen(longopt);

	if (arg[0] == '-' && arg[1] == shortopt) {
		if (arg[2]) {
			*value = arg + 2;
			return 1;
		}
	} else if (strncmp(arg, longopt, n) == 0 && arg[n] == '=') {
		*value = arg + n + 1;
		return 1;
	} else if (strcmp(arg, longopt) != 0)
		return 0;
	if (*i + 1 >= argc) {
		cli_usage_error(NULL, "option '%s' needs an argument (%s)", arg, what);
		return -1;
	}
	*value = argv[++*i];
	return 1;
}

static int is_global_option(const char *arg)
{
	static const char *opts[] = { "-c", "-r", "-u", "-q", "-v", "-h", "--config",
	                              "--repo", "--url", "--quiet", "--verbose",
	                              "--help", "--version", NULL };
	for (const char **o = opts; *o; o++) {
		size_t n = strlen(*o);

		if (strncmp(arg, *o, n) == 0 &&
		    (arg[n] == '\0' || arg[n] == '=' || (n == 2 && arg[1] != '-')))
			return 1;
	}
	return 0;
}

/* Parse one command and its arguments starting at argv[*i]; fills *cmd.
 * Returns -1 on success, else an exit status (help printed: EXIT_OK). */
static int parse_command(int argc, char **argv, int *i, struct command *cmd)
{
	const char *name = argv[*i];
	const struct command_def *def = cli_find_command(name);
	command_parse_fn parse;
	int end_of_options = 0;

	if (!def) {
		if (is_global_option(name))
			return cli_usage_error(NULL, "option '%s' must come before the "
			                   "first command", name);
		if (looks_like_option(name))
			return cli_usage_error(NULL, "unknown option '%s'", name);
		return cli_usage_error(NULL, "unknown command '%s'", name);
	}
	++*i;
	memset(cmd, 0, sizeof *cmd);
	cmd->name = def->name;
	cmd->run = def->run;
	cmd->format = def->formats & (ACCEPT_FORMAT | ACCEPT_HEALTH) ? FMT_TEXT : FMT_TABLE;
	cmd->timeout_s = HEALTH_TIMEOUT_DEFAULT;
	if ((parse = cli_own_parser(def->run)))
		return parse(def->help, cmd, argc, argv, i);

	while (*i < argc && !end_of_options && looks_like_option(argv[*i])) {
		const char *opt = argv[(*i)++];
		const char *value = NULL;

		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			fputs(def->help, stdout);
			return EXIT_OK;
		} else if (strcmp(opt, "--") == 0 && def->takes_sql) {
			end_of_options = 1;
		} else if ((def->formats & ACCEPT_CSV_JSON) &&
		           (strcmp(opt, "--csv") == 0 || strcmp(opt, "--json") == 0)) {
			enum out_format f = opt[2] == 'c' ? FMT_CSV : FMT_JSON;

			if (cmd->format != FMT_TABLE && cmd->format != f)
				return cli_usage_error(def->name, "--csv and --json cannot "
				                   "be used together");
			cmd->format = f;
		} else if ((def->formats & ACCEPT_FORMAT) &&
		           strncmp(opt, "--format", 8) == 0 &&
		           (opt[8] == '\0' || opt[8] == '=')) {
			if (opt[8] == '=')
				value = opt + 9;
			else if (*i < argc)
				value = argv[(*i)++];
			else
				return cli_usage_error(def->name, "option '--format' needs "
				                   "an argument (text, json or prometheus)");
			if (strcmp(value, "text") == 0)
				cmd->format = FMT_TEXT;
			else if (strcmp(value, "json") == 0)
				cmd->format = FMT_JSON;
			else if (strcmp(value, "prometheus") == 0)
				cmd->format = FMT_PROMETHEUS;
			else
				return cli_usage_error(def->name, "unknown format '%s' "
				                   "(expected text, json or prometheus)", value);
		} else if ((def->formats & ACCEPT_HEALTH) && strcmp(opt, "--json") == 0) {
			cmd->format = FMT_JSON;
		} else if ((def->formats & ACCEPT_HEALTH) &&
		           strncmp(opt, "--timeout", 9) == 0 &&
		           (opt[9] == '\0' || opt[9] == '=')) {
			char *end;
			unsigned long t;

			if (opt[9] == '=')
				value = opt + 10;
			else if (*i < argc)
				value = argv[(*i)++];
			else
				return cli_usage_error(def->name, "option '--timeout' needs "
				                   "an argument (SECONDS)");
			errno = 0;
			t = strtoul(value, &end, 10);
			if (!isdigit((unsigned char)value[0]) || *end || errno ||
			    t < 1 || t > HEALTH_TIMEOUT_MAX)
				return cli_usage_error(def->name, "--timeout '%s' is not a "
				                   "whole number of seconds from 1 to %d",
				                   value, HEALTH_TIMEOUT_MAX);
			cmd->timeout_s = (unsigned)t;
		} else if ((def->formats & ACCEPT_SHELL) && strcmp(opt, "--continue") == 0) {
			cmd->keep_going = 1;
		} else if (is_global_option(opt)) {
			return cli_usage_error(NULL, "option '%s' must come before the "
			                   "first command", opt);
		} else {
			return cli_usage_error(def->name, "unknown option '%s'", opt);
		}
	}
	if (def->takes_sql) {
		if (*i >= argc)
			return cli_usage_error(def->name, "missing SQL argument");
		cmd->arg = argv[(*i)++];
		if (!*cmd->arg)
			return cli_usage_error(def->name, "the SQL argument is empty");
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	struct log_state log = { .cli = &cli, .min_level = DAL_LOG_INFO };
	struct command *cmds = NULL;
	size_t ncmds = 0;
	int i = 1, rc = EXIT_OK, r;

#ifdef DAL_STATIC_BACKENDS
	/* Before libdal's first lt_dlinit(), which loads this list. */
	LTDL_SET_PRELOADED_SYMBOLS();
#endif
	/* Installed first: loading the configuration already logs warnings. */
	dal_log_set(log_sink, &log);
	tool_log = &log;

	for (; i < argc && looks_like_option(argv[i]); i++) {
		const char *arg = argv[i], *value;

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(cli_usage_text, stdout);
			return EXIT_OK;
		} else if (strcmp(arg, "--version") == 0) {
			printf("dal %s (libdal %s)\n", DAL_VERSION_STRING, dal_version());
			return EXIT_OK;
		} else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
			log.min_level = DAL_LOG_ERROR + 1;
			cli.quiet = 1;
		} else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
			log.min_level = DAL_LOG_DEBUG;
			cli.verbose = 1;
		} else if ((r = option_value(argc, argv, &i, 'c', "--config", "FILE",
		                             &value)) != 0) {
			if (r < 0)
				return EXIT_USAGE;
			cli.config_path = value;
		} else if ((r = option_value(argc, argv, &i, 'r', "--repo", "NAME",
		                             &value)) != 0) {
			if (r < 0)
				return EXIT_USAGE;
			cli.repo_name = value;
		} else if ((r = option_value(argc, argv, &i, 'u', "--url", "URL",
		                             &value)) != 0) {
			if (r < 0)
				return EXIT_USAGE;
			cli.url = value;
		} else {
			return cli_usage_error(NULL, "unknown option '%s'", arg);
		}
	}
	if (cli.repo_name && cli.url)
		return cli_usage_error(NULL, "-r and -u cannot be used together (-r names "
		                   "a configured repository, -u gives a URL for the "
		                   "default one)");
	if (cli.config_path && !*cli.config_path)
		return cli_usage_error(NULL, "option '-c' needs a file name, not an "
		                   "empty string");
	if (i >= argc)
		return cli_usage_error(NULL, "no command given");

	cmds = calloc((size_t)argc, sizeof *cmds);
	if (!cmds) {
		fputs("dal: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	while (i < argc) {
		if ((r = parse_command(argc, argv, &i, &cmds[ncmds])) >= 0) {
			free(cmds);
			return r;
		}
		ncmds++;
	}
	/* copy, backup and restore take the rest of the line: the last of a
	 * chain; they open their repositories themselves. */
	for (size_t k = 0; k < ncmds && ncmds > 1; k++) {
		if (cmds[k].run == cmd_copy || cmds[k].run == cmd_backup ||
		    cmds[k].run == cmd_restore) {
			const char *name = cmds[k].name;

			free(cmds);
			return cli_usage_error(name, "%s must be the only command", name);
		}
	}
	/* health opens the repository itself, with its own time limits, so it
	 * cannot share the chain's connection. */
	for (size_t k = 0; k < ncmds && ncmds > 1; k++) {
		if (cmds[k].run == cmd_health) {
			free(cmds);
			return cli_usage_error("health", "health must be the only command "
			                   "(it opens the repository with its own time "
			                   "limit)");
		}
	}

	add_url_secret(&cli, cli.url);
	add_url_secret(&cli, getenv("DB_URL"));
	add_url_secret(&cli, getenv("DATABASE_URL"));
	if (getenv("DB_PASS"))
		add_secret(&cli, getenv("DB_PASS"), strlen(getenv("DB_PASS")));

	for (size_t k = 0; k < ncmds && rc == EXIT_OK; k++) {
		rc = cmds[k].run(&cli, &cmds[k]);
		fflush(stdout);
	}

	dal_conn_release(cli.conn);
	dal_repo_close(cli.repo);
	dal_config_free(cli.cfg);
	dal_log_set(NULL, NULL);
	tool_log = NULL;
	for (size_t k = 0; k < cli.n_secrets; k++)
		free(cli.secrets[k]);
	free(cmds);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "dal: cannot write the output: %s\n",
		        errno ? strerror(errno) : "write error");
		return EXIT_RUNTIME;
	}
	return rc;
}
