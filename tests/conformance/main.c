/*
 * dal-conformance: the backend conformance suite as a program, for our own
 * backends (make check) and for anyone's plugin (installed in $bindir; see
 * dal-conformance(1)).
 *
 *     dal-conformance --url URL [--plugin-dir DIR] [--case PATTERN]...
 *                     [--format tap|table]
 *
 * It opens the repository of URL once, learns the plugin behind it (name,
 * declared kind and capabilities, dal_plugin_list()) and the conditions of
 * the run (a database shared between connections, a password in the URL,
 * the test servers' CA), then goes through the case registry of each area
 * file (struct conf_area). A case applies when the plugin declares every
 * capability it needs, none it must not have, and the run meets its
 * conditions (kind server among them); that is decided here from the
 * registry, never by the plugin's name and never inside a test. Every
 * contract case is reported: pass, fail, or not applicable with the reason.
 * The cases about one of our backends' own features (sqlite.c, mysql.c,
 * pgsql.c) are not part of the contract: they run on that backend only
 * and are not reported for others.
 *
 * Each case runs as its own Check run (a forked process unless CK_FORK=no),
 * so a crash or a hang in a plugin fails that case only, and is reported
 * as soon as it finishes (report.c). Exit status: 0 if every case that
 * applies passed, 1 if one failed, 2 for a usage error, 3 if the URL could
 * not be opened and examined at all.
 *
 * make check runs it through conformance-<backend>.sh, which compares the
 * cases reported not applicable with the list committed next to it
 * (conformance-<backend>.na), so that a case that should apply cannot
 * silently stop running.
 *
 * Every test creates its own uniquely named tables and drops them.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "report.h"

enum { EXIT_PASS = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_CANNOT_RUN = 3 };

#ifdef DAL_STATIC_BACKENDS
#include <ltdl.h> /* a static build: backends preloaded (tests/Makefile.am) */
#endif

/* In the order they run. */
static const struct conf_area *const areas[] = {
	&conf_connection, &conf_statements, &conf_placeholders, &conf_types,
	&conf_transactions, &conf_errors, &conf_streaming, &conf_telemetry,
	&conf_server, &conf_cancel, &conf_tls, &conf_sqlite, &conf_mysql, &conf_pgsql,
	&conf_savepoints, &conf_rows, &conf_stmtlog, NULL,
};

static const struct {
	unsigned flag;
	const char *name;
} cap_names[] = {
	{DAL_CAP_TRANSACTIONS, "TRANSACTIONS"},
	{DAL_CAP_TRANSACTIONAL_DDL, "TRANSACTIONAL_DDL"},
	{DAL_CAP_LAST_INSERT_ID, "LAST_INSERT_ID"},
	{DAL_CAP_STREAMING, "STREAMING"},
	{DAL_CAP_MULTI_STATEMENT, "MULTI_STATEMENT"},
	{DAL_CAP_EMBEDDED, "EMBEDDED"},
	{DAL_CAP_CANCEL, "CANCEL"},
	{DAL_CAP_TLS, "TLS"},
	{DAL_CAP_SAVEPOINTS, "SAVEPOINTS"},
	{DAL_CAP_RETURNING, "RETURNING"},
	{DAL_CAP_UPSERT_CONFLICT, "UPSERT_CONFLICT"},
	{DAL_CAP_UPSERT_DUPLICATE, "UPSERT_DUPLICATE"},
};

static const struct {
	unsigned flag;
	const char *name;
} need_names[] = {
	{NEED_SERVER, "a plugin of kind server"},
	{NEED_SHARED_DB, "a database shared between connections"},
	{NEED_URL_PASSWORD, "a password in the URL"},
	{NEED_TLS_DIR, "DAL_TEST_TLS_DIR (the test servers' CA, scripts/test-servers.sh)"},
	{NEED_LOCALHOST, "the server over TCP by the name localhost"},
	{NEED_OUTSIDE_CERT, "the server at an address outside its certificate "
	                    "([::ffff:127.0.0.1])"},
	{NEED_NO_SANITIZER, "a build without sanitizers"},
	{NEED_GENERATED_KEY, "a declared way to read a generated key (RETURNING or last insert id)"},
	{NEED_UPSERT, "a declared upsert form"},
};

