/*
 * `dal copy`: copy tables from one repository into another with
 * dal_copy_run() (<dal/copy.h>), showing progress: a bar per table on a
 * terminal (rows, rows/s, ETA), plain lines every few seconds otherwise.
 * Results (tables copied, skipped, verified) go to stdout, progress and
 * errors to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dal/copy.h>

#include "cli.h"

/* Seconds between progress lines when stderr is not a terminal. */
#define PLAIN_INTERVAL_NS (5ull * 1000000000ull)
/* Redraws of the bar per second at most. */
#define BAR_INTERVAL_NS (100ull * 1000000ull)
#define BAR_WIDTH 24

struct progress {
	int tty;
	uint64_t last_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double rate(const dal_copy_progress *p)
{
	return p->elapsed_ns ? (double)p->rows_run * 1e9 / (double)p->elapsed_ns : 0.0;
}

static void eta(char *buf, size_t size, const dal_copy_progress *p)
{
	double r = rate(p);
	int64_t left = p->rows_total - p->rows_done;

	if (p->rows_total < 0 || r <= 0.0 || left < 0)
		snprintf(buf, size, "?");
	else if (left / r >= 3600)
		snprintf(buf, size, "%.0fh%02.0fm", left / r / 3600, (left / r / 60) - 60 * (int)(left / r / 3600));
	else
		snprintf(buf, size, "%.0fs", left / r);
}

static void bar(const dal_copy_progress *p)
{
	char line[BAR_WIDTH + 1], e[32];
	double f = p->rows_total > 0 ? (double)p->rows_done / (double)p->rows_total : 1.0;
	int fill;

	if (f > 1.0)
		f = 1.0;
	fill = (int)(f * BAR_WIDTH);
	for (int i = 0; i < BAR_WIDTH; i++)
		line[i] = i < fill ? '#' : '-';
	line[BAR_WIDTH] = '\0';
	eta(e, sizeof e, p);
	fprintf(stderr, "\r\033[K%s [%s] %3.0f%% %lld/%lld rows, %.0f rows/s, ETA %s",
	        p->table, line, 100.0 * f, (long long)p->rows_done,
	        (long long)p->rows_total, rate(p), e);
	fflush(stderr);
}

static void on_progress(const dal_copy_progress *p, void *userdata)
{
	struct progress *pr = userdata;
	uint64_t t = now_ns();
	char e[32];

	switch (p->event) {
	case DAL_COPY_TABLE_START:
		pr->last_ns = t;
		if (pr->tty)
			bar(p);
		else if (p->rows_done > 0)
			fprintf(stderr, "copy %s: resuming after %lld of %lld rows\n", p->table,
			        (long long)p->rows_done, (long long)p->rows_total);
		else
			fprintf(stderr, "copy %s: %lld rows\n", p->table, (long long)p->rows_total);
		break;
	case DAL_COPY_ROWS:
		if (pr->tty && t - pr->last_ns >= BAR_INTERVAL_NS) {
			bar(p);
			pr->last_ns = t;
		} else if (!pr->tty && t - pr->last_ns >= PLAIN_INTERVAL_NS) {
			eta(e, sizeof e, p);
			fprintf(stderr, "copy %s: %lld/%lld rows, %.0f rows/s, ETA %s\n", p->table,
			        (long long)p->rows_done, (long long)p->rows_total, rate(p), e);
			pr->last_ns = t;
		}
		break;
	case DAL_COPY_TABLE_DONE:
		if (pr->tty) {
			bar(p);
			fputc('\n', stderr);
		}
		printf("copied %s: %lld rows in %.2f s (%.0f rows/s)\n", p->table,
		       (long long)p->rows_run, (double)p->elapsed_ns / 1e9, rate(p));
		fflush(stdout);
		break;
	case DAL_COPY_TABLE_SKIP:
		printf("skipped %s: copied before (%lld rows)\n", p->table,
		       (long long)p->rows_done);
		break;
	case DAL_COPY_VERIFY:
		if (p->match)
			printf("verified %s: %lld rows, checksum %016llx\n", p->table,
			       (long long)p->source_rows, (unsigned long long)p->source_sum);
		else
			printf("MISMATCH %s: source %lld rows, checksum %016llx; target %lld "
			       "rows, checksum %016llx\n", p->table, (long long)p->source_rows,
			       (unsigned long long)p->source_sum, (long long)p->target_rows,
			       (unsigned long long)p->target_sum);
		fflush(stdout);
		break;
	}
}

int parse_whole_line(const char *help, struct command *cmd, int argc, char **argv, int *i)
{
	for (int k = *i; k < argc; k++)
		if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
			fputs(help, stdout);
			return EXIT_OK;
		}
	cmd->args = argv + *i;
	cmd->nargs = argc - *i;
	*i = argc;
	return -1;
}

/* Open a repository named in the configuration, or given by URL (anything
 * with "scheme:"), which then uses no configuration file or environment. */
static int open_repo(struct cli *cli, const char *cmd, const char *what,
                     dal_repo **out)
{
	dal_error err = { 0 };
	int rc;

	if (strchr(what, ':'))
		rc = dal_repo_open_url(out, what, &err);
	else if (cli_config(cli, cmd))
		return -1;
	else
		rc = dal_repo_open(out, cli->cfg, what, NULL, &err);
	if (rc != DAL_OK) {
		*out = NULL;
		cli_fail_error(cli, cmd, &err);
		return -1;
	}
	return 0;
}

