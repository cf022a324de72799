/*
 * The copy layer's type mapping (docs/copy.md, "Types") for the classes
 * the main copy tests do not carry -- decimal with and without precision,
 * date, timestamp with time zone, VARCHAR(n) as a column and as a key,
 * SQLite's other declared types -- between every pair of backends that is
 * configured: the target's column types are the documented ones and every
 * value reads back the same. Servers come from DAL_TEST_MYSQL_URL and
 * DAL_TEST_PGSQL_URL; a pair whose server is not set is skipped with a
 * line saying so. And copies interrupted and resumed (SQLite to SQLite):
 * by a key of a double and a blob, without a key, with the target changed
 * in between; arguments refused.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <dal/copy.h>
#include <dal/dal.h>

#include "testutil.h"

enum kind { K_SQLITE, K_MYSQL, K_PGSQL };
static const char *const kind_names[] = {"sqlite", "mysql", "pgsql"};

static char table[64];

/* tu_tmpdir_setup(), and a table name of its own for each case. */
static void setup(void)
{
	static int n;

	tu_tmpdir_setup();
	snprintf(table, sizeof table, "cov_cp_%ld_%d", (long)getpid(), ++n);
}

/* The repository of kind k (name: the SQLite file), or NULL when its
 * server is not configured. */
static dal_repo *open_kind(enum kind k, const char *name)
{
	char url[4200];
	const char *env = NULL;
	dal_repo *r;
	dal_error err;

	if (k == K_SQLITE) {
		snprintf(url, sizeof url, "sqlite:///%s/%s", tu_tmpdir, name);
	} else {
		env = getenv(k == K_MYSQL ? "DAL_TEST_MYSQL_URL" : "DAL_TEST_PGSQL_URL");
		if (!env || !*env) {
			printf("SKIP: %s: its DAL_TEST_*_URL is not set\n", kind_names[k]);
			return NULL;
		}
		snprintf(url, sizeof url, "%s", env);
	}
	ck_assert_msg(dal_repo_open_url(&r, url, &err) == DAL_OK, "%s", err.message);
	return r;
}

static void execf(dal_repo *r, const char *fmt)
{
	char sql[1024];

	snprintf(sql, sizeof sql, fmt, table);
	tu_repo_exec(r, sql);
}

static void cleanup(dal_repo *r)
{
	char sql[256];

	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
	dal_repo_exec(r, sql, NULL, NULL);
	snprintf(sql, sizeof sql, "DELETE FROM dal_copy_state WHERE table_name = '%s'", table);
	dal_repo_exec(r, sql, NULL, NULL);
}

/* The source: key k VARCHAR(40), d DATE, n NUMERIC(10,2), m NUMERIC
 * without precision, v VARCHAR(20), and z a timestamp with time zone
 * (PostgreSQL) or a type SQLite gives NUMERIC affinity (SQLite); two rows,
 * one with NULLs. */
static void create_source(dal_repo *r, enum kind k)
{
	static const char *const ddl[] = {
		"CREATE TABLE %s (k VARCHAR(40) PRIMARY KEY, d DATE, n NUMERIC(10,2), m DECIMAL, "
		"v VARCHAR(20), z MONEYISH)",
		"CREATE TABLE %s (k VARCHAR(40) PRIMARY KEY, d DATE, n DECIMAL(10,2), m DECIMAL(30,4), "
		"v VARCHAR(20), z VARCHAR(40)) DEFAULT CHARSET=utf8mb4",
		"CREATE TABLE %s (k VARCHAR(40) PRIMARY KEY, d DATE, n NUMERIC(10,2), m NUMERIC, "
		"v VARCHAR(20), z TIMESTAMP WITH TIME ZONE)",
	};
	static const char *const zval[] = {"7", "'2024-02-29 13:14:15+00'",
	                                   "'2024-02-29 13:14:15+00'"};
	char sql[512];

	cleanup(r);
	execf(r, ddl[k]);
	if (k == K_PGSQL)
		tu_repo_exec(r, "SET TIME ZONE 'UTC'");
	snprintf(sql, sizeof sql, "INSERT INTO %s (k, d, n, m, v, z) VALUES "
	         "('a', '2024-02-29', 12345678.91, 42.5, 'hello', %s), "
	         "('b', NULL, NULL, NULL, NULL, NULL)", table, zval[k]);
	tu_repo_exec(r, sql);
}