/* Append "DAL_CAP_A|DAL_CAP_B" for the flags of mask to buf. */
static void cap_list(char *buf, size_t size, unsigned mask)
{
	size_t len = strlen(buf);
	int first = 1;

	for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++) {
		if (!(mask & cap_names[i].flag))
			continue;
		snprintf(buf + len, size - len, "%sDAL_CAP_%s", first ? "" : "|", cap_names[i].name);
		len = strlen(buf);
		first = 0;
	}
	if (first)
		snprintf(buf + len, size - len, "none");
}

/* Why contract case c does not apply to this run (in buf), or NULL if it
 * does. */
static const char *why_not(const struct conf_case *c, char *buf, size_t size)
{
	size_t len;

	buf[0] = '\0';
	if ((conf.caps & c->caps) != c->caps) {
		snprintf(buf, size, "needs ");
		cap_list(buf, size, c->caps & ~conf.caps);
		return buf;
	}
	if (conf.caps & c->caps_absent) {
		snprintf(buf, size, "not for ");
		cap_list(buf, size, conf.caps & c->caps_absent);
		return buf;
	}
	for (size_t i = 0; i < sizeof need_names / sizeof need_names[0]; i++) {
		if ((c->needs & need_names[i].flag) && !(conf.have & need_names[i].flag)) {
			len = strlen(buf);
			snprintf(buf + len, size - len, "%s%s", len ? ", " : "needs ",
			         need_names[i].name);
		}
	}
	return buf[0] ? buf : NULL;
}

/*
 * Whether a second connection to the URL reaches the same database (not so
 * for sqlite::memory:, where each open is a new database): a table created
 * on one connection must be visible on the other. -1 if the probe itself
 * fails.
 */
static int probe_shared_db(dal_repo *a)
{
	dal_repo *b = NULL;
	dal_conn *bc = NULL;
	dal_stmt *s = NULL;
	dal_error err;
	char t[64], sql[128];
	int rc, shared;

	snprintf(t, sizeof t, "dalconf_probe_%ld", (long)getpid());
	snprintf(sql, sizeof sql, "CREATE TABLE %s (n BIGINT)", t);
	rc = dal_repo_exec(a, sql, NULL, &err);
	if (rc != DAL_OK) {
		fprintf(stderr, "dal-conformance: cannot create a table: %s: %s\n", dal_code_name(rc),
		        err.message);
		return -1;
	}
	rc = dal_repo_open(&b, NULL, NULL, conf.url, &err);
	if (rc != DAL_OK) {
		fprintf(stderr, "dal-conformance: cannot open the URL a second time: %s: %s\n",
		        dal_code_name(rc), err.message);
		shared = -1;
	} else if ((rc = dal_conn_acquire(b, &bc, &err)) != DAL_OK) {
		fprintf(stderr, "dal-conformance: cannot acquire a connection of the second "
		                "repository: %s: %s\n", dal_code_name(rc), err.message);
		shared = -1;
		dal_repo_close(b);
	} else {
		snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", t);
		shared = dal_stmt_prepare(bc, sql, &s) == DAL_OK && dal_stmt_step(s) == DAL_ROW;
		dal_stmt_close(s);
		dal_conn_release(bc);
		dal_repo_close(b);
	}
	snprintf(sql, sizeof sql, "DROP TABLE %s", t);
	rc = dal_repo_exec(a, sql, NULL, &err);
	if (rc != DAL_OK) {
		fprintf(stderr, "dal-conformance: cannot drop table %s: %s: %s\n", t, dal_code_name(rc),
		        err.message);
		return -1;
	}
	return shared;
}

/* 1 if the URL has a password: scheme://user:password@host... */
static int url_has_password(const char *u)
{
	const char *s = strstr(u, "://"), *end, *at, *colon;

	if (!s)
		return 0;
	s += 3;
	end = s + strcspn(s, "/?");
	at = memrchr(s, '@', (size_t)(end - s));
	if (!at)
		return 0;
	colon = memchr(s, ':', (size_t)(at - s));
	return colon && colon + 1 < at;
}

/* Whether the server under test answers at host (same port), for the TLS
 * cases that reach it by another name or address. No Check assertion here
 * (no test runs yet): the URL is rewritten by hand. */
