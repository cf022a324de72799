/*
 * `dal db-reset --dry-run | --yes`: drop every table, view and sequence of
 * the repository's own database (dal_repo_drop_all(), <dal/migrate.h>).
 * Without --yes nothing is dropped: the refusal is a usage error found
 * when the command line is parsed, before any command of the chain runs.
 */
#include <stdio.h>
#include <string.h>

#include <dal/migrate.h>

#include "cli.h"

int parse_db_reset(const char *help, struct command *cmd, int argc, char **argv, int *i)
{
	int yes = 0, dry = 0, start = *i;

	while (*i < argc && argv[*i][0] == '-' && argv[*i][1]) {
		const char *opt = argv[(*i)++];

		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			fputs(help, stdout);
			return EXIT_OK;
		} else if (strcmp(opt, "--yes") == 0) {
			yes = 1;
		} else if (strcmp(opt, "--dry-run") == 0) {
			dry = 1;
		} else {
			return cli_usage_error("db-reset", "unknown option '%s'", opt);
		}
	}
	if (yes && dry)
		return cli_usage_error("db-reset", "--yes and --dry-run cannot be used together");
	if (!yes && !dry)
		return cli_usage_error("db-reset", "refusing to drop every table, view and "
		                       "sequence without --yes (--dry-run lists them)");
	cmd->args = argv + start;
	cmd->nargs = *i - start;
	return -1;
}

struct shown {
	int dry;
	size_t n;
};

static void show(const char *kind, const char *name, void *ud)
{
	struct shown *s = ud;

	printf("%s %s %s\n", s->dry ? "would drop" : "dropping", kind, name);
	s->n++;
}

int cmd_db_reset(struct cli *cli, const struct command *cmd)
{
	struct shown s = {0};
	dal_error err = {0};
	size_t count = 0;

	for (int k = 0; k < cmd->nargs; k++)
		if (strcmp(cmd->args[k], "--dry-run") == 0)
			s.dry = 1;
	/* Opening must not apply migrations that are about to be dropped. */
	dal_auto_migrate_set(0);
	if (cli_repo(cli, "db-reset"))
		return EXIT_RUNTIME;
	if (dal_repo_drop_all(cli->repo, s.dry ? DAL_DROP_DRY_RUN : 0, show, &s, &count, &err) !=
	    DAL_OK) {
		cli_fail_error(cli, "db-reset", &err);
		return EXIT_RUNTIME;
	}
	if (!cli->quiet)
		printf("%s: %zu object(s) %s\n", dal_repo_name(cli->repo), count,
		       s.dry ? "would be dropped (dry run)" : "dropped");
	return EXIT_OK;
}
