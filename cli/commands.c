/*
 * The commands of the `dal` tool: exec, query, ping, stats, plugins, config
 * (health, which opens its own repository, is in health.c). Each runs
 * against the invocation's shared configuration, repository and connection
 * (opened and acquired on first use by dal.c) and prints its result on
 * stdout, or one error line on stderr. Argument parsing and help texts live
 * in dal.c; how rows are rendered lives in format.c.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <dal/plugin.h>

#include "cli.h"

int cmd_exec(struct cli *cli, const struct command *cmd)
{
	int64_t affected = 0;

	if (cli_conn(cli, cmd->name))
		return EXIT_RUNTIME;
	if (dal_conn_exec(cli->conn, cmd->arg, &affected) != DAL_OK) {
		cli_fail_error(cli, cmd->name, dal_conn_error(cli->conn));
		return EXIT_RUNTIME;
	}
	printf("%" PRId64 " row(s) affected\n", affected);
	return EXIT_OK;
}

int cmd_query(struct cli *cli, const struct command *cmd)
{
	dal_stmt *stmt;
	uint64_t nrows = 0;
	int rc;

	if (cli_conn(cli, cmd->name))
		return EXIT_RUNTIME;
	if (dal_stmt_prepare(cli->conn, cmd->arg, &stmt) != DAL_OK) {
		cli_fail_error(cli, cmd->name, dal_conn_error(cli->conn));
		return EXIT_RUNTIME;
	}
	rc = cli_print_rows(stdout, stmt, dal_stmt_step(stmt), cmd->format, &nrows);
	if (rc != DAL_OK && rc != DAL_DONE) {
		cli_fail_error(cli, cmd->name, dal_stmt_error(stmt));
		dal_stmt_close(stmt);
		return EXIT_RUNTIME;
	}
	dal_stmt_close(stmt);
	return EXIT_OK;
}

/* How the chain's connection is encrypted ("TLSv1.3 TLS_AES_256_GCM_SHA384",
 * or "none"), cleaned for the terminal; NULL for an embedded database, which
 * has no connection to encrypt. */
static const char *conn_tls(const struct cli *cli, char *buf, size_t size)
{
	const char *tls;

	if (dal_repo_capabilities(cli->repo) & DAL_CAP_EMBEDDED)
		return NULL;
	tls = dal_conn_tls(cli->conn);
	cli_clean(cli, tls && *tls ? tls : "none", buf, size);
	return buf;
}

int cmd_ping(struct cli *cli, const struct command *cmd)
{
	const char *kind, *tls;
	char tbuf[256];
	int64_t ns = 0;

	if (cli_conn(cli, cmd->name))
		return EXIT_RUNTIME;
	if (dal_conn_ping(cli->conn, &ns) != DAL_OK) {
		cli_fail_error(cli, cmd->name, dal_conn_error(cli->conn));
		return EXIT_RUNTIME;
	}
	kind = dal_repo_server_kind(cli->repo);
	printf("ok: %s (%s, %s) in %.3f ms", dal_repo_name(cli->repo),
	       dal_repo_backend(cli->repo), kind && *kind ? kind : "unknown",
	       (double)ns / 1e6);
	if ((tls = conn_tls(cli, tbuf, sizeof tbuf)))
		printf(", tls: %s", tls);
	putchar('\n');
	return EXIT_OK;
}

/* ------------------------------------------------------------------------ */
/* stats                                                                     */
/* ------------------------------------------------------------------------ */

static int write_stdout(const char *data, size_t len, void *userdata)
{
	(void)userdata;
	return fwrite(data, 1, len, stdout) == len ? 0 : 1;
}

#define STATS_COLS 7

