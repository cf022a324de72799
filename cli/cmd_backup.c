/*
 * `dal backup --to FILE` and `dal restore --from FILE`: whole-database
 * backup and restore with dal_repo_backup() / dal_repo_restore() (SQLite's
 * online backup API). For a backend without them (the servers) the
 * command says which tool to use and prints its invocation, built from the
 * repository's resolved settings, with the password left to the
 * environment or a defaults file: never on a command line, never printed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Print the tool's invocation for a server repository. Returns 0 if the
 * kind is one we know. */
static int print_tool(struct cli *cli, const char *kind, const char *file, int restore)
{
	struct target t = { "", "", "", "", "", 0 };
	dal_error err = { 0 };
	int pg = strcmp(kind, "postgresql") == 0;

	if (!pg && strcmp(kind, "mysql") != 0 && strcmp(kind, "mariadb") != 0)
		return -1;
	if (dal_config_describe(cli->cfg, cli->repo_name, cli->url, take, &t, &err) != DAL_OK) {
		cli_fail_error(cli, restore ? "restore" : "backup", &err);
		return -1;
	}
	if (pg) {
		printf("# password: from ~/.pgpass (host:port:db:user:password, mode 0600)"
		       "%s, never on the command line\n",
		       t.password_file[0] ? " or PGPASSWORD read from the password file"
		                          : " or PGPASSWORD in the environment");
		if (t.password_file[0]) {
			fputs("PGPASSWORD=\"$(cat ", stdout);
			shq(t.password_file);
			fputs(")\" ", stdout);
		}
		fputs(restore ? "pg_restore --clean --if-exists --no-owner" : "pg_dump --format=custom",
		      stdout);
		fputs(" --host=", stdout), shq(t.host);
		if (t.port[0])
			fputs(" --port=", stdout), shq(t.port);
		if (t.user[0])
			fputs(" --username=", stdout), shq(t.user);
		fputs(" --dbname=", stdout), shq(t.name);
		fputs(restore ? " " : " --file=", stdout), shq(file);
		putchar('\n');
		return 0;
	}
	printf("# password: a defaults file with [client] password=... (mode 0600)%s, "
	       "never on the command line\n",
	       t.password_file[0] ? ", or MYSQL_PWD read from the password file" : "");
	if (t.password_file[0]) {
		fputs("MYSQL_PWD=\"$(cat ", stdout);
		shq(t.password_file);
		fputs(")\" ", stdout);
	}
	/* The defaults file must be the first option. */
	fputs(restore ? "mariadb" : "mariadb-dump", stdout);
	if (!t.password_file[0])
		fputs(" --defaults-extra-file=\"$HOME/.dal-backup.cnf\"", stdout);
	if (!restore)
		fputs(" --single-transaction --routines --triggers", stdout);
	fputs(" --host=", stdout), shq(t.host);
	if (t.port[0])
		fputs(" --port=", stdout), shq(t.port);
	if (t.user[0])
		fputs(" --user=", stdout), shq(t.user);
	putchar(' '), shq(t.name);
	fputs(restore ? " < " : " > ", stdout), shq(file);
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
		const char *kind = dal_repo_server_kind(cli->repo);

		fflush(stderr);
		if (print_tool(cli, kind ? kind : "", file, restore) == 0)
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
