/*
 * `dal backup --to FILE` and `dal restore --from FILE`: whole-database
 * backup and restore with dal_repo_backup() / dal_repo_restore() (SQLite's
 * online backup API). For a backend without them (the servers) the
 * command says which tool to use and prints its invocation, from the
 * command template its plugin declares (<dal/dialect.h>) and the
 * repository's resolved settings, with the password left to the
 * environment or a defaults file: never on a command line, never printed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dialect.h>

#include "cli.h"

/* The settings a dump tool needs, from dal_config_describe(). */
struct target {
	char host[256], port[16], name[256], user[256], password_file[512];
	int has_password;
};

static void take(const char *key, const char *value, const char *source, void *userdata)
{
	struct target *t = userdata;

	(void)source;
	if (strcmp(key, "host") == 0)
		snprintf(t->host, sizeof t->host, "%s", value);
	else if (strcmp(key, "port") == 0)
		snprintf(t->port, sizeof t->port, "%s", value);
	else if (strcmp(key, "name") == 0)
		snprintf(t->name, sizeof t->name, "%s", value);
	else if (strcmp(key, "user") == 0)
		snprintf(t->user, sizeof t->user, "%s", value);
	else if (strcmp(key, "password_file") == 0)
		snprintf(t->password_file, sizeof t->password_file, "%s", value);
	else if (strcmp(key, "password") == 0)
		t->has_password = 1;
}

/* Quote s for a POSIX shell. */
static void shq(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

/* The value of the template token name[0..len) ("host"), or NULL when
 * there is no such token. */
static const char *token(const struct target *t, const char *file, const char *name,
                         size_t len)
{
	static const char *const names[] = { "host", "port", "user", "database", "file" };
	const char *values[] = { t->host, t->port, t->user, t->name, file };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
			return values[i];
	return NULL;
}

/* Print the template text p..end, each {token} shell-quoted; with check,
 * print nothing and return 0 when a token in it has no value. Returns 1
 * when every token had one. An unknown {word} is printed as written. */
static int expand(const struct target *t, const char *file, const char *p, const char *end,
                  int check)
{
	while (p < end) {
		const char *close = *p == '{' ? memchr(p, '}', (size_t)(end - p)) : NULL;
		const char *v = close ? token(t, file, p + 1, (size_t)(close - p - 1)) : NULL;

		if (v) {
			if (check && !*v)
				return 0;
			if (!check)
				shq(v);
			p = close + 1;
		} else {
			if (!check)
				putchar(*p);
			p++;
		}
	}
	return 1;
}

/* Print the template p..end: a [part] only when every token in it has a
 * value. */
static void print_template(const struct target *t, const char *file, const char *p,
                           const char *end)
{
	while (p < end) {
		const char *open = memchr(p, '[', (size_t)(end - p));
		const char *close = open ? memchr(open, ']', (size_t)(end - open)) : NULL;

		if (!close) {
			expand(t, file, p, end, 0);
			return;
		}
		expand(t, file, p, open, 0);
		if (expand(t, file, open + 1, close, 1))
			expand(t, file, open + 1, close, 0);
		p = close + 1;
	}
}

/* Print the tool's invocation for a server repository, from the command
 * template its plugin declares (<dal/dialect.h>: backup_command,
 * restore_command, password_*). Returns 0 if there was one. */
static int print_tool(struct cli *cli, const char *file, int restore)
{
	const struct dal_sql_facts *f = dal_repo_sql_facts(cli->repo);
	const char *cmd = !f ? NULL : restore ? f->restore_command : f->backup_command;
	struct target t = { "", "", "", "", "", 0 };
	dal_error err = { 0 };
	const char *word_end;

	if (!cmd)
		return -1;
	if (dal_config_describe(cli->cfg, cli->repo_name, cli->url, take, &t, &err) != DAL_OK) {
		cli_fail_error(cli, restore ? "restore" : "backup", &err);
		return -1;
	}
	if (f->password_note)
		printf("# password: %s%s%s%s, never on the command line\n", f->password_note,
		       t.password_file[0] && f->password_env ? ", or " : "",
		       t.password_file[0] && f->password_env ? f->password_env : "",
		       t.password_file[0] && f->password_env ? " read from the password file" : "");
	if (t.password_file[0] && f->password_env) {
		printf("%s=\"$(cat ", f->password_env);
		shq(t.password_file);
		fputs(")\" ", stdout);
	}
	/* The password option goes right after the program's name: a tool may
	 * insist on it being the first option. */
	word_end = strchr(cmd, ' ');
	if (!word_end)
		word_end = cmd + strlen(cmd);
	print_template(&t, file, cmd, word_end);
	if (!t.password_file[0] && f->password_option)
		printf(" %s", f->password_option);
	print_template(&t, file, word_end, word_end + strlen(word_end));
	putchar('\n');
	return 0;
}

static int run(struct cli *cli, const struct command *cmd, int restore)
{
	const char *name = restore ? "restore" : "backup";
	const char *opt = restore ? "--from" : "--to";
	const char *file = NULL;
	dal_error err = { 0 };
	int rc;

	for (int i = 0; i < cmd->nargs; i++) {
		if (strcmp(cmd->args[i], opt) == 0 && i + 1 < cmd->nargs && cmd->args[i + 1][0] &&
		    !file) {
			file = cmd->args[++i];
			continue;
		}
		fprintf(stderr, "dal: %s: %s '%s'; try 'dal %s --help'\n", name,
		        strcmp(cmd->args[i], opt) == 0 ? "option needs a file name:"
		                                       : "unknown argument", cmd->args[i], name);
		return EXIT_USAGE;
	}
	if (!file) {
		fprintf(stderr, "dal: %s: %s FILE is required; try 'dal %s --help'\n", name, opt,
		        name);
		return EXIT_USAGE;
	}
	if (cli_repo(cli, name))
		return EXIT_RUNTIME;
	rc = restore ? dal_repo_restore(cli->repo, file, &err)
	             : dal_repo_backup(cli->repo, file, &err);
	if (rc == DAL_OK) {
		printf("%s: %s %s (%sintegrity check ok)\n", dal_repo_name(cli->repo),
		       restore ? "restored from" : "backed up to", file,
		       restore ? "" : "online backup; ");
		return EXIT_OK;
	}
	cli_fail_error(cli, name, &err);
	if (rc == DAL_EUNSUPPORTED) {
		fflush(stderr);
		if (print_tool(cli, file, restore) == 0)
			fprintf(stderr, "dal: %s: run the command above instead (docs/backup.md)\n",
			        name);
	}
	return EXIT_RUNTIME;
}

int cmd_backup(struct cli *cli, const struct command *cmd)
{
	return run(cli, cmd, 0);
}

int cmd_restore(struct cli *cli, const struct command *cmd)
{
	return run(cli, cmd, 1);
}

const char cmd_backup_help[] =
	"Usage: dal backup --to FILE\n"
	"Back up the repository's database to FILE while it stays in use\n"
	"(SQLite's online backup API), then check the copy with PRAGMA\n"
	"integrity_check; FILE appears only when both succeeded. For MariaDB\n"
	"and PostgreSQL it prints the mariadb-dump / pg_dump command to run\n"
	"instead (the password from the environment or a defaults file, never\n"
	"on the command line) and exits 1. See docs/backup.md.\n";

const char cmd_restore_help[] =
	"Usage: dal restore --from FILE\n"
	"Replace the repository's (SQLite) database with the backup in FILE,\n"
	"after checking FILE with PRAGMA integrity_check. For the servers it\n"
	"prints the command to use instead. See docs/backup.md.\n";
