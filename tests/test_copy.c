/*
 * Tests of the copy layer (<dal/copy.h>, docs/copy.md) and of `dal copy`,
 * against real databases: SQLite files in temporary directories and the
 * test servers of DAL_TEST_MYSQL_URL / DAL_TEST_PGSQL_URL (a case whose
 * server is not configured returns early and says so). Tables on the
 * servers get names unique to the process, and are dropped at the end of
 * each case with their rows of dal_copy_state.
 *
 * Each copy is checked on the values read back from the target, not only
 * by the layer's own verification: NULLs, blobs with zero bytes, UTF-8,
 * the int64 extremes, doubles, booleans, timestamps.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dal/copy.h>
#include <dal/dal.h>

#include "testutil.h"


#define DAL_BIN TOP_BUILDDIR "/cli/dal"

static char table[64];  /* this case's table name */
static char table2[64]; /* a second one, without a primary key */

/* tu_tmpdir_setup(), and table names of its own for each case. */
static void setup(void)
{
	static int n;

	tu_tmpdir_setup();
	snprintf(table, sizeof table, "cp_%ld_%d", (long)getpid(), ++n);
	snprintf(table2, sizeof table2, "cpn_%ld_%d", (long)getpid(), n);
}

static const char *server_url(const char *var)
{
	const char *u = getenv(var);

	if (!u || !*u) {
		printf("%s not set: case skipped\n", var);
		return NULL;
	}
	return u;
}

static char *sqlite_url(const char *name)
{
	char *u;

	ck_assert_int_gt(asprintf(&u, "sqlite:///%s/%s", tu_tmpdir, name), 0);
	return u;
}

/* The URL of one end of a copy: kind "sqlite" is file in tu_tmpdir (*own:
 * the malloc'd URL, for the caller to free), "mysql" and "pgsql" the test
 * server, or NULL (a line says the case is skipped) when not configured. */
static const char *end_url(const char *kind, const char *file, char **own)
{
	*own = NULL;
	if (strcmp(kind, "sqlite") == 0)
		return *own = sqlite_url(file);
	return server_url(strcmp(kind, "mysql") == 0 ? "DAL_TEST_MYSQL_URL" : "DAL_TEST_PGSQL_URL");
}

static dal_repo *open_url(const char *url)
{
	dal_repo *r;
	dal_error err;

	ck_assert_msg(dal_repo_open_url(&r, url, &err) == DAL_OK, "%s: %s", url, err.message);
	return r;
}

static void execf(dal_repo *r, const char *fmt, const char *name)
{
	char sql[512];

	snprintf(sql, sizeof sql, fmt, name);
	tu_repo_exec(r, sql);
}

/* Drop this case's tables and state rows in r (errors ignored: they may
 * not exist). */
static void cleanup(dal_repo *r)
{
	char sql[256];

	if (!r)
		return;
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
	dal_repo_exec(r, sql, NULL, NULL);
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table2);
	dal_repo_exec(r, sql, NULL, NULL);
	snprintf(sql, sizeof sql, "DELETE FROM dal_copy_state WHERE table_name IN ('%s', '%s')",
	         table, table2);
	dal_repo_exec(r, sql, NULL, NULL);
}

/* The rows every copy carries: (id, name, price, flag, data, created). */
static const int64_t ids[] = { INT64_MIN, -1, 0, 7, INT64_MAX };