static void stats_text(const dal_op_stats *st)
{
	static const char *head[STATS_COLS] = { "operation", "calls", "errors", "rows",
	                                        "total_ms", "mean_ms", "max_ms" };
	char cell[DAL_OP__COUNT][STATS_COLS][32];
	size_t width[STATS_COLS];

	for (int c = 0; c < STATS_COLS; c++)
		width[c] = strlen(head[c]);
	for (int op = 0; op < DAL_OP__COUNT; op++) {
		const dal_op_stats *s = &st[op];
		double mean = s->calls ? (double)s->total_ns / (double)s->calls : 0;

		snprintf(cell[op][0], 32, "%s", dal_op_name((dal_op)op));
		snprintf(cell[op][1], 32, "%" PRIu64, s->calls);
		snprintf(cell[op][2], 32, "%" PRIu64, s->errors);
		snprintf(cell[op][3], 32, "%" PRIu64, s->rows);
		snprintf(cell[op][4], 32, "%.3f", (double)s->total_ns / 1e6);
		snprintf(cell[op][5], 32, "%.3f", mean / 1e6);
		snprintf(cell[op][6], 32, "%.3f", (double)s->max_ns / 1e6);
		if (op == DAL_OP_FETCH) /* counted, not timed: no latency to show */
			for (int c = 4; c < STATS_COLS; c++)
				snprintf(cell[op][c], 32, "-");
		for (int c = 0; c < STATS_COLS; c++)
			if (strlen(cell[op][c]) > width[c])
				width[c] = strlen(cell[op][c]);
	}
	/* Operation names left-aligned, figures right-aligned. */
	printf("%-*s", (int)width[0], head[0]);
	for (int c = 1; c < STATS_COLS; c++)
		printf("  %*s", (int)width[c], head[c]);
	putchar('\n');
	for (int op = 0; op < DAL_OP__COUNT; op++) {
		printf("%-*s", (int)width[0], cell[op][0]);
		for (int c = 1; c < STATS_COLS; c++)
			printf("  %*s", (int)width[c], cell[op][c]);
		putchar('\n');
	}
}

#define POOL_COLS 10

/* The pool as a second table: a header line and one line of figures. */
static void stats_pool_text(const char *repo, const dal_pool_stats *ps)
{
	static const char *head[POOL_COLS] = { "pool", "max", "idle_max", "idle", "used",
	                                       "pending", "timeouts", "created", "closed",
	                                       "acquired" };
	char cell[POOL_COLS][32];
	int w;

	snprintf(cell[0], sizeof cell[0], "%s", repo);
	snprintf(cell[1], sizeof cell[1], "%u", ps->max);
	snprintf(cell[2], sizeof cell[2], "%u", ps->idle_max);
	snprintf(cell[3], sizeof cell[3], "%u", ps->idle);
	snprintf(cell[4], sizeof cell[4], "%u", ps->used);
	snprintf(cell[5], sizeof cell[5], "%u", ps->pending);
	snprintf(cell[6], sizeof cell[6], "%" PRIu64, ps->timeouts);
	snprintf(cell[7], sizeof cell[7], "%" PRIu64, ps->created);
	snprintf(cell[8], sizeof cell[8], "%" PRIu64, ps->closed);
	snprintf(cell[9], sizeof cell[9], "%" PRIu64, ps->acquired);
	/* The repository name left-aligned, figures right-aligned. */
	w = (int)(strlen(repo) > 4 ? strlen(repo) : 4);
	printf("%-*s", w, head[0]);
	for (int c = 1; c < POOL_COLS; c++) {
		int cw = (int)(strlen(cell[c]) > strlen(head[c]) ? strlen(cell[c])
		                                                   : strlen(head[c]));
		printf("  %*s", cw, head[c]);
	}
	putchar('\n');
	printf("%-*s", w, cell[0]);
	for (int c = 1; c < POOL_COLS; c++) {
		int cw = (int)(strlen(cell[c]) > strlen(head[c]) ? strlen(cell[c])
		                                                   : strlen(head[c]));
		printf("  %*s", cw, cell[c]);
	}
	putchar('\n');
}