static void expect_text(dal_stmt *st, unsigned col, const char *want)
{
	const char *got = dal_stmt_column_text(st, col, NULL);

	ck_assert_msg(got && strcmp(got, want) == 0, "column %u: '%s', expected '%s'", col,
	              got ? got : "(null)", want);
}

/* The target's values, read back as text. */
static void check_values(dal_repo *to, enum kind src, enum kind dst)
{
	dal_conn *c;
	dal_stmt *st;
	dal_error err;
	char sql[256];
	const char *m;

	ck_assert_int_eq(dal_conn_acquire(to, &c, &err), DAL_OK);
	snprintf(sql, sizeof sql, "SELECT k, d, n, m, v, z FROM %s ORDER BY k", table);
	ck_assert_msg(dal_stmt_prepare(c, sql, &st) == DAL_OK, "%s", dal_conn_error(c)->message);
	ck_assert_int_eq(dal_stmt_step(st), DAL_ROW);
	expect_text(st, 0, "a");
	expect_text(st, 1, "2024-02-29");
	expect_text(st, 2, "12345678.91");
	m = dal_stmt_column_text(st, 3, NULL);
	ck_assert_msg(m && strtod(m, NULL) == 42.5, "m: '%s'", m ? m : "(null)");
	expect_text(st, 4, "hello");
	if (src == K_SQLITE)
		ck_assert_int_eq(strtol(dal_stmt_column_text(st, 5, NULL), NULL, 10), 7);
	else /* PostgreSQL: text as the source printed it, its offset included */
		expect_text(st, 5, "2024-02-29 13:14:15+00");
	ck_assert_int_eq(dal_stmt_step(st), DAL_ROW);
	expect_text(st, 0, "b");
	for (unsigned col = 1; col < 6; col++)
		ck_assert_msg(dal_stmt_column_is_null(st, col), "column %u not NULL", col);
	ck_assert_int_eq(dal_stmt_step(st), DAL_DONE);
	dal_stmt_close(st);
	dal_conn_release(c);
}

/* The declared type of column col of the target table, upper-cased into
 * out: SQLite's declaration, or the servers' COLUMN_TYPE / data type with
 * precision. */