static void insert_rows(dal_repo *r, const char *name)
{
	static const unsigned char blob[] = { 0x00, 0xff, 0x00, 'a', 0x80 };
	dal_conn *c;
	dal_stmt *st;
	dal_error err;
	char sql[256];

	ck_assert_int_eq(dal_conn_acquire(r, &c, &err), DAL_OK);
	snprintf(sql, sizeof sql, "INSERT INTO %s (id, name, price, flag, data, created) "
	         "VALUES (?, ?, ?, ?, ?, ?)", name);
	ck_assert_msg(dal_stmt_prepare(c, sql, &st) == DAL_OK, "%s", dal_conn_error(c)->message);
	for (unsigned k = 0; k < sizeof ids / sizeof ids[0]; k++) {
		dal_stmt_bind_int64(st, 1, ids[k]);
		if (k == 1) {
			/* A row of NULLs but the key. */
			for (unsigned p = 2; p <= 6; p++)
				dal_stmt_bind_null(st, p);
		} else {
			dal_stmt_bind_text(st, 2, k == 0 ? "" : k == 2 ? "héllo ☃ 日本" : "x'y\"z", -1);
			dal_stmt_bind_double(st, 3, k == 0 ? -2.5 : k == 2 ? 1e300 : 0.1);
			dal_stmt_bind_bool(st, 4, (int)(k & 1));
			dal_stmt_bind_blob(st, 5, blob, k == 0 ? 0 : sizeof blob);
			dal_stmt_bind_text(st, 6, k == 4 ? "1999-12-31 23:59:59.5" :
			                   "2024-02-29 13:14:15", -1);
		}
		ck_assert_msg(dal_stmt_step(st) == DAL_DONE, "%s", dal_stmt_error(st)->message);
		dal_stmt_reset(st);
	}
	dal_stmt_close(st);
	dal_conn_release(c);
}

/* The source table in the dialect of its backend. */
static void create_source(dal_repo *r, const char *kind)
{
	const char *ddl;

	if (strcmp(kind, "sqlite") == 0)
		ddl = "CREATE TABLE %s (id INTEGER PRIMARY KEY, name TEXT, price REAL, "
		      "flag BOOLEAN, data BLOB, created TIMESTAMP)";
	else if (strcmp(kind, "pgsql") == 0)
		ddl = "CREATE TABLE %s (id BIGINT PRIMARY KEY, name TEXT, price DOUBLE PRECISION, "
		      "flag BOOLEAN, data BYTEA, created TIMESTAMP)";
	else
		ddl = "CREATE TABLE %s (id BIGINT PRIMARY KEY, name LONGTEXT, price DOUBLE, "
		      "flag BOOLEAN, data LONGBLOB, created DATETIME(6)) DEFAULT CHARSET=utf8mb4";
	execf(r, ddl, table);
	insert_rows(r, table);
}

/* Read the target's rows back and compare them value by value. */
static void check_rows(dal_repo *r)
{
	static const unsigned char blob[] = { 0x00, 0xff, 0x00, 'a', 0x80 };
	dal_conn *c;
	dal_stmt *st;
	dal_error err;
	char sql[256];
	unsigned k = 0;
	int rc;

	ck_assert_int_eq(dal_conn_acquire(r, &c, &err), DAL_OK);
	snprintf(sql, sizeof sql, "SELECT id, name, price, flag, data, created FROM %s "
	         "ORDER BY id", table);
	ck_assert_msg(dal_stmt_prepare(c, sql, &st) == DAL_OK, "%s", dal_conn_error(c)->message);
	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		size_t n;
		const void *b;
		const char *ts;

		ck_assert_uint_lt(k, 5);
		ck_assert_int_eq(dal_stmt_column_int64(st, 0), ids[k]);
		if (k == 1) {
			for (unsigned col = 1; col < 6; col++)
				ck_assert_msg(dal_stmt_column_is_null(st, col), "column %u not NULL", col);
			k++;
			continue;
		}
		ck_assert_str_eq(dal_stmt_column_text(st, 1, NULL),
		                 k == 0 ? "" : k == 2 ? "héllo ☃ 日本" : "x'y\"z");
		ck_assert(dal_stmt_column_double(st, 2) == (k == 0 ? -2.5 : k == 2 ? 1e300 : 0.1));
		ck_assert_int_eq(dal_stmt_column_bool(st, 3), (int)(k & 1));
		b = dal_stmt_column_blob(st, 4, &n);
		ck_assert_uint_eq(n, k == 0 ? 0 : sizeof blob);
		ck_assert_msg(!dal_stmt_column_is_null(st, 4), "empty blob became NULL");
		if (n)
			ck_assert(memcmp(b, blob, n) == 0);
		ts = dal_stmt_column_text(st, 5, NULL);
		ck_assert_msg(strncmp(ts, k == 4 ? "1999-12-31 23:59:59.5" : "2024-02-29 13:14:15",
		                      k == 4 ? 21 : 19) == 0, "timestamp %s", ts);
		k++;
	}
	ck_assert_msg(rc == DAL_DONE, "%s", dal_stmt_error(st)->message);
	ck_assert_uint_eq(k, 5);
	dal_stmt_close(st);
	dal_conn_release(c);
}