int cmd_stats(struct cli *cli, const struct command *cmd)
{
	dal_op_stats st[DAL_OP__COUNT];
	dal_pool_stats ps;
	int rc;

	if (cli_repo(cli, cmd->name))
		return EXIT_RUNTIME;
	if ((rc = dal_repo_pool_stats(cli->repo, &ps)) != DAL_OK) {
		cli_fail(cli, cmd->name, "cannot read the pool figures: %s: %s",
		         dal_code_name(rc), dal_strerror(rc));
		return EXIT_RUNTIME;
	}
	if (!dal_repo_telemetry_enabled(cli->repo)) {
		const char *name = dal_repo_name(cli->repo);

		if (cmd->format == FMT_JSON) {
			const char *backend = dal_repo_backend(cli->repo);

			fputs("{\"repository\":", stdout);
			json_string(stdout, name, strlen(name));
			fputs(",\"backend\":", stdout);
			json_string(stdout, backend, strlen(backend));
			fputs(",\"telemetry\":false,\"pool\":", stdout);
			json_pool(stdout, &ps);
			fputs("}\n", stdout);
		} else if (cmd->format == FMT_PROMETHEUS) {
			printf("# telemetry is off for %s\n", name);
		} else {
			/* The pool keeps its figures with telemetry off too. */
			printf("telemetry is off for %s\n\n", name);
			stats_pool_text(name, &ps);
		}
		return EXIT_OK;
	}
	if (cmd->format == FMT_JSON || cmd->format == FMT_PROMETHEUS) {
		rc = dal_repo_metrics_write(cli->repo,
		                            cmd->format == FMT_JSON ? DAL_METRICS_JSON
		                                                    : DAL_METRICS_PROMETHEUS,
		                            write_stdout, NULL);
		if (rc != DAL_OK) {
			cli_fail(cli, cmd->name, "cannot write the metrics: %s",
			         rc == DAL_EBACKEND ? "write error on stdout" : dal_strerror(rc));
			return EXIT_RUNTIME;
		}
		return EXIT_OK;
	}
	for (int op = 0; op < DAL_OP__COUNT; op++) {
		if ((rc = dal_repo_stats(cli->repo, (dal_op)op, &st[op])) != DAL_OK) {
			cli_fail(cli, cmd->name, "cannot read the figures of %s: %s: %s",
			         dal_op_name((dal_op)op), dal_code_name(rc), dal_strerror(rc));
			return EXIT_RUNTIME;
		}
	}
	stats_text(st);
	putchar('\n');
	stats_pool_text(dal_repo_name(cli->repo), &ps);
	return EXIT_OK;
}

/* ------------------------------------------------------------------------ */
/* plugins                                                                   */
/* ------------------------------------------------------------------------ */

static const struct {
	unsigned flag;
	const char *name;
} cap_names[] = {
	{ DAL_CAP_TRANSACTIONS, "transactions" },
	{ DAL_CAP_TRANSACTIONAL_DDL, "transactional_ddl" },
	{ DAL_CAP_LAST_INSERT_ID, "last_insert_id" },
	{ DAL_CAP_STREAMING, "streaming" },
	{ DAL_CAP_MULTI_STATEMENT, "multi_statement" },
	{ DAL_CAP_EMBEDDED, "embedded" },
	{ DAL_CAP_CANCEL, "cancel" },
	{ DAL_CAP_TLS, "tls" },
	{ DAL_CAP_PIPELINE, "pipeline" },
};

struct plugin_walk {
	struct cli *cli;
	int usable;
};

static void print_dir(const char *dir, void *userdata)
{
	struct stat st;

	(void)userdata;
	if (stat(dir, &st) != 0)
		printf("  %s (does not exist)\n", dir);
	else if (!S_ISDIR(st.st_mode))
		printf("  %s (not a directory)\n", dir);
	else
		printf("  %s\n", dir);
}