/* Split "a,b,c" into a NULL-terminated array of pointers into list (which
 * is modified). Returns NULL for an empty name. */
static const char **split_tables(char *list)
{
	size_t n = 1;
	const char **v;
	char *save = NULL, *tok;

	for (const char *p = list; *p; p++)
		n += *p == ',';
	if (!(v = calloc(n + 1, sizeof *v)))
		return NULL;
	n = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		v[n++] = tok;
	return v;
}

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "dal: copy: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "; try 'dal copy --help'\n");
	return EXIT_USAGE;
}

int cmd_copy(struct cli *cli, const struct command *cmd)
{
	const char *from = NULL, *to = NULL;
	char *tables = NULL;
	dal_copy_options opt = { 0 };
	dal_copy_result res;
	struct progress pr = { .tty = isatty(2) };
	dal_repo *src = NULL, *dst = NULL;
	dal_error err = { 0 };
	int rc = EXIT_RUNTIME;

	for (int i = 0; i < cmd->nargs; i++) {
		const char *a = cmd->args[i];
		const char **slot = NULL;

		if (strcmp(a, "--resume") == 0) {
			opt.resume = 1;
			continue;
		}
		if (strcmp(a, "--no-verify") == 0) {
			opt.no_verify = 1;
			continue;
		}
		if (strcmp(a, "--from") == 0)
			slot = &from;
		else if (strcmp(a, "--to") == 0)
			slot = &to;
		else if (strcmp(a, "--backup") == 0)
			slot = &opt.backup_path;
		else if (strcmp(a, "--tables") != 0 && strcmp(a, "--batch") != 0)
			return usage("unknown argument '%s'", a);
		if (i + 1 >= cmd->nargs || !cmd->args[i + 1][0])
			return usage("option '%s' needs a value", a);
		if (slot) {
			*slot = cmd->args[++i];
		} else if (a[2] == 't') {
			tables = cmd->args[++i];
		} else {
			char *end;
			unsigned long b;

			errno = 0;
			b = strtoul(cmd->args[++i], &end, 10);
			if (*end || errno || b < 1 || b > DAL_COPY_MAX_BATCH ||
			    cmd->args[i][0] == '-')
				return usage("--batch '%s' is not a number of rows from 1 to "
				             "1000000", cmd->args[i]);
			opt.batch_rows = (unsigned)b;
		}
	}
	if (!from || !to)
		return usage("%s", !from ? "--from NAME is required" : "--to NAME is required");
	if (strcmp(from, to) == 0)
		return usage("--from and --to are the same repository ('%s')", from);
	if (tables && !(opt.tables = split_tables(tables))) {
		fputs("dal: copy: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	if (tables && !opt.tables[0]) {
		free((void *)opt.tables);
		return usage("--tables '%s' names no table", tables);
	}
	if (open_repo(cli, "copy", from, &src) || open_repo(cli, "copy", to, &dst))
		goto out;
	opt.progress = on_progress;
	opt.userdata = &pr;
	rc = dal_copy_run(src, dst, &opt, &res, &err);
	if (rc == DAL_OK) {
		if (res.already_complete)
			printf("nothing to copy: all %u tables were copied before%s\n",
			       res.tables, opt.no_verify ? "" : "; verified");
		else
			printf("copy complete: %u tables (%u created, %u copied before), %lld "
			       "rows copied%s\n", res.tables, res.tables_created,
			       res.tables_skipped, (long long)res.rows_copied,
			       opt.no_verify ? "" : "; verified");
		rc = EXIT_OK;
	} else {
		if (pr.tty)
			fputc('\n', stderr);
		cli_fail_error(cli, "copy", &err);
		rc = EXIT_RUNTIME;
	}
out:
	free((void *)opt.tables);
	dal_repo_close(src);
	dal_repo_close(dst);
	return rc;
}

const char cmd_copy_help[] =
	"Usage: dal copy --from NAME --to NAME [--tables a,b] [--batch N] [--resume]\n"
	"                [--backup FILE] [--no-verify]\n"
	"Copy tables from one repository into another (any backend to any\n"
	"backend), creating missing tables with mapped column types, in batched\n"
	"transactions, then verify each table: row count and content checksum\n"
	"on both sides; a mismatch exits 1. NAME is a repository of the\n"
	"configuration file or a URL (sqlite:///file.db, postgresql://...).\n"
	"\n"
	"  --tables a,b   only these tables (default: every table of the source)\n"
	"  --batch N      rows per transaction (default 10000)\n"
	"  --resume       continue a copy that was interrupted, after the last\n"
	"                 committed row (the target's dal_copy_state table)\n"
	"  --backup FILE  back up the (SQLite) source to FILE first\n"
	"  --no-verify    skip the verification\n"
	"\n"
	"Running a finished copy again copies nothing and says so. Progress goes\n"
	"to stderr: a bar on a terminal, a line every 5 s otherwise. See\n"
	"docs/copy.md.\n";
