/*
 * Helpers of the schema lifecycle tests; see migrate_util.h.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dal/migrate.h>

#include "migrate_util.h"
#include "testutil.h"

#define DAL_BIN TOP_BUILDDIR "/cli/dal"

/* url with "_schema" appended to its database name. */
static void schema_url(const char *url, char *out, size_t size)
{
	const char *slash = strrchr(url, '/'), *q = strchr(slash ? slash : url, '?');
	size_t n = q ? (size_t)(q - url) : strlen(url);

	ck_assert_ptr_nonnull(slash);
	snprintf(out, size, "%.*s_schema%s", (int)n, url, q ? q : "");
}

int mt_setup(struct mt *t, int i, const char *extra)
{
	static const char *const types[] = {"sqlite", "mysql", "postgresql"};
	static const char *const vars[] = {NULL, "DAL_TEST_MYSQL_URL", "DAL_TEST_PGSQL_URL"};
	char *ini;
	FILE *f;

	memset(t, 0, sizeof *t);
	t->backend = i;
	t->type = types[i];
	if (vars[i]) {
		const char *u = getenv(vars[i]);

		if (!u || !*u) {
			fprintf(stderr, "skipped for %s: %s is not set\n", types[i], vars[i]);
			return 0;
		}
		snprintf(t->other_url, sizeof t->other_url, "%s", u);
		schema_url(u, t->url, sizeof t->url);
	}
	t->dir = tu_mkdtemp();
	ck_assert_int_ne(asprintf(&t->mig, "%s/mig", t->dir), -1);
	ck_assert_int_eq(mkdir(t->mig, 0755), 0);
	if (!vars[i])
		snprintf(t->url, sizeof t->url, "sqlite:///%s/app.db", t->dir);
	ck_assert_int_ne(asprintf(&ini, "%s/dal.ini", t->dir), -1);
	ck_assert_ptr_nonnull(f = fopen(ini, "w"));
	fprintf(f, "[main]\nurl = %s\nmigrations = mig\nmax_retries = 0\n%s", t->url,
	        extra ? extra : "");
	fclose(f);
	t->ini = ini;
	if (vars[i]) {
		dal_repo *r = mt_open(t);
		dal_error err;

		/* What an aborted reset case may have left in another schema
		 * (depending on ours) would make the reset fail. */
		if (i == MT_PGSQL)
			dal_repo_exec(r, "DROP SCHEMA IF EXISTS r_other CASCADE", NULL, NULL);
		ck_assert_msg(dal_repo_drop_all(r, 0, NULL, NULL, NULL, &err) == DAL_OK, "%s",
		              err.message);
		dal_repo_close(r);
	}
	return 1;
}

void mt_teardown(struct mt *t)
{
	free(t->mig);
	free(t->ini);
	if (t->dir)
		tu_rmtree(t->dir);
	memset(t, 0, sizeof *t);
}

void mt_file(const struct mt *t, const char *name, const char *text)
{
	free(tu_write_file(t->mig, name, text));
}

void mt_unlink(const struct mt *t, const char *name)
{
	char *p;

	ck_assert_int_ne(asprintf(&p, "%s/%s", t->mig, name), -1);
	ck_assert_msg(unlink(p) == 0, "unlink %s: %s", p, strerror(errno));
	free(p);
}

dal_repo *mt_open(const struct mt *t)
{
	dal_repo *r = NULL;
	dal_error err;

	ck_assert_msg(dal_repo_open_url(&r, t->url, &err) == DAL_OK,
	              "cannot open the %s test database (scripts/test-servers.sh makes "
	              "daltest_schema): %s", t->type, err.message);
	return r;
}

int64_t mt_scalar(dal_repo *r, const char *sql)
{
	dal_conn *c;
	dal_stmt *st;
	int64_t v = -1;

	ck_assert_int_eq(dal_conn_acquire(r, &c, NULL), DAL_OK);
	if (dal_stmt_prepare(c, sql, &st) == DAL_OK) {
		if (dal_stmt_step(st) == DAL_ROW)
			v = dal_stmt_column_int64(st, 0);
		dal_stmt_close(st);
	}
	dal_conn_release(c);
	return v;
}

void mt_dal_va(const struct mt *t, struct tu_run *r, va_list ap)
{
	const char *const head[] = { DAL_BIN, "-c", t->ini, NULL };

	tu_run_va(r, NULL, head, ap);
}

void mt_dal(const struct mt *t, struct tu_run *r, ...)
{
	va_list ap;

	va_start(ap, r);
	mt_dal_va(t, r, ap);
	va_end(ap);
}

int mt_count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

void mt_wait_lock_held(const struct mt *t)
{
	const char *sql = t->backend == MT_PGSQL
		? "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
		  "database = (SELECT oid FROM pg_database WHERE datname = current_database())"
		: "SELECT IS_USED_LOCK(CONCAT('dal_migrate.', MD5(DATABASE()))) IS NOT NULL";
	char url[1100];
	dal_repo *r;
	dal_error err;

	/* SQLite: the lock is the write lock; BEGIN IMMEDIATE without waiting
	 * fails while another connection holds it. */
	if (t->backend == MT_SQLITE)
		snprintf(url, sizeof url, "%s?busy_timeout=0", t->url);
	else
		snprintf(url, sizeof url, "%s", t->url);
	ck_assert_msg(dal_repo_open_url(&r, url, &err) == DAL_OK, "%s", err.message);
	for (int k = 0; k < 400; k++) { /* 20 s */
		if (t->backend == MT_SQLITE) {
			int rc = dal_repo_exec(r, "BEGIN IMMEDIATE", NULL, NULL);

			if (rc == DAL_EBUSY)
				break;
			dal_repo_exec(r, "ROLLBACK", NULL, NULL);
		} else if (mt_scalar(r, sql) > 0) {
			break;
		}
		ck_assert_msg(k < 399, "the other migrator never took the lock");
		usleep(50000);
	}
	dal_repo_close(r);
}

const char *mt_slow_sql(const struct mt *t)
{
	switch (t->backend) {
	case MT_MYSQL:
		return "DO SLEEP(1.5);\n";
	case MT_PGSQL:
		return "DO $$ BEGIN PERFORM pg_sleep(1.5); END $$;\n";
	default:
		/* SQLite has no sleep: a few million rows of a recursive CTE. */
		return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
		       "WHERE x < 3000000) SELECT max(x) FROM c;\n";
	}
}