/* Copy this case's table from -> to with the API and check everything. */
static void copy_and_check(const char *from_url, const char *from_kind, const char *to_url)
{
	dal_repo *from = open_url(from_url), *to = open_url(to_url);
	const char *tables[] = { table, NULL };
	dal_copy_options opt = { .tables = tables, .batch_rows = 2 };
	dal_copy_result res;
	dal_error err;
	int64_t r1, r2;
	uint64_t s1, s2;

	cleanup(to);
	create_source(from, from_kind);
	ck_assert_msg(dal_copy_run(from, to, &opt, &res, &err) == DAL_OK, "%s", err.message);
	ck_assert_uint_eq(res.tables, 1);
	ck_assert_uint_eq(res.tables_created, 1);
	ck_assert_uint_eq(res.tables_copied, 1);
	ck_assert_int_eq(res.rows_copied, 5);
	ck_assert_uint_eq(res.mismatches, 0);
	check_rows(to);
	ck_assert_int_eq(dal_copy_checksum(from, table, &r1, &s1, &err), DAL_OK);
	ck_assert_int_eq(dal_copy_checksum(to, table, &r2, &s2, &err), DAL_OK);
	ck_assert_int_eq(r1, 5);
	ck_assert_int_eq(r2, 5);
	ck_assert_uint_eq(s1, s2);

	/* Again: nothing to do, and it says so. */
	ck_assert_msg(dal_copy_run(from, to, &opt, &res, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(res.already_complete, 1);
	ck_assert_uint_eq(res.tables_skipped, 1);
	ck_assert_int_eq(res.rows_copied, 0);

	cleanup(to);
	if (strcmp(from_kind, "sqlite") != 0)
		cleanup(from);
	dal_repo_close(from);
	dal_repo_close(to);
}

/* copy_and_check() from a repository of from_kind (SQLite: src.db) to one
 * of to_kind (SQLite: dst.db); skipped when a server is not configured. */
static void copy_kinds(const char *from_kind, const char *to_kind)
{
	char *own_from, *own_to;
	const char *from = end_url(from_kind, "src.db", &own_from);
	const char *to = end_url(to_kind, "dst.db", &own_to);

	if (from && to)
		copy_and_check(from, from_kind, to);
	free(own_from);
	free(own_to);
}

START_TEST(test_copy_sqlite_to_mariadb) { copy_kinds("sqlite", "mysql"); }
END_TEST

START_TEST(test_copy_sqlite_to_postgresql) { copy_kinds("sqlite", "pgsql"); }
END_TEST

START_TEST(test_copy_postgresql_to_sqlite) { copy_kinds("pgsql", "sqlite"); }
END_TEST

START_TEST(test_copy_mariadb_to_postgresql) { copy_kinds("mysql", "pgsql"); }
END_TEST

START_TEST(test_copy_sqlite_to_sqlite_all_tables)
{
	char *from_url = sqlite_url("a.db"), *to_url = sqlite_url("b.db");
	dal_repo *from = open_url(from_url), *to = open_url(to_url);
	dal_copy_result res;
	dal_error err;

	create_source(from, "sqlite");
	execf(from, "CREATE TABLE %s (a TEXT, b INTEGER)", table2);
	execf(from, "INSERT INTO %s VALUES ('x', 1), ('x', 1), (NULL, NULL)", table2);
	tu_repo_exec(from, "CREATE VIEW v AS SELECT 1 AS one");
	ck_assert_msg(dal_copy_run(from, to, NULL, &res, &err) == DAL_OK, "%s", err.message);
	ck_assert_uint_eq(res.tables, 2); /* the view is not a table to copy */
	ck_assert_int_eq(res.rows_copied, 8);
	check_rows(to);
	dal_repo_close(from);
	dal_repo_close(to);
	free(from_url);
	free(to_url);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The command line                                                          */
/* ------------------------------------------------------------------------ */

struct run {
	char out[65536], err[65536];
	int status; /* exit status, or 128 + signal */
};

/* Start `dal ARGS...` with stdout and stderr to files in tu_tmpdir. */
static pid_t spawn_dal(const char *const *args)
{
	const char *argv[32];
	char out[4096], err[4096];
	int n = 0;

	argv[n++] = DAL_BIN;
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	snprintf(out, sizeof out, "%s/out.txt", tu_tmpdir);
	snprintf(err, sizeof err, "%s/err.txt", tu_tmpdir);
	return tu_spawn(argv, NULL, out, err);
}

static void finish(pid_t pid, struct run *r)
{
	char path[4096];

	r->status = tu_wait(pid);
	snprintf(path, sizeof path, "%s/out.txt", tu_tmpdir);
	tu_slurp(path, r->out, sizeof r->out);
	snprintf(path, sizeof path, "%s/err.txt", tu_tmpdir);
	tu_slurp(path, r->err, sizeof r->err);
}

static void run_dal(struct run *r, const char *const *args)
{
	finish(spawn_dal(args), r);
}


static int64_t count(dal_repo *r, const char *sql_fmt, const char *name)
{
	char sql[256];
	dal_conn *c;
	dal_stmt *st;
	dal_error err;
	int64_t n = -1;

	snprintf(sql, sizeof sql, sql_fmt, name);
	ck_assert_int_eq(dal_conn_acquire(r, &c, &err), DAL_OK);
	if (dal_stmt_prepare(c, sql, &st) == DAL_OK) {
		if (dal_stmt_step(st) == DAL_ROW)
			n = dal_stmt_column_int64(st, 0);
		dal_stmt_close(st);
	}
	dal_conn_release(c);
	return n;
}

/* A row changed in the target after the copy: verification names the
 * table, the API returns DAL_EDATA and `dal copy` exits 1. */
static void corrupted_row(const char *src_file, const char *to_url)
{
	char *from_url = sqlite_url(src_file);
	dal_repo *from = open_url(from_url), *to = open_url(to_url);
	const char *tables[] = { table, NULL };
	dal_copy_options opt = { .tables = tables };
	dal_copy_result res;
	dal_error err;
	struct run r;
	char sql[256];

	cleanup(to);
	create_source(from, "sqlite");
	ck_assert_msg(dal_copy_run(from, to, &opt, &res, &err) == DAL_OK, "%s", err.message);
	snprintf(sql, sizeof sql, "UPDATE %s SET name = 'tampered' WHERE id = 7", table);
	tu_repo_exec(to, sql);
	ck_assert_int_eq(dal_copy_run(from, to, &opt, &res, &err), DAL_EDATA);
	ck_assert_uint_eq(res.mismatches, 1);
	ck_assert_msg(tu_contains(err.message, table), "%s", err.message);

	{
		const char *args[] = { "copy", "--from", from_url, "--to", to_url, "--tables",
		                       table, NULL };
		run_dal(&r, args);
	}
	tu_assert_run(&r, 1);
	tu_assert_has(r.out, "MISMATCH");
	tu_assert_has(r.err, "verification failed");
	cleanup(to);
	dal_repo_close(from);
	dal_repo_close(to);
	free(from_url);
}

START_TEST(test_copy_verification_catches_corrupted_row)
{
	const char *url = server_url("DAL_TEST_PGSQL_URL");
	char *to = sqlite_url("dst.db");

	corrupted_row("src1.db", to);
	if (url)
		corrupted_row("src2.db", url);
	free(to);
}
END_TEST

/*
 * Kill `dal copy` (SIGKILL) in the middle of a table, then: a plain re-run
 * refuses and points to --resume; --resume completes it; the target holds
 * every row exactly once, and verification passes. A table without a
 * primary key restarts from empty.
 */
static void killed_and_resumed(const char *to_url)
{
	char *from_url = sqlite_url("big.db");
	dal_repo *from = open_url(from_url), *to = open_url(to_url);
	char tables[160];
	const char *args[] = { "copy", "--from", from_url, "--to", to_url, "--tables", tables,
	                       "--batch", "200", NULL, NULL };
	struct run r;
	pid_t pid;
	int64_t done = 0;
	char sql[256];

	cleanup(to);
	snprintf(tables, sizeof tables, "%s,%s", table, table2);
	execf(from, "CREATE TABLE %s (id INTEGER PRIMARY KEY, v TEXT, pad BLOB)", table);
	execf(from, "CREATE TABLE %s (a INTEGER, b TEXT)", table2);
	snprintf(sql, sizeof sql, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
	         "FROM n WHERE i < 40000) INSERT INTO %s SELECT i, 'row ' || i, "
	         "randomblob(64) FROM n", table);
	tu_repo_exec(from, sql);
	snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (1, 'a'), (1, 'a'), (2, NULL)", table2);
	tu_repo_exec(from, sql);

	pid = spawn_dal(args);
	/* Wait for some committed batches, then kill at whatever moment. */
	for (int k = 0; k < 3000 && done < 2000; k++) {
		struct timespec ts = { 0, 5000000 };

		nanosleep(&ts, NULL);
		done = count(to, "SELECT rows_copied FROM dal_copy_state WHERE table_name = '%s'",
		             table);
	}
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	finish(pid, &r);
	ck_assert_msg(r.status == 128 + SIGKILL, "the copy ended before it was killed "
	              "(exit %d): %s%s", r.status, r.out, r.err);
	ck_assert_int_ge(done, 2000);
	done = count(to, "SELECT rows_copied FROM dal_copy_state WHERE table_name = '%s'", table);
	ck_assert_int_lt(done, 40000);
	/* The state matches the committed rows, read in one statement: the
	 * server may still be committing the killed copier's last batch. */
	{
		char both[256];

		snprintf(both, sizeof both, "SELECT (SELECT COUNT(*) FROM %s) - (SELECT rows_copied "
		         "FROM dal_copy_state WHERE table_name = '%%s')", table);
		ck_assert_int_eq(count(to, both, table), 0);
	}

	run_dal(&r, args);
	tu_assert_run(&r, 1);
	tu_assert_has(r.err, "--resume");

	args[9] = "--resume";
	run_dal(&r, args);
	tu_assert_run(&r, 0);
	tu_assert_has(r.err, "resuming after");
	tu_assert_has(r.out, "verified");
	ck_assert_int_eq(count(to, "SELECT COUNT(*) FROM %s", table), 40000);
	ck_assert_int_eq(count(to, "SELECT COUNT(DISTINCT id) FROM %s", table), 40000);
	ck_assert_int_eq(count(to, "SELECT COUNT(*) FROM %s", table2), 3);

	/* Once more: a no-op that says so. */
	run_dal(&r, args);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "nothing to copy");
	cleanup(to);
	dal_repo_close(from);
	dal_repo_close(to);
	free(from_url);
}

/* killed_and_resumed() into a repository of kind (SQLite: dst.db). */
static void killed_and_resumed_to(const char *kind)
{
	char *own;
	const char *to = end_url(kind, "dst.db", &own);

	if (to)
		killed_and_resumed(to);
	free(own);
}

START_TEST(test_copy_killed_then_resumed_sqlite) { killed_and_resumed_to("sqlite"); }
END_TEST

START_TEST(test_copy_killed_then_resumed_postgresql) { killed_and_resumed_to("pgsql"); }
END_TEST

START_TEST(test_copy_killed_then_resumed_mariadb) { killed_and_resumed_to("mysql"); }
END_TEST

/*
 * Resume by a composite key with text (UTF-8, mixed case): a row the
 * target refuses (a CHECK) stops the copy after some committed batches;
 * once the source row is fixed, a run without resume refuses, and with
 * resume the copy continues after the last committed key, in the
 * source's order, and ends with every row exactly once.
 */
static void resume_composite_key(const char *src_file, const char *to_url)
{
	char *from_url = sqlite_url(src_file);
	dal_repo *from = open_url(from_url), *to = open_url(to_url);
	const char *tables[] = { table, NULL };
	dal_copy_options opt = { .tables = tables, .batch_rows = 100 };
	dal_copy_result res;
	dal_error err;
	char sql[512];
	const char *kind = dal_repo_dialect(to);
	int64_t done;
	int rc;

	cleanup(to);
	execf(from, "CREATE TABLE %s (a TEXT NOT NULL, b INTEGER NOT NULL, v TEXT, "
	      "PRIMARY KEY (a, b))", table);
	snprintf(sql, sizeof sql, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
	         "FROM n WHERE i < 1000) INSERT INTO %s SELECT substr('AbéZa', i %% 5 + 1, 1) "
	         "|| 'x' || (i %% 13), i, CASE i WHEN 617 THEN 'bad' ELSE 'ok' END FROM n",
	         table);
	tu_repo_exec(from, sql);
	if (kind && strcmp(kind, "mysql") == 0)
		execf(to, "CREATE TABLE %s (a VARCHAR(50) NOT NULL, b BIGINT NOT NULL, "
		      "v VARCHAR(20) CHECK (v <> 'bad'), PRIMARY KEY (a, b)) "
		      "DEFAULT CHARSET=utf8mb4", table);
	else
		execf(to, "CREATE TABLE %s (a TEXT NOT NULL, b BIGINT NOT NULL, "
		      "v TEXT CHECK (v <> 'bad'), PRIMARY KEY (a, b))", table);

	rc = dal_copy_run(from, to, &opt, &res, &err);
	ck_assert_msg(rc != DAL_OK, "the refused row did not stop the copy");
	ck_assert_msg(tu_contains(err.message, "refused the rows"), "%s", err.message);
	done = count(to, "SELECT rows_copied FROM dal_copy_state WHERE table_name = '%s'", table);
	ck_assert_int_gt(done, 0);
	ck_assert_int_lt(done, 1000);
	ck_assert_int_eq(done % 100, 0);
	ck_assert_int_eq(count(to, "SELECT COUNT(*) FROM %s", table), done);
	ck_assert_int_eq(res.rows_copied, done);

	execf(from, "UPDATE %s SET v = 'ok' WHERE v = 'bad'", table);
	ck_assert_int_eq(dal_copy_run(from, to, &opt, &res, &err), DAL_EMISUSE);
	ck_assert_msg(tu_contains(err.message, "--resume"), "%s", err.message);
	opt.resume = 1;
	ck_assert_msg(dal_copy_run(from, to, &opt, &res, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(res.rows_copied, 1000 - done);
	ck_assert_uint_eq(res.mismatches, 0);
	ck_assert_int_eq(count(to, "SELECT COUNT(*) FROM %s", table), 1000);
	ck_assert_int_eq(count(to, "SELECT COUNT(DISTINCT b) FROM %s", table), 1000);
	cleanup(to);
	dal_repo_close(from);
	dal_repo_close(to);
	free(from_url);
}

START_TEST(test_copy_resumes_by_composite_text_key)
{
	const char *pg = server_url("DAL_TEST_PGSQL_URL");
	const char *my = server_url("DAL_TEST_MYSQL_URL");
	char *to = sqlite_url("dst.db");

	resume_composite_key("s1.db", to);
	if (pg)
		resume_composite_key("s2.db", pg);
	if (my)
		resume_composite_key("s3.db", my);
	free(to);
}
END_TEST

/* Rows of large values: 600 blobs of 64 KiB (38 MiB) would make 1,000-row
 * INSERTs far above MariaDB's 16 MiB packet limit; the copy lowers the rows
 * per INSERT instead of failing. */
START_TEST(test_copy_large_values_fit_the_packet_limit)
{
	const char *to_url = server_url("DAL_TEST_MYSQL_URL");
	char *from_url = sqlite_url("large.db");
	dal_repo *from, *to;
	const char *tables[] = { table, NULL };
	dal_copy_options opt = { .tables = tables };
	dal_copy_result res;
	dal_error err;
	char sql[256];

	if (!to_url) {
		free(from_url);
		return;
	}
	from = open_url(from_url);
	to = open_url(to_url);
	cleanup(to);
	execf(from, "CREATE TABLE %s (id INTEGER PRIMARY KEY, b BLOB)", table);
	snprintf(sql, sizeof sql, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
	         "FROM n WHERE i < 600) INSERT INTO %s SELECT i, randomblob(65536) FROM n", table);
	tu_repo_exec(from, sql);
	ck_assert_msg(dal_copy_run(from, to, &opt, &res, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(res.rows_copied, 600);
	ck_assert_uint_eq(res.mismatches, 0);
	ck_assert_int_eq(count(to, "SELECT SUM(LENGTH(b)) FROM %s", table), 600 * 65536);
	cleanup(to);
	dal_repo_close(from);
	dal_repo_close(to);
	free(from_url);
}
END_TEST

/* A target table with rows no copy wrote is not appended to. */
START_TEST(test_copy_refuses_target_with_foreign_rows)
{
	char *from_url = sqlite_url("a.db"), *to_url = sqlite_url("b.db");
	dal_repo *from = open_url(from_url), *to = open_url(to_url);
	dal_copy_result res;
	dal_error err;

	create_source(from, "sqlite");
	execf(to, "CREATE TABLE %s (id INTEGER PRIMARY KEY, name TEXT, price REAL, "
	      "flag BOOLEAN, data BLOB, created TIMESTAMP)", table);
	execf(to, "INSERT INTO %s (id) VALUES (1)", table);
	ck_assert_int_eq(dal_copy_run(from, to, NULL, &res, &err), DAL_ECONSTRAINT);
	ck_assert_msg(tu_contains(err.message, "already has 1 rows"), "%s", err.message);
	ck_assert_int_eq(count(to, "SELECT COUNT(*) FROM %s", table), 1);
	dal_repo_close(from);
	dal_repo_close(to);
	free(from_url);
	free(to_url);
}
END_TEST

START_TEST(test_copy_bad_arguments)
{
	char *from_url = sqlite_url("a.db"), *to_url = sqlite_url("b.db");
	dal_repo *from = open_url(from_url), *to = open_url(to_url);
	const char *missing[] = { "no_such_table", NULL };
	dal_copy_options opt = { .tables = missing };
	dal_error err;
	struct run r;

	ck_assert_int_eq(dal_copy_run(from, from, NULL, NULL, &err), DAL_EMISUSE);
	ck_assert_msg(tu_contains(err.message, "same repository"), "%s", err.message);
	ck_assert_int_eq(dal_copy_run(from, to, &opt, NULL, &err), DAL_ENOTFOUND);
	ck_assert_msg(tu_contains(err.message, "no_such_table"), "%s", err.message);
	opt.tables = NULL;
	opt.batch_rows = DAL_COPY_MAX_BATCH + 1;
	ck_assert_int_eq(dal_copy_run(from, to, &opt, NULL, &err), DAL_EMISUSE);

	{
		const char *a1[] = { "copy", "--from", from_url, NULL };
		const char *a2[] = { "copy", "--from", from_url, "--to", to_url, "--batch", "0", NULL };
		const char *a3[] = { "copy", "--from", from_url, "--to", from_url, NULL };
		const char *a4[] = { "copy", "--from", from_url, "--to", to_url, "--bogus", NULL };
		const char *a5[] = { "ping", "copy", "--from", from_url, "--to", to_url, NULL };

		run_dal(&r, a1);
		tu_assert_run(&r, 2);
		tu_assert_has(r.err, "--to NAME is required");
		run_dal(&r, a2);
		tu_assert_run(&r, 2);
		tu_assert_has(r.err, "--batch '0'");
		run_dal(&r, a3);
		tu_assert_run(&r, 2);
		tu_assert_has(r.err, "same repository");
		run_dal(&r, a4);
		tu_assert_run(&r, 2);
		tu_assert_has(r.err, "unknown argument '--bogus'");
		run_dal(&r, a5);
		tu_assert_run(&r, 2);
		tu_assert_has(r.err, "copy must be the only command");
	}
	dal_repo_close(from);
	dal_repo_close(to);
	free(from_url);
	free(to_url);
}
END_TEST

/* --backup backs the SQLite source up before copying. */
START_TEST(test_copy_backs_up_source_first)
{
	char *from_url = sqlite_url("a.db"), *to_url = sqlite_url("b.db"), *bak;
	dal_repo *from = open_url(from_url), *b;
	struct run r;

	ck_assert_int_gt(asprintf(&bak, "%s/a.bak", tu_tmpdir), 0);
	create_source(from, "sqlite");
	{
		const char *args[] = { "copy", "--from", from_url, "--to", to_url, "--backup", bak,
		                       NULL };
		run_dal(&r, args);
	}
	tu_assert_run(&r, 0);
	{
		char *u;

		ck_assert_int_gt(asprintf(&u, "sqlite:///%s", bak), 0);
		b = open_url(u);
		free(u);
	}
	check_rows(b);
	dal_repo_close(b);
	dal_repo_close(from);
	free(bak);
	free(from_url);
	free(to_url);
}
END_TEST

/* --from and --to name repositories of the configuration file (paths
 * relative to it). */
START_TEST(test_cli_copy_between_configured_repositories)
{
	char *ini = tu_write_file(tu_tmpdir, "dal.ini", "[a]\ntype = sqlite\npath = a.db\n\n"
	                          "[b]\ntype = sqlite\npath = b.db\n");
	char *a_url = sqlite_url("a.db"), *b_url = sqlite_url("b.db");
	dal_repo *a = open_url(a_url), *b;
	const char *args[] = { "-c", ini, "copy", "--from", "a", "--to", "b", NULL };
	const char *bad[] = { "-c", ini, "copy", "--from", "a", "--to", "nosuch", NULL };
	struct run r;

	create_source(a, "sqlite");
	run_dal(&r, args);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "copy complete: 1 tables (1 created, 0 copied before), 5 rows copied");
	b = open_url(b_url);
	check_rows(b);
	run_dal(&r, bad);
	tu_assert_run(&r, 1);
	tu_assert_has(r.err, "nosuch");
	dal_repo_close(a);
	dal_repo_close(b);
	free(ini);
	free(a_url);
	free(b_url);
}
END_TEST

/* --backup needs a backend with online backup: a server source refuses it
 * before anything is copied. */
START_TEST(test_copy_backup_of_server_source_refused)
{
	const char *url = server_url("DAL_TEST_PGSQL_URL");
	char *to_url = sqlite_url("b.db"), *bak = NULL;
	dal_repo *from, *to;
	const char *tables[] = { table, NULL };
	dal_copy_options opt = { .tables = tables };
	dal_error err;

	if (url) {
		ck_assert_int_gt(asprintf(&bak, "%s/pg.bak", tu_tmpdir), 0);
		opt.backup_path = bak;
		from = open_url(url);
		to = open_url(to_url);
		cleanup(from);
		create_source(from, "pgsql");
		ck_assert_int_eq(dal_copy_run(from, to, &opt, NULL, &err), DAL_EUNSUPPORTED);
		ck_assert_msg(tu_contains(err.message, "pg_dump"), "%s", err.message);
		ck_assert_int_eq(count(to, "SELECT COUNT(*) FROM sqlite_master WHERE name = '%s'",
		                       table), 0);
		ck_assert_int_eq(access(bak, F_OK), -1);
		cleanup(from);
		dal_repo_close(from);
		dal_repo_close(to);
	}
	free(bak);
	free(to_url);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("copy");
	TCase *tc = tcase_create("copy");

	tcase_add_checked_fixture(tc, setup, tu_tmpdir_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_copy_sqlite_to_mariadb);
	tcase_add_test(tc, test_copy_sqlite_to_postgresql);
	tcase_add_test(tc, test_copy_postgresql_to_sqlite);
	tcase_add_test(tc, test_copy_mariadb_to_postgresql);
	tcase_add_test(tc, test_copy_sqlite_to_sqlite_all_tables);
	tcase_add_test(tc, test_copy_verification_catches_corrupted_row);
	tcase_add_test(tc, test_copy_killed_then_resumed_sqlite);
	tcase_add_test(tc, test_copy_killed_then_resumed_postgresql);
	tcase_add_test(tc, test_copy_killed_then_resumed_mariadb);
	tcase_add_test(tc, test_copy_large_values_fit_the_packet_limit);
	tcase_add_test(tc, test_copy_resumes_by_composite_text_key);
	tcase_add_test(tc, test_copy_refuses_target_with_foreign_rows);
	tcase_add_test(tc, test_copy_bad_arguments);
	tcase_add_test(tc, test_copy_backs_up_source_first);
	tcase_add_test(tc, test_copy_backup_of_server_source_refused);
	tcase_add_test(tc, test_cli_copy_between_configured_repositories);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