static void column_type(dal_repo *to, enum kind dst, const char *col, char *out, size_t size)
{
	dal_conn *c;
	dal_stmt *st;
	dal_error err;
	char sql[512];

	ck_assert_int_eq(dal_conn_acquire(to, &c, &err), DAL_OK);
	if (dst == K_SQLITE)
		snprintf(sql, sizeof sql, "SELECT type FROM pragma_table_info('%s') WHERE name = '%s'",
		         table, col);
	else if (dst == K_MYSQL)
		snprintf(sql, sizeof sql, "SELECT COLUMN_TYPE FROM information_schema.columns "
		         "WHERE table_schema = DATABASE() AND table_name = '%s' AND column_name = '%s'",
		         table, col);
	else
		snprintf(sql, sizeof sql, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
		         "WHERE attrelid = '%s'::regclass AND attname = '%s'", table, col);
	ck_assert_msg(dal_stmt_prepare(c, sql, &st) == DAL_OK, "%s", dal_conn_error(c)->message);
	ck_assert_msg(dal_stmt_step(st) == DAL_ROW, "no column %s: %s", col,
	              dal_stmt_error(st)->message);
	snprintf(out, size, "%s", dal_stmt_column_text(st, 0, NULL));
	for (char *p = out; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	dal_stmt_close(st);
	dal_conn_release(c);
}

static void expect_type(dal_repo *to, enum kind dst, const char *col, const char *want)
{
	char got[128];

	column_type(to, dst, col, got, sizeof got);
	ck_assert_msg(strcmp(got, want) == 0, "%s -> %s: column %s is %s, expected %s",
	              "source", kind_names[dst], col, got, want);
}

/* The documented target types (docs/copy.md) of the columns. */
static void check_types(dal_repo *to, enum kind src, enum kind dst)
{
	static const char *const date[] = {"DATE", "DATE", "DATE"};
	static const char *const n[] = {"NUMERIC(10,2)", "DECIMAL(10,2)", "NUMERIC(10,2)"};
	static const char *const key[] = {"VARCHAR(40)", "VARCHAR(40)", "CHARACTER VARYING(40)"};
	static const char *const v[] = {"VARCHAR(20)", "VARCHAR(20)", "CHARACTER VARYING(20)"};

	expect_type(to, dst, "k", key[dst]);
	expect_type(to, dst, "d", date[dst]);
	expect_type(to, dst, "n", n[dst]);
	expect_type(to, dst, "v", v[dst]);
	if (src == K_SQLITE) /* DECIMAL without precision */
		expect_type(to, dst, "m", dst == K_MYSQL ? "DECIMAL(65,30)" : "NUMERIC");
	if (src == K_PGSQL) /* timestamp with time zone */
		expect_type(to, dst, "z", dst == K_MYSQL ? "LONGTEXT" : "TEXT");
}

static void copy_pair(enum kind src, enum kind dst)
{
	dal_repo *from = open_kind(src, "src.db"), *to;
	const char *tables[] = {table, NULL};
	dal_copy_options opt = {.tables = tables};
	dal_copy_result res;
	dal_error err;

	if (!from)
		return;
	if (!(to = open_kind(dst, "dst.db"))) {
		dal_repo_close(from);
		return;
	}
	cleanup(to);
	create_source(from, src);
	ck_assert_msg(dal_copy_run(from, to, &opt, &res, &err) == DAL_OK, "%s -> %s: %s",
	              kind_names[src], kind_names[dst], err.message);
	ck_assert_uint_eq(res.tables_created, 1);
	ck_assert_int_eq(res.rows_copied, 2);
	ck_assert_uint_eq(res.mismatches, 0);
	check_types(to, src, dst);
	check_values(to, src, dst);
	cleanup(to);
	if (src != K_SQLITE)
		cleanup(from);
	dal_repo_close(from);
	dal_repo_close(to);
}

START_TEST(test_copy_types_sqlite_to_mysql) { copy_pair(K_SQLITE, K_MYSQL); }
END_TEST
START_TEST(test_copy_types_sqlite_to_pgsql) { copy_pair(K_SQLITE, K_PGSQL); }
END_TEST
START_TEST(test_copy_types_pgsql_to_sqlite) { copy_pair(K_PGSQL, K_SQLITE); }
END_TEST
START_TEST(test_copy_types_pgsql_to_mysql) { copy_pair(K_PGSQL, K_MYSQL); }
END_TEST
START_TEST(test_copy_types_mysql_to_pgsql) { copy_pair(K_MYSQL, K_PGSQL); }
END_TEST
START_TEST(test_copy_types_mysql_to_sqlite) { copy_pair(K_MYSQL, K_SQLITE); }
END_TEST

/* ---- interrupted copies, resumed ----------------------------------- */

/* The integer sql (fmt with %s: the case's table) returns. */
static int64_t count(dal_repo *r, const char *fmt)
{
	char sql[512];

	snprintf(sql, sizeof sql, fmt, table);
	return tu_repo_int64(r, sql);
}

/*
 * A copy of 1,000 rows (SQLite to SQLite, 100 per batch) stopped by the
 * target's CHECK at row 617, after 600 committed rows; the source row is
 * then fixed. keyed: the key is (d REAL, x BLOB), else no primary key.
 */
static void interrupted_copy(dal_repo *from, dal_repo *to, int keyed, dal_copy_options *opt)
{
	dal_copy_result res;
	dal_error err;

	if (keyed) {
		execf(from, "CREATE TABLE %s (d REAL NOT NULL, x BLOB NOT NULL, v TEXT, "
		            "PRIMARY KEY (d, x))");
		execf(to, "CREATE TABLE %s (d REAL NOT NULL, x BLOB NOT NULL, "
		          "v TEXT CHECK (v <> 'bad'), PRIMARY KEY (d, x))");
	} else {
		execf(from, "CREATE TABLE %s (d REAL, x BLOB, v TEXT)");
		execf(to, "CREATE TABLE %s (d REAL, x BLOB, v TEXT CHECK (v <> 'bad'))");
	}
	/* d: 0.25 steps, so every key is a double with a fraction; x: the
	 * row's number as bytes. */
	execf(from, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	            "WHERE i < 1000) INSERT INTO %s SELECT i / 4.0, "
	            "CAST(printf('k%%04d', i) AS BLOB), CASE i WHEN 617 THEN 'bad' ELSE 'ok' END FROM n");
	ck_assert_int_ne(dal_copy_run(from, to, opt, &res, &err), DAL_OK);
	ck_assert_int_eq(res.rows_copied, 600);
	ck_assert_int_eq(count(to, "SELECT COUNT(*) FROM %s"), 600);
	execf(from, "UPDATE %s SET v = 'ok' WHERE v = 'bad'");
	opt->resume = 1;
}

/* Two SQLite repositories with the copy of table interrupted
 * (interrupted_copy()), and the options to resume it. */
struct resumed {
	dal_repo *from, *to;
	const char *tables[2];
	dal_copy_options opt;
	dal_copy_result res;
	dal_error err;
};

static void resumed_start(struct resumed *x, int keyed)
{
	memset(x, 0, sizeof *x);
	x->from = open_kind(K_SQLITE, "src.db");
	x->to = open_kind(K_SQLITE, "dst.db");
	x->tables[0] = table;
	x->opt.tables = x->tables;
	x->opt.batch_rows = 100;
	interrupted_copy(x->from, x->to, keyed, &x->opt);
}

/* The copy run again succeeds, copying rows rows, none mismatched. */
static void resumed_run_ok(struct resumed *x, int64_t rows)
{
	ck_assert_msg(dal_copy_run(x->from, x->to, &x->opt, &x->res, &x->err) == DAL_OK, "%s",
	              x->err.message);
	ck_assert_int_eq(x->res.rows_copied, rows);
	ck_assert_uint_eq(x->res.mismatches, 0);
}

static void resumed_end(struct resumed *x)
{
	dal_repo_close(x->from);
	dal_repo_close(x->to);
}

/* Resumed by a key of a double and a blob: the rest, each row once. */
START_TEST(test_copy_resumes_by_double_and_blob_key)
{
	struct resumed x;

	resumed_start(&x, 1);
	resumed_run_ok(&x, 400);
	ck_assert_int_eq(count(x.to, "SELECT COUNT(DISTINCT x) FROM %s"), 1000);
	ck_assert_int_eq(count(x.to, "SELECT SUM(d * 4) FROM %s"), 500500);
	resumed_end(&x);
}
END_TEST

/* Without a primary key there is no place to resume from: the rows of the
 * interrupted run are deleted and the table copied again, each row once. */
START_TEST(test_copy_resume_without_key_starts_the_table_over)
{
	struct resumed x;

	resumed_start(&x, 0);
	resumed_run_ok(&x, 1000);
	ck_assert_int_eq(count(x.to, "SELECT COUNT(DISTINCT x) FROM %s"), 1000);
	ck_assert_int_eq(count(x.to, "SELECT COUNT(*) FROM %s"), 1000);
	resumed_end(&x);
}
END_TEST

/* Resuming by key needs the target to hold exactly the committed rows:
 * with rows deleted behind the copy's back it refuses, naming both counts;
 * with the table dropped it creates it again and starts over. */
START_TEST(test_copy_resume_checks_the_target)
{
	struct resumed x;

	resumed_start(&x, 1);
	execf(x.to, "DELETE FROM %s WHERE d < 10");
	ck_assert_int_eq(dal_copy_run(x.from, x.to, &x.opt, &x.res, &x.err), DAL_ECONSTRAINT);
	tu_assert_has(x.err.message, "has 561 rows but dal_copy_state records 600 committed");
	tu_assert_has(x.err.message, "refusing to resume");

	execf(x.to, "DROP TABLE %s");
	resumed_run_ok(&x, 1000);
	ck_assert_uint_eq(x.res.tables_created, 1);
	resumed_end(&x);
}
END_TEST

/* Names in tables are checked before any table is copied: a table the
 * source lacks is DAL_ENOTFOUND, the copy's own state table and an empty
 * name are DAL_EMISUSE, each named; dal_copy_checksum() refuses NULL
 * arguments. */
START_TEST(test_copy_refuses_unknown_table_and_null_arguments)
{
	dal_repo *from = open_kind(K_SQLITE, "src.db"), *to = open_kind(K_SQLITE, "dst.db");
	const char *tables[] = {"dal_cov_no_such_table", NULL};
	const char *state[] = {"present", DAL_COPY_STATE_TABLE, NULL}, *empty[] = {"", NULL};
	dal_copy_options opt = {.tables = tables};
	dal_copy_result res;
	dal_error err;
	int64_t rows;
	uint64_t sum;
	int rc;

	tu_repo_exec(from, "CREATE TABLE present (x INTEGER)");
	rc = dal_copy_run(from, to, &opt, &res, &err);
	ck_assert_msg(rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc), err.message);
	tu_assert_has(err.message, "no table 'dal_cov_no_such_table' in main");
	opt.tables = state;
	ck_assert_int_eq(dal_copy_run(from, to, &opt, &res, &err), DAL_EMISUSE);
	tu_assert_has(err.message, "'dal_copy_state' is not a table to copy");
	opt.tables = empty;
	ck_assert_int_eq(dal_copy_run(from, to, &opt, &res, &err), DAL_EMISUSE);
	tu_assert_has(err.message, "'' is not a table to copy");
	ck_assert_int_eq(count(to, "SELECT COUNT(*) FROM sqlite_master WHERE name IN "
	                           "('%s', 'present', 'dal_cov_no_such_table')"), 0);
	ck_assert_int_eq(dal_copy_checksum(from, NULL, &rows, &sum, &err), DAL_EMISUSE);
	tu_assert_has(err.message, "NULL argument");
	dal_repo_close(from);
	dal_repo_close(to);
}
END_TEST

