/*
 * `dal migrate up|down|status|history|stamp|verify`: the command line of
 * the migration API (<dal/migrate.h>). Arguments are checked when the
 * command line is parsed (parse_migrate), so a mistake never leaves a
 * chain half run; the run re-reads the checked arguments.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/migrate.h>

#include "cli.h"

struct margs {
	const char *sub;
	int64_t n;          /* --to N or stamp's N; -1 when not given */
	const char *dir;    /* --dir */
	unsigned lock_ms;   /* --lock-timeout, ms */
	int has_lock;
};

static int parse_version(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end || errno || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* One option at argv[*i] (sub: the subcommand, NULL before it). Returns
 * -1 when fine, else an exit status. */
static int one_option(int argc, char **argv, int *i, struct margs *a, const char *help,
                      const char *sub)
{
	const char *opt = argv[(*i)++];
	int64_t v;

	if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (*i >= argc)
		return cli_usage_error("migrate", "option '%s' needs an argument", opt);
	if (strcmp(opt, "--to") == 0 && sub && (strcmp(sub, "up") == 0 || strcmp(sub, "down") == 0)) {
		if (parse_version(argv[(*i)++], &a->n))
			return cli_usage_error("migrate", "--to '%s' is not a version (a whole "
			                       "number >= 0)", argv[*i - 1]);
	} else if (strcmp(opt, "--dir") == 0) {
		a->dir = argv[(*i)++];
		if (!*a->dir)
			return cli_usage_error("migrate", "--dir needs a directory");
	} else if (strcmp(opt, "--lock-timeout") == 0) {
		if (parse_version(argv[(*i)++], &v) || v > 86400)
			return cli_usage_error("migrate", "--lock-timeout '%s' is not a whole "
			                       "number of seconds from 0 to 86400", argv[*i - 1]);
		a->lock_ms = (unsigned)v * 1000u;
		a->has_lock = 1;
	} else if (sub) {
		return cli_usage_error("migrate", "unknown option '%s' for migrate %s", opt, sub);
	} else {
		return cli_usage_error("migrate", "unknown option '%s'", opt);
	}
	return -1;
}

static int is_option(const char *s)
{
	return s[0] == '-' && s[1];
}

/* Parse cmd's arguments into *a: [OPTION]... SUBCOMMAND [N] [OPTION]...;
 * prints usage errors. Returns -1 when fine, else an exit status. */
static int read_args(int argc, char **argv, int *i, struct margs *a, const char *help)
{
	static const char *const subs[] = {"up", "down", "status", "history", "stamp",
	                                   "verify"};
	const char *sub;
	int rc;

	memset(a, 0, sizeof *a);
	a->n = -1;
	while (*i < argc && is_option(argv[*i]))
		if ((rc = one_option(argc, argv, i, a, help, NULL)) != -1)
			return rc;
	if (*i >= argc)
		return cli_usage_error("migrate", "missing subcommand (up, down, status, "
		                       "history, stamp or verify)");
	sub = argv[(*i)++];
	for (size_t k = 0; k < sizeof subs / sizeof subs[0]; k++)
		if (strcmp(sub, subs[k]) == 0)
			a->sub = subs[k];
	if (!a->sub)
		return cli_usage_error("migrate", "unknown subcommand '%s' (expected up, down, "
		                       "status, history, stamp or verify)", sub);
	if (strcmp(sub, "stamp") == 0) {
		if (*i >= argc || parse_version(argv[*i], &a->n))
			return cli_usage_error("migrate", "stamp needs a version: a whole number "
			                       ">= 0 (0: no migration applied)");
		(*i)++;
	}
	while (*i < argc && is_option(argv[*i]))
		if ((rc = one_option(argc, argv, i, a, help, a->sub)) != -1)
			return rc;
	return -1;
}

int parse_migrate(const char *help, struct command *cmd, int argc, char **argv, int *i)
{
	struct margs a;
	int start = *i, rc = read_args(argc, argv, i, &a, help);

	cmd->args = argv + start;
	cmd->nargs = *i - start;
	return rc;
}

static void print_status(const dal_migration_info *m, void *ud)
{
	int *counts = ud;
	char ms[24] = "";

	counts[m->state]++;
	if (m->duration_ms >= 0)
		snprintf(ms, sizeof ms, "%" PRId64, m->duration_ms);
	printf("%-8" PRId64 " %-28s %-9s %-21s %s\n", m->version, m->name,
	       dal_migration_state_name(m->state), m->applied_at ? m->applied_at : "", ms);
}

/* "0001_create_users.sql", or "1_create_users" when there is no file. */
static const char *label(const dal_migration_info *m, char *buf, size_t size)
{
	const char *slash = m->file ? strrchr(m->file, '/') : NULL;

	if (m->file)
		return slash ? slash + 1 : m->file;
	snprintf(buf, size, "%" PRId64 "_%s", m->version, m->name);
	return buf;
}

static void print_progress(const dal_migration_info *m, void *ud)
{
	int64_t *last = ud;

	char buf[300];

	printf("%s %s\n", m->state == DAL_MIGRATION_APPLIED ? "applied" : "reverted",
	       label(m, buf, sizeof buf));
	*last = m->version;
	fflush(stdout);
}

static void print_history(const dal_migration_info *m, void *ud)
{
	(void)ud;
	printf("%-21s %-8" PRId64 " %-28s %6" PRId64 " ms  sha256:%.12s%s\n", m->applied_at,
	       m->version, m->name, m->duration_ms, m->applied_checksum,
	       m->state == DAL_MIGRATION_APPLIED ? "" : m->state == DAL_MIGRATION_MODIFIED
	                                                ? "  (file modified since)"
	                                                : m->state == DAL_MIGRATION_MISSING
	                                                      ? "  (file missing)"
	                                                      : "  (dirty)");
}

static void print_problem(const dal_migration_info *m, void *ud)
{
	char buf[300];

	(void)ud;
	switch (m->state) {
	case DAL_MIGRATION_MODIFIED:
		printf("modified: %s: sha256 now %s, applied as %s\n", m->file, m->checksum,
		       m->applied_checksum);
		break;
	case DAL_MIGRATION_MISSING:
		printf("missing: %s: applied %s, no file of it any more\n",
		       label(m, buf, sizeof buf), m->applied_at);
		break;
	default:
		printf("dirty: %s: failed half-way; repair the schema, then dal migrate "
		       "stamp N\n", label(m, buf, sizeof buf));
		break;
	}
}

int cmd_migrate(struct cli *cli, const struct command *cmd)
{
	dal_migrator *m = NULL;
	dal_error err = {0};
	struct margs a;
	int i = 0, rc, n = 0;

	if (read_args(cmd->nargs, cmd->args, &i, &a, "") != -1)
		return EXIT_USAGE; /* checked at parse time: cannot happen */
	/* Opening the repository must not migrate behind the command's back. */
	dal_auto_migrate_set(0);
	if (cli_repo(cli, "migrate"))
		return EXIT_RUNTIME;
	if ((rc = dal_migrator_open(&m, cli->repo, a.dir, &err)) != DAL_OK) {
		cli_fail_error(cli, "migrate", &err);
		return EXIT_RUNTIME;
	}
	if (a.has_lock)
		dal_migrator_set_lock_timeout(m, a.lock_ms);
	if (strcmp(a.sub, "up") == 0 || strcmp(a.sub, "down") == 0) {
		int64_t last = -1, cur = 0;
		int up = a.sub[0] == 'u';

		dal_migrator_set_progress(m, print_progress, &last);
		rc = up ? dal_migrator_up(m, a.n, &n, &err) : dal_migrator_down(m, a.n, &n, &err);
		if (rc == DAL_OK)
			rc = dal_migrator_status(m, NULL, NULL, &cur, NULL, &err);
		if (rc == DAL_OK && !cli->quiet) {
			if (n == 0)
				printf("%s: nothing to %s, at version %" PRId64 "\n",
				       dal_repo_name(cli->repo), up ? "apply" : "revert", cur);
			else
				printf("%s: %d migration(s) %s, now at version %" PRId64 "\n",
				       dal_repo_name(cli->repo), n, up ? "applied" : "reverted", cur);
		}
	} else if (strcmp(a.sub, "status") == 0) {
		int counts[5] = {0}, problems = 0;
		int64_t cur = 0;

		printf("%-8s %-28s %-9s %-21s %s\n", "version", "name", "state", "applied at",
		       "ms");
		rc = dal_migrator_status(m, print_status, counts, &cur, &problems, &err);
		if (rc == DAL_OK) {
			printf("%s at version %" PRId64 ": %d applied, %d pending, %d modified, "
			       "%d missing, %d dirty\n", dal_repo_name(cli->repo), cur,
			       counts[DAL_MIGRATION_APPLIED], counts[DAL_MIGRATION_PENDING],
			       counts[DAL_MIGRATION_MODIFIED], counts[DAL_MIGRATION_MISSING],
			       counts[DAL_MIGRATION_DIRTY]);
			if (problems) {
				dal_migrator_close(m);
				return EXIT_RUNTIME;
			}
		}
	} else if (strcmp(a.sub, "history") == 0) {
		rc = dal_migrator_history(m, print_history, NULL, &err);
	} else if (strcmp(a.sub, "stamp") == 0) {
		rc = dal_migrator_stamp(m, a.n, &err);
		if (rc == DAL_OK && !cli->quiet)
			printf("%s: stamped at version %" PRId64 "\n", dal_repo_name(cli->repo), a.n);
	} else {
		rc = dal_migrator_verify(m, print_problem, NULL, &err);
		if (rc == DAL_OK && !cli->quiet)
			printf("ok: the applied migrations of %s match %s\n", dal_repo_name(cli->repo),
			       dal_migrator_dir(m));
	}
	if (rc != DAL_OK)
		cli_fail_error(cli, "migrate", &err);
	dal_migrator_close(m);
	return rc == DAL_OK ? EXIT_OK : EXIT_RUNTIME;
}