static int answers_at(const char *host)
{
	const char *s = strstr(conf.url, "://"), *end, *at, *port, *q;
	dal_repo *r = NULL;
	dal_conn *c = NULL;
	dal_error err;
	char *u;
	int ok;

	if (!s)
		return 0;
	s += 3;
	end = s + strcspn(s, "/?");
	at = memrchr(s, '@', (size_t)(end - s));
	if (at)
		s = at + 1;
	port = memrchr(s, ':', (size_t)(end - s));
	if (!port || memchr(s, ']', (size_t)(end - s)))
		return 0;
	q = strchr(end, '?');
	if (asprintf(&u, "%.*s%s%.*s%s%s", (int)(s - conf.url), conf.url, host,
	             (int)(end - port), port, end, q ? "&max_retries=0&connect_timeout=3"
	                                           : "?max_retries=0&connect_timeout=3") < 0)
		return 0;
	ok = dal_repo_open(&r, NULL, NULL, u, &err) == DAL_OK &&
	     dal_conn_acquire(r, &c, &err) == DAL_OK && dal_conn_ping(c, NULL) == DAL_OK;
	dal_conn_release(c);
	dal_repo_close(r);
	free(u);
	return ok;
}

/* What dal_plugin_list() says about the plugin named conf.backend. */
struct plugin_facts {
	int found;
	unsigned kind;
	char path[1024], version[64];
};

static void find_plugin(const dal_plugin_info *info, void *ud)
{
	struct plugin_facts *f = ud;

	if (f->found || info->status != DAL_OK || strcmp(info->name, conf.backend) != 0)
		return;
	f->found = 1;
	f->kind = info->kind;
	snprintf(f->path, sizeof f->path, "%s", info->path);
	snprintf(f->version, sizeof f->version, "%s", info->version ? info->version : "?");
}

/* Learn the repository under test once, before any test, so that every test
 * (each in its own process) starts from the same facts. header[] gets the
 * lines that describe the run. */
static int identify(char header[3][1536])
{
	struct plugin_facts f = {0};
	dal_repo *r = NULL;
	dal_error err;
	char caps[256] = "";
	int rc = dal_repo_open(&r, NULL, NULL, conf.url, &err), shared;

	if (rc != DAL_OK) {
		fprintf(stderr, "dal-conformance: cannot open the URL: %s: %s\n", dal_code_name(rc),
		        err.message);
		return -1;
	}
	conf.backend = strdup(dal_repo_backend(r));
	conf.server_kind = strdup(dal_repo_server_kind(r));
	conf.caps = dal_repo_capabilities(r);
	dl = dialect_for(conf.backend);
	rc = dal_plugin_list(NULL, find_plugin, &f, &err);
	if (rc < 0 || !f.found) {
		fprintf(stderr, "dal-conformance: the plugin '%s' is not in the plugin list%s%s\n",
		        conf.backend, rc < 0 ? ": " : "", rc < 0 ? err.message : "");
		dal_repo_close(r);
		return -1;
	}
	conf.kind = f.kind;
	if (conf.kind == 1)
		conf.have |= NEED_SERVER;
	shared = probe_shared_db(r);
	dal_repo_close(r);
	if (shared < 0)
		return -1;
	if (shared)
		conf.have |= NEED_SHARED_DB;
	if (url_has_password(conf.url))
		conf.have |= NEED_URL_PASSWORD;
#ifndef CONF_SANITIZER
	conf.have |= NEED_NO_SANITIZER;
#endif
	if (conf.caps & (DAL_CAP_RETURNING | DAL_CAP_LAST_INSERT_ID))
		conf.have |= NEED_GENERATED_KEY;
	if (conf.caps & (DAL_CAP_UPSERT_CONFLICT | DAL_CAP_UPSERT_DUPLICATE))
		conf.have |= NEED_UPSERT;
	conf.tls_dir = getenv("DAL_TEST_TLS_DIR");
	if (conf.tls_dir && !*conf.tls_dir)
		conf.tls_dir = NULL;
	if (conf.tls_dir)
		conf.have |= NEED_TLS_DIR;
	if (conf.tls_dir && (conf.caps & DAL_CAP_TLS) && (conf.have & NEED_SERVER)) {
		if (answers_at("localhost"))
			conf.have |= NEED_LOCALHOST;
		if (answers_at("[::ffff:127.0.0.1]"))
			conf.have |= NEED_OUTSIDE_CERT;
	}
	cap_list(caps, sizeof caps, conf.caps);
	snprintf(header[0], sizeof header[0], "dal-conformance %s: plugin %s %s (%s), kind %s",
	         dal_version(), conf.backend, f.version, f.path, f.kind == 1 ? "server" : "file");
	snprintf(header[1], sizeof header[1], "server %s%s; capabilities %s", conf.server_kind,
	         shared ? "" : ", a private database per connection", caps);
	if (!dl->backend)
		snprintf(header[1] + strlen(header[1]), sizeof header[1] - strlen(header[1]),
		         "; SQL: standard spellings");
	return 0;
}