static void print_plugin(const dal_plugin_info *p, void *userdata)
{
	struct plugin_walk *w = userdata;
	unsigned caps = p->capabilities;
	char msg[DAL_ERROR_MESSAGE_SIZE + 64];

	putchar('\n');
	if (p->status != DAL_OK) {
		cli_redact(w->cli, p->error ? p->error : dal_strerror(p->status),
		           msg, sizeof msg);
		printf("unusable: %s\n", p->path ? p->path : "?");
		printf("  error:        %s: %s\n", dal_code_name(p->status), msg);
		return;
	}
	w->usable++;
	printf("%s %s\n", p->name ? p->name : "?", p->version ? p->version : "?");
	printf("  file:         %s\n", p->path ? p->path : "?");
	fputs("  aliases:     ", stdout);
	if (!p->aliases || !p->aliases[0])
		fputs(" (none)", stdout);
	for (const char *const *a = p->aliases; a && *a; a++)
		printf(" %s", *a);
	putchar('\n');
	printf("  abi:          %u.%u\n", p->abi_major, p->abi_minor);
	if (p->kind == 1)
		printf("  kind:         server (default port %u)\n", p->default_port);
	else
		printf("  kind:         file\n");
	printf("  dialect:      %s\n", p->dialect ? p->dialect : "(none declared)");
	fputs("  capabilities:", stdout);
	if (!caps)
		fputs(" (none)", stdout);
	for (size_t k = 0; k < sizeof cap_names / sizeof cap_names[0]; k++) {
		if (caps & cap_names[k].flag) {
			printf(" %s", cap_names[k].name);
			caps &= ~cap_names[k].flag;
		}
	}
	if (caps) /* flags of a newer ABI than this tool knows */
		printf(" 0x%x", caps);
	putchar('\n');
	if (p->description && *p->description)
		printf("  description:  %s\n", p->description);
}