/* ---- checksums that must agree across backends ---------------------- */

/*
 * A SQLite table whose name holds a double quote, with a signed and a zero
 * decimal, ISO timestamps with a 'T' and trailing zeros, and -0.0: copied
 * to a server, each side prints the values its own way ("-2.500" against
 * -2.5, "03:04:05.5" against "T03:04:05.500000"), and the verification
 * still finds both sides equal.
 */
static void normalized_copy(enum kind dst)
{
	static const char name[] = "cov \"q\" t";
	dal_repo *from = open_kind(K_SQLITE, "src.db"), *to = open_kind(dst, "dst.db");
	const char *tables[] = {name, NULL};
	dal_copy_options opt = {.tables = tables};
	dal_copy_result res;
	dal_error err;
	char sql[256];

	if (!to) {
		dal_repo_close(from);
		return;
	}
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", dst == K_MYSQL ? "`cov \"q\" t`"
	                                                                      : "\"cov \"\"q\"\" t\"");
	dal_repo_exec(to, sql, NULL, NULL);
	dal_repo_exec(to, "DELETE FROM dal_copy_state WHERE table_name = 'cov \"q\" t'", NULL, NULL);
	tu_repo_exec(from, "CREATE TABLE \"cov \"\"q\"\" t\" (k INTEGER PRIMARY KEY, "
	                   "n DECIMAL(10,3), t TIMESTAMP, f REAL)");
	tu_repo_exec(from, "INSERT INTO \"cov \"\"q\"\" t\" VALUES "
	                   "(1, -2.5, '2024-01-02T03:04:05.500000', -0.0), "
	                   "(2, 0, '2024-01-02 03:04:05', 0.0), (3, 7.25, NULL, NULL)");
	ck_assert_msg(dal_copy_run(from, to, &opt, &res, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(res.rows_copied, 3);
	ck_assert_uint_eq(res.mismatches, 0);
	dal_repo_exec(to, sql, NULL, NULL);
	dal_repo_exec(to, "DELETE FROM dal_copy_state WHERE table_name = 'cov \"q\" t'", NULL, NULL);
	dal_repo_close(from);
	dal_repo_close(to);
}

START_TEST(test_copy_checksums_agree_sqlite_to_pgsql) { normalized_copy(K_PGSQL); }
END_TEST
START_TEST(test_copy_checksums_agree_sqlite_to_mysql) { normalized_copy(K_MYSQL); }
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_copy");
	TCase *tc = tcase_create("types");

	tcase_add_checked_fixture(tc, setup, tu_tmpdir_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_copy_types_sqlite_to_mysql);
	tcase_add_test(tc, test_copy_types_sqlite_to_pgsql);
	tcase_add_test(tc, test_copy_types_pgsql_to_sqlite);
	tcase_add_test(tc, test_copy_types_pgsql_to_mysql);
	tcase_add_test(tc, test_copy_types_mysql_to_pgsql);
	tcase_add_test(tc, test_copy_types_mysql_to_sqlite);
	tcase_add_test(tc, test_copy_resumes_by_double_and_blob_key);
	tcase_add_test(tc, test_copy_resume_without_key_starts_the_table_over);
	tcase_add_test(tc, test_copy_resume_checks_the_target);
	tcase_add_test(tc, test_copy_refuses_unknown_table_and_null_arguments);
	tcase_add_test(tc, test_copy_checksums_agree_sqlite_to_pgsql);
	tcase_add_test(tc, test_copy_checksums_agree_sqlite_to_mysql);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
