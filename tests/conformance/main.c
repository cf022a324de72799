/*
 * The backend conformance suite: what every libdal backend must do the same
 * way, tested through the public API (dal.h) only.
 *
 * It runs against the database named by $DAL_TEST_URL (set by
 * conformance-<backend>.sh; any plugin's URL works). This file opens that
 * repository once, learns its backend, server kind and capabilities, and
 * assembles the Check suite from the case registry of each area file
 * (struct conf_area): a case runs when the plugin declares the capabilities
 * it needs (dal_repo_capabilities()) and the run meets its conditions (a
 * database shared between connections, a password in the URL). Only the
 * cases about one backend's own features (sqlite.c, mysql.c, pgsql.c) are
 * selected by backend name. A case that does not apply is not registered, so
 * Check counts only the cases that ran. It is never counted as a pass: each
 * gets a machine-readable line on stderr,
 *
 *     NOT-APPLICABLE <case> <reason>
 *
 * and a summary line counts both kinds ("conformance: 40 cases run on
 * sqlite, 16 not applicable"); a line "CONDITIONS sanitizers" (or "none")
 * names the build conditions some cases depend on (and those of the test
 * environment: "no-tls-dir", "no-ipv4-mapped"). The
 * conformance-<backend>.sh wrappers compare the NOT-APPLICABLE cases with
 * the list committed next to them (conformance-<backend>.na) and fail on
 * any difference, so a case that should apply cannot silently stop
 * running. The run also fails if Check ran fewer cases than were
 * registered.
 *
 * Every test creates its own uniquely named tables and drops them.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

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
	{NEED_SHARED_DB, "a database shared between connections"},
	{NEED_URL_PASSWORD, "a password in DAL_TEST_URL"},
	{NEED_TLS_DIR, "DAL_TEST_TLS_DIR (the test servers' CA, scripts/test-servers.sh)"},
	{NEED_LOCALHOST, "the server over TCP by the name localhost"},
	{NEED_OUTSIDE_CERT, "the server at an address outside its certificate "
	                    "([::ffff:127.0.0.1])"},
	{NEED_NO_SANITIZER, "a build without sanitizers"},
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

/* Why case c does not apply to this run (in buf), or NULL if it does. */
static const char *why_not(const struct conf_case *c, char *buf, size_t size)
{
	size_t len;

	buf[0] = '\0';
	if (c->backend && strcmp(c->backend, conf.backend) != 0) {
		snprintf(buf, size, "%s only", c->backend);
		return buf;
	}
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

/* Build the suite from the registry. Each case left out is written to
 * `na` (one "NOT-APPLICABLE <case> <reason>" line each, at most size bytes)
 * and counted in *n_na; *n_run gets the number of cases registered. */
static Suite *conformance_suite(char *na, size_t size, int *n_run, int *n_na)
{
	Suite *s = suite_create("conformance");
	size_t len = 0;

	na[0] = '\0';
	*n_run = *n_na = 0;
	for (const struct conf_area *const *a = areas; *a; a++) {
		TCase *tc = NULL;

		for (const struct conf_case *c = (*a)->cases; c->test; c++) {
			const TTest *t = *c->test;
			char why[256];

			if (why_not(c, why, sizeof why)) {
				int n = snprintf(na + len, size - len, "NOT-APPLICABLE %s %s\n",
				                 t->name, why);

				/* Never a silently shortened list: the wrapper
				 * would report the missing names as run. */
				if (n < 0 || (size_t)n >= size - len) {
					fprintf(stderr, "conformance: too many cases not applicable "
					                "for the list buffer\n");
					exit(99);
				}
				len += (size_t)n;
				(*n_na)++;
				continue;
			}
			if (!tc) {
				tc = tcase_create((*a)->name);
				/* The 1 MiB blob and 100k rows take a while under
				 * valgrind. */
				tcase_set_timeout(tc, 300);
				suite_add_tcase(s, tc);
			}
			tcase_add_test(tc, t);
			(*n_run)++;
		}
	}
	return s;
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
		fprintf(stderr, "conformance: cannot create a table: %s: %s\n", dal_code_name(rc),
		        err.message);
		return -1;
	}
	rc = dal_repo_open(&b, NULL, NULL, conf.url, &err);
	if (rc != DAL_OK) {
		fprintf(stderr, "conformance: cannot open DAL_TEST_URL a second time: %s: %s\n",
		        dal_code_name(rc), err.message);
		shared = -1;
	} else if ((rc = dal_conn_acquire(b, &bc, &err)) != DAL_OK) {
		fprintf(stderr, "conformance: cannot acquire a connection of the second "
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
		fprintf(stderr, "conformance: cannot drop table %s: %s: %s\n", t, dal_code_name(rc),
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

/* Learn the repository under test once, before any test, so that every test
 * (each in its own process) starts from the same facts. */
static int identify(void)
{
	dal_repo *r = NULL;
	dal_error err;
	char caps[256] = "";
	int rc = dal_repo_open(&r, NULL, NULL, conf.url, &err), shared;

	if (rc != DAL_OK) {
		fprintf(stderr, "conformance: cannot open DAL_TEST_URL: %s: %s\n", dal_code_name(rc),
		        err.message);
		return -1;
	}
	conf.backend = strdup(dal_repo_backend(r));
	conf.server_kind = strdup(dal_repo_server_kind(r));
	conf.caps = dal_repo_capabilities(r);
	dl = dialect_for(conf.backend);
	if (!dl->backend)
		fprintf(stderr, "conformance: no dialect known for backend '%s': "
		                "standard SQL spellings\n", conf.backend);
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
	conf.tls_dir = getenv("DAL_TEST_TLS_DIR");
	if (conf.tls_dir && !*conf.tls_dir)
		conf.tls_dir = NULL;
	if (conf.tls_dir)
		conf.have |= NEED_TLS_DIR;
	if (conf.tls_dir && (conf.caps & DAL_CAP_TLS) && !(conf.caps & DAL_CAP_EMBEDDED)) {
		if (answers_at("localhost"))
			conf.have |= NEED_LOCALHOST;
		if (answers_at("[::ffff:127.0.0.1]"))
			conf.have |= NEED_OUTSIDE_CERT;
	}
	cap_list(caps, sizeof caps, conf.caps);
	printf("conformance: backend %s (server %s%s), capabilities %s\n", conf.backend,
	       conf.server_kind, shared ? "" : ", a private database per connection", caps);
	fflush(stdout);
	return 0;
}

int main(void)
{
	static char na[16384];
	int n_run, n_na, ran, failed;
	SRunner *sr;

	conf.url = getenv("DAL_TEST_URL");
	if (!conf.url || !*conf.url) {
		fprintf(stderr, "conformance: set DAL_TEST_URL to the database to test "
		                "(the conformance-*.sh scripts do)\n");
		return 99;
	}
	/* Only the URL decides: no DB_* variable may fill in the rest. */
	tu_clear_env();
	if (identify() != 0)
		return 99;
	sr = srunner_create(conformance_suite(na, sizeof na, &n_run, &n_na));
	/* The build's conditions, for the entries of the expected lists that
	 * hold only in some builds ("sanitizers: <case>"), and the test
	 * environment's: no-tls-dir (DAL_TEST_TLS_DIR unset), no-ipv4-mapped
	 * (with it set, the server cannot be reached at [::ffff:127.0.0.1]).
	 * At most one of the two, so that a case listed under both is expected
	 * once. */
	{
		char conds[128] = "";

#ifdef CONF_SANITIZER
		strcat(conds, " sanitizers");
#endif
		if (!(conf.have & NEED_TLS_DIR))
			strcat(conds, " no-tls-dir");
		else if ((conf.caps & DAL_CAP_TLS) && !(conf.caps & DAL_CAP_EMBEDDED) &&
		         !(conf.have & NEED_OUTSIDE_CERT))
			strcat(conds, " no-ipv4-mapped");
		fprintf(stderr, "CONDITIONS%s\n", conds[0] ? conds : " none");
	}
	fputs(na, stderr);
	fprintf(stderr, "conformance: %d cases run on %s, %d not applicable\n", n_run, conf.backend,
	        n_na);
	fflush(stderr);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	ran = srunner_ntests_run(sr);
	srunner_free(sr);
	/* Check's own selection (CK_RUN_CASE, ...) is for running a case by
	 * hand; the wrappers unset it. Otherwise every registered case runs. */
	if (ran != n_run) {
		int selected = getenv("CK_RUN_SUITE") || getenv("CK_RUN_CASE") ||
		               getenv("CK_INCLUDE_TAGS") || getenv("CK_EXCLUDE_TAGS");

		fprintf(stderr, "conformance: %d cases registered but Check ran %d%s\n", n_run, ran,
		        selected ? " (selected by CK_RUN_SUITE, CK_RUN_CASE or tags)" : "");
		if (!selected)
			failed = 1;
	}
	free((char *)conf.backend);
	free((char *)conf.server_kind);
	return failed ? 1 : 0;
}