int cmd_plugins(struct cli *cli, const struct command *cmd)
{
	struct plugin_walk w = { .cli = cli };
	dal_error err = { 0 };
	int n;

	if (cli_config(cli, cmd->name))
		return EXIT_RUNTIME;
	puts("plugin directories (in search order):");
	dal_plugin_dirs(cli->cfg, print_dir, NULL);
	n = dal_plugin_list(cli->cfg, print_plugin, &w, &err);
	if (n < 0) {
		cli_fail_error(cli, cmd->name, &err);
		return EXIT_RUNTIME;
	}
	if (w.usable == 0) {
		fflush(stdout);
		cli_fail(cli, cmd->name,
		         n == 0 ? "no backend plugin (backend_*.so) in any directory "
		                  "listed; set DAL_PLUGIN_PATH or [dal] plugin_dir"
		                : "none of the %d plugin files found is usable", n);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------------------ */
/* config                                                                    */
/* ------------------------------------------------------------------------ */

struct setting_row {
	char *key, *value, *source;
};

struct setting_list {
	struct cli *cli;
	struct setting_row *rows;
	size_t n, cap;
	int nomem;
};

/* Keys whose value is a secret even if the core did not mask it (a backend
 * option such as sslpassword). A *_file key holds a path, not a secret, and
 * allow_empty_password a switch. */
static int key_is_secret(const char *key)
{
	static const char *words[] = { "pass", "secret", "token", "credential", NULL };
	size_t n = strlen(key);

	if ((n > 5 && strcmp(key + n - 5, "_file") == 0) ||
	    strcmp(key, "allow_empty_password") == 0)
		return 0;
	for (const char **w = words; *w; w++)
		if (strcasestr(key, *w))
			return 1;
	return 0;
}

static void collect_setting(const char *key, const char *value,
                            const char *source, void *userdata)
{
	struct setting_list *l = userdata;
	struct setting_row *r;
	char buf[4096];

	if (l->nomem)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct setting_row *rows = realloc(l->rows, cap * sizeof *rows);

		if (!rows) {
			l->nomem = 1;
			return;
		}
		l->rows = rows;
		l->cap = cap;
	}
	r = &l->rows[l->n];
	if (!value)
		value = "";
	if (*value && key && key_is_secret(key))
		value = "***";
	cli_redact(l->cli, value, buf, sizeof buf);
	r->key = strdup(key ? key : "?");
	r->value = strdup(buf);
	r->source = strdup(source ? source : "?");
	l->n++;
	if (!r->key || !r->value || !r->source)
		l->nomem = 1;
}

/* ------------------------------------------------------------------------ */
/* config: the resolved TLS options                                          */
/* ------------------------------------------------------------------------ */

/*
 * The TLS options every backend with DAL_CAP_TLS shares, and their older,
 * backend-specific names (docs/backends.md, "TLS"): mysql's ssl_*, libpq's
 * ssl* keywords. The plugins resolve them when connecting; `config` shows
 * what they resolve to without connecting, by the same documented rules.
 */
static const struct {
	const char *key;
	const char *older[2];
} tls_synonyms[] = {
	{ "tls_mode", { "ssl_mode", "sslmode" } },
	{ "tls_ca", { "ssl_ca", "sslrootcert" } },
	{ "tls_cert", { "ssl_cert", "sslcert" } },
	{ "tls_key", { "ssl_key", "sslkey" } },
};

/* ssl_mode's values (MySQL's spellings) as tls_mode values. */
static const char *tls_mode_of(const char *v)
{
	static const char *const map[][2] = {
		{ "disabled", "disable" }, { "preferred", "prefer" },
		{ "required", "require" }, { "verify_ca", "verify-ca" },
		{ "verify_identity", "verify-full" },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(v, map[i][0]) == 0)
			return map[i][1];
	return v;
}

/* What dal_plugin_list() found about the repository's type. */
struct type_probe {
	const char *type;
	int found;
	unsigned capabilities;
};

static void probe_type(const dal_plugin_info *p, void *userdata)
{
	struct type_probe *t = userdata;
	int match;

	if (p->status != DAL_OK || !p->name || t->found)
		return;
	match = strcasecmp(p->name, t->type) == 0;
	for (const char *const *a = p->aliases; !match && a && *a; a++)
		match = strcasecmp(*a, t->type) == 0;
	if (match) {
		t->found = 1;
		t->capabilities = p->capabilities;
	}
}

/* Among the first n rows, that of backend option `opt` ("<backend>.<opt>"),
 * or NULL. */
static struct setting_row *option_row(struct setting_list *l, size_t n, const char *opt)
{
	for (size_t k = 0; k < n && k < l->n; k++) {
		const char *dot = strchr(l->rows[k].key, '.');

		if (dot && strcasecmp(dot + 1, opt) == 0)
			return &l->rows[k];
	}
	return NULL;
}

/* Add a row "<backend>.<key>" with value and source (copied). */
static void add_row(struct setting_list *l, const char *backend, const char *key,
                    const char *value, const char *source)
{
	char full[128];

	snprintf(full, sizeof full, "%s.%s", backend, key);
	collect_setting(full, value, source, l);
}

/*
 * Append the resolved TLS options of a backend with DAL_CAP_TLS: tls_mode
 * always (its default is prefer, or verify-ca when a CA is given), and a
 * tls_* option given only under an older name, as "<value> / <source>, as
 * <older name>". Both names given with different values, which the plugin
 * refuses, is added to *warn (one line, malloc'd).
 */
static void resolve_tls(struct cli *cli, struct setting_list *l, char **warn)
{
	struct setting_row *type = NULL;
	struct type_probe t = { 0 };
	char backend[64], src[512];
	dal_error err = { 0 };
	size_t n0 = l->n;

	for (size_t k = 0; k < l->n && !type; k++)
		if (strcmp(l->rows[k].key, "type") == 0)
			type = &l->rows[k];
	if (!type || !*type->value)
		return;
	t.type = type->value;
	if (dal_plugin_list(cli->cfg, probe_type, &t, &err) < 0 || !t.found ||
	    !(t.capabilities & DAL_CAP_TLS))
		return;
	snprintf(backend, sizeof backend, "%s", type->value);
	for (size_t i = 0; i < sizeof tls_synonyms / sizeof tls_synonyms[0]; i++) {
		const char *key = tls_synonyms[i].key;
		int is_mode = i == 0;
		struct setting_row *direct, *older = NULL;

		/* Only among the rows described: this adds rows (and may move
		 * them, reallocating; nothing is kept across an add). */
		direct = option_row(l, n0, key);
		for (size_t o = 0; o < 2 && !older; o++)
			older = option_row(l, n0, tls_synonyms[i].older[o]);
		if (direct && older) {
			const char *a = direct->value, *b = older->value;

			if (is_mode ? strcasecmp(tls_mode_of(a), tls_mode_of(b)) != 0
			            : strcmp(a, b) != 0) {
				free(*warn);
				if (asprintf(warn, "%s (%s) and %s (%s) disagree: connecting fails "
				             "(DAL_ECONFIG); give only one of them", direct->key,
				             direct->source, older->key, older->source) < 0)
					*warn = NULL;
			}
			continue;
		}
		if (direct)
			continue;
		if (older) {
			const char *dot = strchr(older->key, '.');
			char value[4096];

			snprintf(src, sizeof src, "%s, as %s", older->source, dot ? dot + 1 : older->key);
			snprintf(value, sizeof value, "%s", is_mode ? tls_mode_of(older->value)
			                                            : older->value);
			add_row(l, backend, key, value, src);
		} else if (is_mode) {
			int ca = option_row(l, n0, "tls_ca") || option_row(l, n0, "ssl_ca") ||
			         option_row(l, n0, "sslrootcert") ||
			         option_row(l, n0, "ssl_capath");

			add_row(l, backend, key, ca ? "verify-ca" : "prefer",
			        ca ? "default (a CA is given)" : "default");
		}
	}
}

int cmd_config(struct cli *cli, const struct command *cmd)
{
	char *tls_warning = NULL;
	struct setting_list l = { .cli = cli };
	dal_error err = { 0 };
	size_t wk = 3, wv = 5; /* "key", "value" */
	const char *path, *w;
	int rc = EXIT_OK;

	if (cli_config(cli, cmd->name))
		return EXIT_RUNTIME;
	if (dal_config_describe(cli->cfg, cli->repo_name, cli->url, collect_setting,
	                        &l, &err) != DAL_OK) {
		cli_fail_error(cli, cmd->name, &err);
		rc = EXIT_RUNTIME;
		goto out;
	}
	resolve_tls(cli, &l, &tls_warning);
	if (l.nomem) {
		cli_fail(cli, cmd->name, "out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	path = dal_config_path(cli->cfg);
	printf("config file: %s\n",
	       path ? path : "(none: defaults and environment only)");
	printf("repository:  %s\n\n",
	       cli->repo_name ? cli->repo_name : "(the default)");
	for (size_t k = 0; k < l.n; k++) {
		if (strlen(l.rows[k].key) > wk)
			wk = strlen(l.rows[k].key);
		if (strlen(l.rows[k].value) > wv)
			wv = strlen(l.rows[k].value);
	}
	printf("%-*s  %-*s  %s\n", (int)wk, "key", (int)wv, "value", "source");
	for (size_t k = 0; k < l.n; k++)
		printf("%-*s  %-*s  %s\n", (int)wk, l.rows[k].key, (int)wv,
		       l.rows[k].value, l.rows[k].source);
	for (size_t k = 0; cli->cfg && (w = dal_config_warning(cli->cfg, k)) != NULL;
	     k++) {
		char buf[4096];

		if (k == 0)
			puts("\nwarnings:");
		cli_redact(cli, w, buf, sizeof buf);
		printf("  %s\n", buf);
	}
	if (tls_warning) {
		char buf[4096];

		if (!cli->cfg || !dal_config_warning(cli->cfg, 0))
			puts("\nwarnings:");
		cli_redact(cli, tls_warning, buf, sizeof buf);
		printf("  %s\n", buf);
	}
out:
	free(tls_warning);
	for (size_t k = 0; k < l.n; k++) {
		free(l.rows[k].key);
		free(l.rows[k].value);
		free(l.rows[k].source);
	}
	free(l.rows);
	return rc;
}