/* The build's and the environment's conditions that the expected lists of
 * make check depend on ("sanitizers: <case>"): sanitizers, no-tls-dir
 * (DAL_TEST_TLS_DIR unset), no-ipv4-mapped (set, but the server cannot be
 * reached at [::ffff:127.0.0.1]). At most one of the last two, so that a
 * case listed under both is expected once. */
static void conditions(char *buf, size_t size)
{
	buf[0] = '\0';
#ifdef CONF_SANITIZER
	snprintf(buf, size, " sanitizers");
#endif
	if (!(conf.have & NEED_TLS_DIR))
		snprintf(buf + strlen(buf), size - strlen(buf), " no-tls-dir");
	else if ((conf.caps & DAL_CAP_TLS) && (conf.have & NEED_SERVER) &&
	         !(conf.have & NEED_OUTSIDE_CERT))
		snprintf(buf + strlen(buf), size - strlen(buf), " no-ipv4-mapped");
	if (!buf[0])
		snprintf(buf, size, " none");
}

/* ------------------------------------------------------------------------ */
/* Running                                                                   */
/* ------------------------------------------------------------------------ */

static char **patterns;
static int n_patterns;

static int selected(const char *name)
{
	if (!n_patterns)
		return 1;
	for (int i = 0; i < n_patterns; i++)
		if (fnmatch(patterns[i], name, 0) == 0)
			return 1;
	return 0;
}

/* Whether case c is reported in this run: selected, and a contract case or
 * one of this backend's own. */
static int reported(const struct conf_case *c)
{
	return selected((*c->test)->name) && (!c->backend || strcmp(c->backend, conf.backend) == 0);
}

/* Run one case in its own Check run; its result, and the failure's
 * location and message in detail. */
static enum case_result run_case(const TTest *t, double *seconds, char *detail, size_t size)
{
	Suite *s = suite_create("conformance");
	TCase *tc = tcase_create(t->name);
	SRunner *sr;
	TestResult **res;
	struct timespec t0;
	enum case_result result = RESULT_FAIL;

	/* The 1 MiB blob and 100k rows take a while under valgrind. */
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	srunner_run_all(sr, CK_SILENT);
	*seconds = elapsed_s(&t0);
	res = srunner_results(sr);
	if (srunner_ntests_run(sr) != 1 || !res) {
		snprintf(detail, size, "Check ran %d tests instead of 1", srunner_ntests_run(sr));
	} else if (tr_rtype(res[0]) == CK_PASS) {
		result = RESULT_PASS;
		detail[0] = '\0';
	} else {
		const char *file = tr_lfile(res[0]), *slash = file ? strrchr(file, '/') : NULL;

		snprintf(detail, size, "%s:%d: %s%s", slash ? slash + 1 : file ? file : "?",
		         tr_lno(res[0]), tr_rtype(res[0]) == CK_ERROR ? "error: " : "",
		         tr_msg(res[0]));
	}
	free(res);
	srunner_free(sr);
	return result;
}

static int run(struct report *rep, char header[3][1536])
{
	const char *lines[4] = {header[0], header[1], header[2], NULL};
	int planned = 0;

	rep->name_width = 4;
	for (const struct conf_area *const *a = areas; *a; a++)
		for (const struct conf_case *c = (*a)->cases; c->test; c++)
			if (reported(c)) {
				int w = (int)strlen((*c->test)->name);

				planned++;
				if (w > rep->name_width)
					rep->name_width = w;
			}
	if (!planned) {
		fprintf(stderr, "dal-conformance: no case matches --case\n");
		return EXIT_USAGE;
	}
	report_begin(rep, lines, planned);
	for (const struct conf_area *const *a = areas; *a; a++) {
		for (const struct conf_case *c = (*a)->cases; c->test; c++) {
			char detail[2048];
			double seconds;
			enum case_result res;

			if (!reported(c))
				continue;
			if (why_not(c, detail, sizeof detail)) {
				report_case(rep, (*c->test)->name, RESULT_NA, -1, detail);
				continue;
			}
			res = run_case(*c->test, &seconds, detail, sizeof detail);
			report_case(rep, (*c->test)->name, res, seconds,
			            res == RESULT_PASS ? NULL : detail);
		}
	}
	report_end(rep);
	return rep->failed ? EXIT_FAILED : EXIT_PASS;
}

