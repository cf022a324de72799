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
 * Check counts only the cases that ran; one line on stderr names them and
 * says why.
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
	&conf_server, &conf_cancel, &conf_sqlite, &conf_mysql, &conf_pgsql, NULL,
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
};

static const struct {
	unsigned flag;
	const char *name;
} need_names[] = {
	{NEED_SHARED_DB, "a database shared between connections"},
	{NEED_URL_PASSWORD, "a password in DAL_TEST_URL"},
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

/* Build the suite from the registry; *skipped gets one line listing the
 * cases left out, or "" if every case applies. */
static Suite *conformance_suite(char *skipped, size_t size)
{
	Suite *s = suite_create("conformance");

	skipped[0] = '\0';
	for (const struct conf_area *const *a = areas; *a; a++) {
		TCase *tc = NULL;

		for (const struct conf_case *c = (*a)->cases; c->test; c++) {
			const TTest *t = *c->test;
			char why[256];
			size_t len;

			if (why_not(c, why, sizeof why)) {
				len = strlen(skipped);
				snprintf(skipped + len, size - len, "%s%s (%s)", len ? ", " : "",
				         t->name, why);
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
	cap_list(caps, sizeof caps, conf.caps);
	printf("conformance: backend %s (server %s%s), capabilities %s\n", conf.backend,
	       conf.server_kind, shared ? "" : ", a private database per connection", caps);
	fflush(stdout);
	return 0;
}

int main(void)
{
	char skipped[4096];
	SRunner *sr;
	int failed;

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
	sr = srunner_create(conformance_suite(skipped, sizeof skipped));
	if (skipped[0])
		fprintf(stderr, "conformance: not run on %s: %s\n", conf.backend, skipped);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free((char *)conf.backend);
	free((char *)conf.server_kind);
	return failed ? 1 : 0;
}