/* ------------------------------------------------------------------------ */
/* Command line                                                              */
/* ------------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fputs("Usage: dal-conformance --url URL [OPTION]...\n"
	      "Run the libdal backend conformance suite against the database of URL,\n"
	      "through whatever plugin its scheme names. Each case passes, fails, or\n"
	      "does not apply (by the plugin's declared kind and capabilities).\n"
	      "\n"
	      "  -u, --url URL          the database to test (default: $DAL_TEST_URL);\n"
	      "                         it must be one the suite may create and drop\n"
	      "                         tables in\n"
	      "  -p, --plugin-dir DIR   search DIR for backend_<type>.so first\n"
	      "  -c, --case PATTERN     run only cases whose name matches the shell\n"
	      "                         pattern (repeatable)\n"
	      "  -f, --format FORMAT    tap or table (default: table)\n"
	      "  -l, --list             list the cases, run nothing (no URL needed)\n"
	      "  -h, --help             print this help\n"
	      "      --version          print the version\n"
	      "\n"
	      "Exit status: 0 every case that applies passed, 1 a case failed,\n"
	      "2 usage error, 3 the URL could not be opened and examined.\n"
	      "See dal-conformance(1).\n",
	      out);
}

/* Put dir in front of $DAL_PLUGIN_PATH, which the loader searches before
 * the compiled-in directory. */
static int add_plugin_dir(const char *dir)
{
	const char *old = getenv("DAL_PLUGIN_PATH");
	struct stat st;
	char *path;
	int rc;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "dal-conformance: --plugin-dir %s: not a directory\n", dir);
		return -1;
	}
	if (asprintf(&path, "%s%s%s", dir, old && *old ? ":" : "", old && *old ? old : "") < 0)
		return -1;
	rc = setenv("DAL_PLUGIN_PATH", path, 1);
	free(path);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"url", required_argument, NULL, 'u'},
		{"plugin-dir", required_argument, NULL, 'p'},
		{"case", required_argument, NULL, 'c'},
		{"format", required_argument, NULL, 'f'},
		{"list", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct report rep = {.format = REPORT_TABLE, .out = stdout};
	char header[3][1536], conds[128];
	int opt, list = 0, rc;

#ifdef DAL_STATIC_BACKENDS
	LTDL_SET_PRELOADED_SYMBOLS();
#endif
	patterns = calloc((size_t)argc, sizeof *patterns);
	if (!patterns)
		return EXIT_CANNOT_RUN;
	while ((opt = getopt_long(argc, argv, "u:p:c:f:lh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			conf.url = optarg;
			break;
		case 'p':
			if (add_plugin_dir(optarg) != 0)
				return EXIT_USAGE;
			break;
		case 'c':
			patterns[n_patterns++] = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "tap") == 0) {
				rep.format = REPORT_TAP;
			} else if (strcmp(optarg, "table") == 0) {
				rep.format = REPORT_TABLE;
			} else {
				fprintf(stderr, "dal-conformance: --format %s: use tap or table\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			list = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_PASS;
		case 'V':
			printf("dal-conformance %s\n", dal_version());
			return EXIT_PASS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dal-conformance: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (list) {
		for (const struct conf_area *const *a = areas; *a; a++)
			for (const struct conf_case *c = (*a)->cases; c->test; c++)
				if (selected((*c->test)->name))
					printf("%s/%s%s%s%s\n", (*a)->name, (*c->test)->name,
					       c->backend ? " (own case of " : "",
					       c->backend ? c->backend : "", c->backend ? ")" : "");
		return EXIT_PASS;
	}
	if (!conf.url)
		conf.url = getenv("DAL_TEST_URL");
	if (!conf.url || !*conf.url) {
		fprintf(stderr, "dal-conformance: give the database to test with --url URL\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Only the URL decides: no DB_* variable may fill in the rest, and
	 * --case is the one way to select cases. */
	tu_clear_env();
	unsetenv("CK_RUN_SUITE");
	unsetenv("CK_RUN_CASE");
	unsetenv("CK_INCLUDE_TAGS");
	unsetenv("CK_EXCLUDE_TAGS");
	if (identify(header) != 0)
		return EXIT_CANNOT_RUN;
	conditions(conds, sizeof conds);
	snprintf(header[2], sizeof header[2], "conditions:%s", conds);
	rc = run(&rep, header);
	free((char *)conf.backend);
	free((char *)conf.server_kind);
	free(patterns);
	return rc;
}
