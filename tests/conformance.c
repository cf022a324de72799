/*
 * The backend conformance suite: what every libdal backend must do the same
 * way, tested through the public API (dal.h) only.
 *
 * It runs against the database named by $DAL_TEST_URL (set by
 * conformance-<backend>.sh) and passes unchanged on SQLite, MySQL/MariaDB and
 * PostgreSQL. SQL is portable; where the dialects differ (blob and
 * auto-increment column types, identifier quotes) struct dialect holds the
 * per-backend spelling, chosen from dal_repo_backend(). Tests of behaviour
 * that exists on one kind of backend only (server connection errors, SQLite
 * options) say so and return early elsewhere.
 *
 * Every test creates its own uniquely named tables and drops them.
 */
#define _GNU_SOURCE
#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"

enum kind { K_SQLITE, K_MYSQL, K_PGSQL };

struct dialect {
	enum kind kind;
	const char *backend;  /* dal_repo_backend() */
	const char *blob;     /* a column type for up to a few MiB of bytes */
	const char *serial;   /* an auto-increment BIGINT primary key */
	char q;               /* identifier quote */
	int memory;           /* sqlite::memory: (each open is a new database) */
};

static const char *url;  /* $DAL_TEST_URL */
static struct dialect dl; /* filled in main() before the tests run */

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static dal_repo *open_url(const char *u)
{
	dal_repo *r = NULL;
	dal_error err;
	int rc = dal_repo_open(&r, NULL, NULL, u, &err);

	/* The URL itself is not printed: it may hold a password. */
	ck_assert_msg(rc == DAL_OK, "dal_repo_open: %s: %s", dal_code_name(rc), err.message);
	ck_assert_ptr_nonnull(r);
	return r;
}

static dal_repo *open_repo(void)
{
	return open_url(url);
}

#define CK_REPO(r, call)                                                          \
	do {                                                                          \
		int rc_ = (call);                                                     \
		ck_assert_msg(rc_ == DAL_OK, "%s -> %s: %s", #call, dal_code_name(rc_), \
		              dal_repo_error(r)->message);                            \
	} while (0)

#define CK_STMT(s, call)                                                          \
	do {                                                                          \
		int rc_ = (call);                                                     \
		ck_assert_msg(rc_ == DAL_OK, "%s -> %s: %s", #call, dal_code_name(rc_), \
		              dal_stmt_error(s)->message);                            \
	} while (0)

#define CK_STEP(s, want)                                                          \
	do {                                                                          \
		int rc_ = dal_stmt_step(s);                                           \
		ck_assert_msg(rc_ == (want), "step -> %s, wanted %s: %s",             \
		              dal_code_name(rc_), dal_code_name(want),                \
		              dal_stmt_error(s)->message);                            \
	} while (0)

/* Format SQL into one of a few static buffers (tests are single-threaded);
 * the rotation lets one sqlf() result be an argument of the next. */
static const char *sqlf(const char *fmt, ...)
{
	static char bufs[4][4096];
	static unsigned next;
	char *buf = bufs[next++ % 4];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof bufs[0], fmt, ap);
	va_end(ap);
	ck_assert_int_lt(n, (int)sizeof bufs[0]);
	return buf;
}

static void exec_ok(dal_repo *r, const char *sql)
{
	int rc = dal_repo_exec(r, sql, NULL);

	ck_assert_msg(rc == DAL_OK, "exec \"%s\" -> %s: %s", sql, dal_code_name(rc),
	              dal_repo_error(r)->message);
}

static dal_stmt *prep(dal_repo *r, const char *sql)
{
	dal_stmt *s = NULL;
	int rc = dal_stmt_prepare(r, sql, &s);

	ck_assert_msg(rc == DAL_OK, "prepare \"%s\" -> %s: %s", sql, dal_code_name(rc),
	              dal_repo_error(r)->message);
	return s;
}

/* A table name no other test or concurrent run uses. */
static const char *table_name(char *buf, size_t size, const char *tag)
{
	static unsigned seq;

	snprintf(buf, size, "dalconf_%s_%ld_%u", tag, (long)getpid(), ++seq);
	return buf;
}

/* Create table `name` with the given column list. */
static void create_table(dal_repo *r, const char *name, const char *cols)
{
	exec_ok(r, sqlf("CREATE TABLE %s (%s)", name, cols));
}

static void drop_table(dal_repo *r, const char *name)
{
	exec_ok(r, sqlf("DROP TABLE %s", name));
}

/* Run a one-row, one-column query and return its integer. */
static int64_t query_int(dal_repo *r, const char *sql)
{
	dal_stmt *s = prep(r, sql);
	int64_t v;

	CK_STEP(s, DAL_ROW);
	v = dal_stmt_column_int64(s, 0);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	return v;
}

/*
 * Prepare and run sql, expecting a failure: a backend may report it at
 * prepare (SQLite, MySQL) or at the first step (a server that defers the
 * round trip). Copies the error into *err and returns its code.
 */
static int expect_failure(dal_repo *r, const char *sql, dal_error *err)
{
	dal_stmt *s = NULL;
	int rc = dal_stmt_prepare(r, sql, &s);

	if (rc != DAL_OK) {
		ck_assert_ptr_null(s);
		*err = *dal_repo_error(r);
		ck_assert_int_eq(err->code, rc);
		return rc;
	}
	rc = dal_stmt_step(s);
	ck_assert_msg(rc < 0, "\"%s\" succeeded (%s), expected an error", sql,
	              dal_code_name(rc));
	*err = *dal_stmt_error(s);
	ck_assert_int_eq(err->code, rc);
	dal_stmt_close(s);
	return rc;
}

static double elapsed_s(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

START_TEST(test_open_ping_close)
{
	dal_repo *r = open_repo();
	int64_t ns = -1;

	ck_assert_str_eq(dal_repo_backend(r), dl.backend);
	ck_assert_ptr_nonnull(dal_repo_server_kind(r));
	ck_assert_ptr_nonnull(dal_repo_name(r));
	ck_assert_uint_ne(dal_repo_capabilities(r) & DAL_CAP_TRANSACTIONS, 0);
	CK_REPO(r, dal_repo_ping(r, &ns));
	ck_assert_int_ge(ns, 0);
	ck_assert_int_lt(ns, 5 * (int64_t)1000000000);
	CK_REPO(r, dal_repo_ping(r, NULL));
	ck_assert_int_eq(dal_repo_error(r)->code, DAL_OK);
	dal_repo_close(r);
	dal_repo_close(NULL);
}
END_TEST

START_TEST(test_two_repositories_are_independent)
{
	dal_repo *a = open_repo(), *b = open_repo();
	char t[64];
	dal_stmt *s;

	/* An in-memory SQLite database is private to its connection. */
	if (dl.memory) {
		dal_repo_close(a);
		dal_repo_close(b);
		return;
	}
	table_name(t, sizeof t, "two");
	create_table(a, t, "n BIGINT");
	exec_ok(a, sqlf("INSERT INTO %s (n) VALUES (41)", t));
	/* b sees a's committed row; a failure on b leaves a untouched. */
	ck_assert_int_eq(query_int(b, sqlf("SELECT n FROM %s", t)), 41);
	ck_assert_int_lt(dal_stmt_prepare(b, "SELEC nothing", &s), 0);
	ck_assert_int_eq(dal_repo_error(a)->code, DAL_OK);
	drop_table(a, t);
	dal_repo_close(a);
	dal_repo_close(b);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* exec                                                                      */
/* ------------------------------------------------------------------------ */

START_TEST(test_exec_ddl_and_affected)
{
	dal_repo *r = open_repo();
	char t[64];
	int64_t n = -1;

	table_name(t, sizeof t, "exec");
	create_table(r, t, "n BIGINT, s VARCHAR(20)");
	CK_REPO(r, dal_repo_exec(r, sqlf("INSERT INTO %s (n, s) VALUES (1, 'a'), (2, 'b'), (3, 'c')", t), &n));
	ck_assert_int_eq(n, 3);
	CK_REPO(r, dal_repo_exec(r, sqlf("UPDATE %s SET s = 'x' WHERE n >= 2", t), &n));
	ck_assert_int_eq(n, 2);
	CK_REPO(r, dal_repo_exec(r, sqlf("DELETE FROM %s WHERE n = 99", t), &n));
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s WHERE s = 'x'", t)), 2);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_exec_multi_statement)
{
	dal_repo *r = open_repo();
	char t[64];

	if (!(dal_repo_capabilities(r) & DAL_CAP_MULTI_STATEMENT)) {
		dal_repo_close(r);
		return;
	}
	table_name(t, sizeof t, "multi");
	create_table(r, t, "n BIGINT");
	exec_ok(r, sqlf("INSERT INTO %s (n) VALUES (1); INSERT INTO %s (n) VALUES (2)", t, t));
	ck_assert_int_eq(query_int(r, sqlf("SELECT SUM(n) FROM %s", t)), 3);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_exec_errors_are_reported)
{
	dal_repo *r = open_repo();
	int64_t n = 7;
	int rc;

	rc = dal_repo_exec(r, "CREATE TABLOID nothing (x INT)", &n);
	ck_assert_int_eq(rc, DAL_ESYNTAX);
	ck_assert_int_eq(dal_repo_error(r)->code, DAL_ESYNTAX);
	ck_assert_str_eq(dal_repo_error(r)->sqlstate, dal_repo_error(r)->sqlstate);
	ck_assert_msg(strncmp(dal_repo_error(r)->sqlstate, "42", 2) == 0, "sqlstate %s",
	              dal_repo_error(r)->sqlstate);
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "TABLOID"),
	              "message does not point at the error: %s", dal_repo_error(r)->message);
	ck_assert_int_eq(n, 0);
	/* The repository stays usable and the error is cleared by success. */
	CK_REPO(r, dal_repo_ping(r, NULL));
	ck_assert_int_eq(dal_repo_error(r)->code, DAL_OK);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Placeholders                                                              */
/* ------------------------------------------------------------------------ */

START_TEST(test_placeholders_named_and_positional)
{
	dal_repo *r = open_repo();
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "ph");
	create_table(r, t, "a BIGINT, b VARCHAR(50), c BIGINT");
	s = prep(r, sqlf("INSERT INTO %s (a, b, c) VALUES (:x, ?, :x)", t));
	/* :x used twice is one parameter. */
	ck_assert_uint_eq(dal_stmt_param_count(s), 2);
	ck_assert_uint_eq(dal_stmt_param_index(s, ":x"), 1);
	ck_assert_uint_eq(dal_stmt_param_index(s, "x"), 1);
	ck_assert_uint_eq(dal_stmt_param_index(s, "y"), 0);
	CK_STMT(s, dal_stmt_bind_named_int64(s, "x", 7));
	CK_STMT(s, dal_stmt_bind_text(s, 2, "seven", -1));
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 1);
	/* The named binding is by name, the positional one by index 2. */
	CK_STMT(s, dal_stmt_bind_named_int64(s, ":x", 8));
	CK_STMT(s, dal_stmt_bind_text(s, 2, "eight and more", 5));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	s = prep(r, sqlf("SELECT a, b, c FROM %s WHERE a = :v OR c = :v ORDER BY a", t));
	ck_assert_uint_eq(dal_stmt_param_count(s), 1);
	CK_STMT(s, dal_stmt_bind_named_int64(s, "v", 8));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 8);
	ck_assert_str_eq(dal_stmt_column_text(s, 1, NULL), "eight");
	ck_assert_int_eq(dal_stmt_column_int64(s, 2), 8);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	ck_assert_int_eq(query_int(r, sqlf("SELECT SUM(c) FROM %s", t)), 15);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_placeholders_skip_literals_identifiers_comments)
{
	dal_repo *r = open_repo();
	char t[64], sql[1024];
	dal_stmt *s;
	size_t len;

	table_name(t, sizeof t, "lit");
	/* A column whose quoted name holds ? and :name. */
	create_table(r, t, sqlf("%cq?:c%c BIGINT, b VARCHAR(20)", dl.q, dl.q));
	exec_ok(r, sqlf("INSERT INTO %s (%cq?:c%c, b) VALUES (5, 'k')", t, dl.q, dl.q));
	snprintf(sql, sizeof sql,
	         "SELECT %cq?:c%c, '?', ':lit', 'it''s ?' -- ? :c1 \n"
	         "FROM %s /* ? :c2 */ WHERE b = ?",
	         dl.q, dl.q, t);
	s = prep(r, sql);
	ck_assert_uint_eq(dal_stmt_param_count(s), 1);
	ck_assert_uint_eq(dal_stmt_param_index(s, "lit"), 0);
	ck_assert_uint_eq(dal_stmt_param_index(s, "c1"), 0);
	ck_assert_uint_eq(dal_stmt_param_index(s, "c2"), 0);
	CK_STMT(s, dal_stmt_bind_text(s, 1, "k", -1));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 5);
	ck_assert_str_eq(dal_stmt_column_text(s, 1, &len), "?");
	ck_assert_uint_eq(len, 1);
	ck_assert_str_eq(dal_stmt_column_text(s, 2, NULL), ":lit");
	ck_assert_str_eq(dal_stmt_column_text(s, 3, NULL), "it's ?");
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	if (dl.kind == K_PGSQL) {
		/* :: is a cast, not a parameter named :bigint. */
		s = prep(r, sqlf("SELECT %cq?:c%c::text FROM %s WHERE b = :b", dl.q, dl.q, t));
		ck_assert_uint_eq(dal_stmt_param_count(s), 1);
		ck_assert_uint_eq(dal_stmt_param_index(s, "b"), 1);
		CK_STMT(s, dal_stmt_bind_named_text(s, "b", "k", -1));
		CK_STEP(s, DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_TEXT);
		ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "5");
		dal_stmt_close(s);
	}
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Types                                                                     */
/* ------------------------------------------------------------------------ */

START_TEST(test_type_int64_roundtrip)
{
	static const int64_t vals[] = {INT64_MIN, INT64_MAX, 0, -1, 1, 4294967296LL};
	const size_t n = sizeof vals / sizeof vals[0];
	dal_repo *r = open_repo();
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "i64");
	create_table(r, t, "k BIGINT, v BIGINT");
	s = prep(r, sqlf("INSERT INTO %s (k, v) VALUES (?, ?)", t));
	for (size_t i = 0; i <= n; i++) {
		CK_STMT(s, dal_stmt_bind_int64(s, 1, (int64_t)i));
		if (i < n)
			CK_STMT(s, dal_stmt_bind_int64(s, 2, vals[i]));
		else
			CK_STMT(s, dal_stmt_bind_null(s, 2));
		CK_STEP(s, DAL_DONE);
		CK_STMT(s, dal_stmt_reset(s));
	}
	dal_stmt_close(s);

	s = prep(r, sqlf("SELECT v FROM %s ORDER BY k", t));
	for (size_t i = 0; i < n; i++) {
		CK_STEP(s, DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_INT64);
		ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 0);
		ck_assert_int_eq(dal_stmt_column_int64(s, 0), vals[i]);
	}
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_NULL);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 0);
	ck_assert_ptr_null(dal_stmt_column_text(s, 0, NULL));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	/* Bound parameters compare exactly at the extremes. */
	s = prep(r, sqlf("SELECT k FROM %s WHERE v = ?", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, INT64_MIN));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 0);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_type_double_roundtrip)
{
	static const double vals[] = {0.0, 1e308, -1e308, 0.1, -2.5, 123456789.125,
	                              2.2250738585072014e-308, 3.141592653589793};
	const size_t n = sizeof vals / sizeof vals[0];
	dal_repo *r = open_repo();
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "dbl");
	create_table(r, t, "k BIGINT, v DOUBLE PRECISION");
	s = prep(r, sqlf("INSERT INTO %s (k, v) VALUES (?, ?)", t));
	for (size_t i = 0; i <= n; i++) {
		CK_STMT(s, dal_stmt_bind_int64(s, 1, (int64_t)i));
		if (i < n)
			CK_STMT(s, dal_stmt_bind_double(s, 2, vals[i]));
		else
			CK_STMT(s, dal_stmt_bind_null(s, 2));
		CK_STEP(s, DAL_DONE);
	}
	dal_stmt_close(s);

	s = prep(r, sqlf("SELECT v FROM %s ORDER BY k", t));
	for (size_t i = 0; i < n; i++) {
		CK_STEP(s, DAL_ROW);
		ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_DOUBLE);
		/* Exact: no decimal round trip may lose a bit. */
		ck_assert_msg(dal_stmt_column_double(s, 0) == vals[i], "row %zu: %.17g != %.17g",
		              i, dal_stmt_column_double(s, 0), vals[i]);
	}
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	ck_assert(dal_stmt_column_double(s, 0) == 0.0);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_type_text_roundtrip)
{
	const char *utf8 = "\xc5\xbelu\xc5\xa5ou\xc4\x8dk\xc3\xbd k\xc5\xaf\xc5\x88 "
	                   "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x90\x98";
	dal_repo *r = open_repo();
	char t[64], *big;
	const char *got;
	dal_stmt *s;
	size_t len;

	big = malloc(20001);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < 20000; i++)
		big[i] = (char)('a' + i % 26);
	big[20000] = '\0';

	table_name(t, sizeof t, "txt");
	create_table(r, t, "k BIGINT, v TEXT");
	s = prep(r, sqlf("INSERT INTO %s (k, v) VALUES (?, ?)", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_text(s, 2, "", 0));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 2));
	CK_STMT(s, dal_stmt_bind_text(s, 2, NULL, -1));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 3));
	CK_STMT(s, dal_stmt_bind_text(s, 2, utf8, -1));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 4));
	CK_STMT(s, dal_stmt_bind_text(s, 2, "it's \"quoted\" \\ back;slash", -1));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 5));
	CK_STMT(s, dal_stmt_bind_text(s, 2, big, 20000));
	/* The caller's buffer may change right after bind. */
	big[0] = 'Z';
	CK_STEP(s, DAL_DONE);
	big[0] = 'a';
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 6));
	CK_STMT(s, dal_stmt_bind_null(s, 2));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	s = prep(r, sqlf("SELECT v FROM %s ORDER BY k", t));
	CK_STEP(s, DAL_ROW); /* '' is not NULL */
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_TEXT);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 0);
	got = dal_stmt_column_text(s, 0, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, "");
	ck_assert_uint_eq(len, 0);
	CK_STEP(s, DAL_ROW); /* a NULL string pointer binds NULL */
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	ck_assert_ptr_null(dal_stmt_column_text(s, 0, NULL));
	CK_STEP(s, DAL_ROW);
	got = dal_stmt_column_text(s, 0, &len);
	ck_assert_str_eq(got, utf8);
	ck_assert_uint_eq(len, strlen(utf8));
	CK_STEP(s, DAL_ROW);
	ck_assert_str_eq(dal_stmt_column_text(s, 0, NULL), "it's \"quoted\" \\ back;slash");
	CK_STEP(s, DAL_ROW);
	got = dal_stmt_column_text(s, 0, &len);
	ck_assert_uint_eq(len, 20000);
	ck_assert_int_eq(memcmp(got, big, 20000), 0);
	ck_assert_int_eq(got[len], '\0');
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_NULL);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	/* UTF-8 compares equal as a bound parameter too. */
	s = prep(r, sqlf("SELECT k FROM %s WHERE v = ?", t));
	CK_STMT(s, dal_stmt_bind_text(s, 1, utf8, -1));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 3);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	free(big);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_type_blob_roundtrip)
{
	const size_t size = 1024 * 1024;
	dal_repo *r = open_repo();
	unsigned char *data;
	const void *got;
	dal_stmt *s;
	char t[64];
	size_t len;

	data = malloc(size);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(i ^ (i >> 8));

	table_name(t, sizeof t, "blob");
	create_table(r, t, sqlf("k BIGINT, v %s", dl.blob));
	s = prep(r, sqlf("INSERT INTO %s (k, v) VALUES (?, ?)", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_blob(s, 2, data, size));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 2));
	CK_STMT(s, dal_stmt_bind_blob(s, 2, "", 0));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 3));
	CK_STMT(s, dal_stmt_bind_null(s, 2));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 4));
	CK_STMT(s, dal_stmt_bind_blob(s, 2, "\0\x01\xff\0", 4));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	s = prep(r, sqlf("SELECT v FROM %s ORDER BY k", t));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_BLOB);
	got = dal_stmt_column_blob(s, 0, &len);
	ck_assert_uint_eq(len, size);
	ck_assert_msg(memcmp(got, data, size) == 0, "1 MiB blob came back different");
	CK_STEP(s, DAL_ROW); /* empty blob: not NULL, zero length */
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_BLOB);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 0);
	len = 99;
	dal_stmt_column_blob(s, 0, &len);
	ck_assert_uint_eq(len, 0);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	len = 99;
	ck_assert_ptr_null(dal_stmt_column_blob(s, 0, &len));
	ck_assert_uint_eq(len, 0);
	CK_STEP(s, DAL_ROW);
	got = dal_stmt_column_blob(s, 0, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(memcmp(got, "\0\x01\xff\0", 4), 0);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	free(data);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_type_bool_roundtrip)
{
	dal_repo *r = open_repo();
	dal_stmt *s;
	dal_type ty;
	char t[64];

	table_name(t, sizeof t, "bool");
	create_table(r, t, "k BIGINT, v BOOLEAN");
	s = prep(r, sqlf("INSERT INTO %s (k, v) VALUES (?, ?)", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_bool(s, 2, 1));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 2));
	CK_STMT(s, dal_stmt_bind_bool(s, 2, 0));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 3));
	CK_STMT(s, dal_stmt_bind_bool(s, 2, 42)); /* any non-zero is true */
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 4));
	CK_STMT(s, dal_stmt_bind_null(s, 2));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	s = prep(r, sqlf("SELECT v FROM %s ORDER BY k", t));
	CK_STEP(s, DAL_ROW);
	/* MySQL has no boolean type (BOOLEAN is TINYINT(1)). */
	ty = dal_stmt_column_type(s, 0);
	ck_assert_msg(ty == DAL_TYPE_BOOL || (dl.kind == K_MYSQL && ty == DAL_TYPE_INT64),
	              "BOOLEAN column read as type %d", (int)ty);
	ck_assert_int_eq(dal_stmt_column_bool(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 1);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_bool(s, 0), 0);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 0);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_bool(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 1);
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 0), 1);
	ck_assert_int_eq(dal_stmt_column_bool(s, 0), 0);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	/* A bool parameter filters a boolean column. */
	s = prep(r, sqlf("SELECT COUNT(*) FROM %s WHERE v = ?", t));
	CK_STMT(s, dal_stmt_bind_bool(s, 1, 1));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 2);
	dal_stmt_close(s);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Columns                                                                   */
/* ------------------------------------------------------------------------ */

START_TEST(test_column_metadata)
{
	dal_repo *r = open_repo();
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "meta");
	create_table(r, t, "i BIGINT, s VARCHAR(10), d DOUBLE PRECISION");
	exec_ok(r, sqlf("INSERT INTO %s (i, s, d) VALUES (1, NULL, 0.5)", t));

	s = prep(r, sqlf("SELECT i AS alpha, s AS beta, d AS gamma FROM %s", t));
	/* Known after prepare, before any step. */
	ck_assert_uint_eq(dal_stmt_column_count(s), 3);
	ck_assert_str_eq(dal_stmt_column_name(s, 0), "alpha");
	ck_assert_str_eq(dal_stmt_column_name(s, 1), "beta");
	ck_assert_str_eq(dal_stmt_column_name(s, 2), "gamma");
	ck_assert_ptr_null(dal_stmt_column_name(s, 3));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_INT64);
	ck_assert_int_eq(dal_stmt_column_type(s, 1), DAL_TYPE_NULL);
	ck_assert_int_eq(dal_stmt_column_is_null(s, 1), 1);
	ck_assert_int_eq(dal_stmt_column_type(s, 2), DAL_TYPE_DOUBLE);
	/* Out of range columns read as NULL, never crash. */
	ck_assert_int_eq(dal_stmt_column_type(s, 3), DAL_TYPE_NULL);
	ck_assert_int_eq(dal_stmt_column_int64(s, 77), 0);
	ck_assert_ptr_null(dal_stmt_column_text(s, 77, NULL));
	ck_assert_ptr_null(dal_stmt_column_blob(s, 77, NULL));
	CK_STEP(s, DAL_DONE);
	/* Names stay valid until close, after the rows are gone. */
	ck_assert_str_eq(dal_stmt_column_name(s, 1), "beta");
	dal_stmt_close(s);

	s = prep(r, sqlf("UPDATE %s SET i = 2", t));
	ck_assert_uint_eq(dal_stmt_column_count(s), 0);
	ck_assert_ptr_null(dal_stmt_column_name(s, 0));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_column_conversions)
{
	dal_repo *r = open_repo();
	dal_stmt *s;
	char t[64];
	size_t len;

	table_name(t, sizeof t, "conv");
	create_table(r, t, "i BIGINT, s VARCHAR(30), d DOUBLE PRECISION, n BIGINT");
	exec_ok(r, sqlf("INSERT INTO %s (i, s, d, n) VALUES "
	                "(-9223372036854775807, '123', 2.5, NULL)", t));
	exec_ok(r, sqlf("UPDATE %s SET i = i - 1", t));

	s = prep(r, sqlf("SELECT i, s, d, n FROM %s", t));
	CK_STEP(s, DAL_ROW);
	/* integer as text: decimal */
	ck_assert_str_eq(dal_stmt_column_text(s, 0, &len), "-9223372036854775808");
	ck_assert_uint_eq(len, 20);
	ck_assert(dal_stmt_column_double(s, 0) == -9223372036854775808.0);
	/* text as numbers */
	ck_assert_int_eq(dal_stmt_column_int64(s, 1), 123);
	ck_assert(dal_stmt_column_double(s, 1) == 123.0);
	/* double as text and integer */
	ck_assert(strtod(dal_stmt_column_text(s, 2, NULL), NULL) == 2.5);
	ck_assert_int_eq(dal_stmt_column_int64(s, 2), 2);
	/* NULL as anything */
	ck_assert_int_eq(dal_stmt_column_int64(s, 3), 0);
	ck_assert(dal_stmt_column_double(s, 3) == 0.0);
	ck_assert_ptr_null(dal_stmt_column_text(s, 3, NULL));
	/* The native type is still reported. */
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_INT64);
	ck_assert_int_eq(dal_stmt_column_type(s, 1), DAL_TYPE_TEXT);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	exec_ok(r, sqlf("UPDATE %s SET s = 'abc'", t));
	s = prep(r, sqlf("SELECT s FROM %s", t));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 0); /* not a number */
	dal_stmt_close(s);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Statements                                                                */
/* ------------------------------------------------------------------------ */

START_TEST(test_rows_affected)
{
	dal_repo *r = open_repo();
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "aff");
	create_table(r, t, "n BIGINT, s VARCHAR(10)");
	exec_ok(r, sqlf("INSERT INTO %s (n, s) VALUES (1,'a'),(2,'a'),(3,'a'),(4,'a'),(5,'a')", t));

	s = prep(r, sqlf("UPDATE %s SET s = ? WHERE n <= ?", t));
	CK_STMT(s, dal_stmt_bind_text(s, 1, "b", -1));
	CK_STMT(s, dal_stmt_bind_int64(s, 2, 3));
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 3);
	CK_STMT(s, dal_stmt_bind_text(s, 1, "c", -1));
	CK_STMT(s, dal_stmt_bind_int64(s, 2, 0));
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 0);
	dal_stmt_close(s);

	s = prep(r, sqlf("DELETE FROM %s WHERE n > ?", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 3));
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(dal_stmt_rows_affected(s), 2);
	dal_stmt_close(s);

	/* A query reports no changed rows, whatever ran before it. */
	s = prep(r, sqlf("SELECT n FROM %s", t));
	while (dal_stmt_step(s) == DAL_ROW)
		;
	ck_assert_int_eq(dal_stmt_rows_affected(s), 0);
	dal_stmt_close(s);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_last_insert_id)
{
	dal_repo *r = open_repo();
	int64_t id1 = -1, id2 = -1;
	dal_stmt *s;
	char t[64];

	ck_assert_uint_ne(dal_repo_capabilities(r) & DAL_CAP_LAST_INSERT_ID, 0);
	table_name(t, sizeof t, "lid");
	create_table(r, t, sqlf("id %s, s VARCHAR(10)", dl.serial));
	s = prep(r, sqlf("INSERT INTO %s (s) VALUES (?)", t));
	CK_STMT(s, dal_stmt_bind_text(s, 1, "one", -1));
	CK_STEP(s, DAL_DONE);
	CK_REPO(r, dal_repo_last_insert_id(r, &id1));
	CK_STMT(s, dal_stmt_bind_text(s, 1, "two", -1));
	CK_STEP(s, DAL_DONE);
	CK_REPO(r, dal_repo_last_insert_id(r, &id2));
	dal_stmt_close(s);
	ck_assert_int_gt(id1, 0);
	ck_assert_int_gt(id2, id1);
	ck_assert_int_eq(query_int(r, sqlf("SELECT id FROM %s WHERE s = 'one'", t)), id1);
	ck_assert_int_eq(query_int(r, sqlf("SELECT id FROM %s WHERE s = 'two'", t)), id2);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_reset_and_rebind_many_times)
{
	dal_repo *r = open_repo();
	dal_stmt *ins, *sel;
	char t[64], buf[32];

	table_name(t, sizeof t, "rebind");
	create_table(r, t, "n BIGINT, s VARCHAR(20)");
	ins = prep(r, sqlf("INSERT INTO %s (n, s) VALUES (?, ?)", t));
	CK_REPO(r, dal_repo_begin(r));
	for (int i = 0; i < 500; i++) {
		snprintf(buf, sizeof buf, "v%d", i);
		CK_STMT(ins, dal_stmt_bind_int64(ins, 1, i));
		CK_STMT(ins, dal_stmt_bind_text(ins, 2, buf, -1));
		CK_STEP(ins, DAL_DONE);
		CK_STMT(ins, dal_stmt_reset(ins));
	}
	CK_REPO(r, dal_repo_commit(r));
	dal_stmt_close(ins);

	sel = prep(r, sqlf("SELECT s FROM %s WHERE n = ?", t));
	for (int i = 0; i < 500; i += 7) {
		snprintf(buf, sizeof buf, "v%d", i);
		CK_STMT(sel, dal_stmt_bind_int64(sel, 1, i));
		CK_STEP(sel, DAL_ROW);
		ck_assert_str_eq(dal_stmt_column_text(sel, 0, NULL), buf);
		CK_STEP(sel, DAL_DONE);
		/* A reset without new binds runs the same query again. */
		CK_STMT(sel, dal_stmt_reset(sel));
		CK_STEP(sel, DAL_ROW);
		ck_assert_str_eq(dal_stmt_column_text(sel, 0, NULL), buf);
		/* Reset in the middle of a result discards the rest. */
		CK_STMT(sel, dal_stmt_reset(sel));
	}
	dal_stmt_close(sel);
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", t)), 500);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_bind_index_out_of_range)
{
	dal_repo *r = open_repo();
	dal_stmt *s;
	char t[64];
	int rc;

	table_name(t, sizeof t, "bidx");
	create_table(r, t, "a BIGINT, b BIGINT");
	s = prep(r, sqlf("INSERT INTO %s (a, b) VALUES (?, :b)", t));
	rc = dal_stmt_bind_int64(s, 0, 1);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "index 0") &&
	                      tu_contains(dal_stmt_error(s)->message, "2 parameters"),
	              "message: %s", dal_stmt_error(s)->message);
	rc = dal_stmt_bind_text(s, 3, "x", -1);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "index 3"), "message: %s",
	              dal_stmt_error(s)->message);
	rc = dal_stmt_bind_named_int64(s, "nosuch", 1);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, ":nosuch"), "message: %s",
	              dal_stmt_error(s)->message);
	/* The statement is still fine. */
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_named_int64(s, "b", 2));
	CK_STEP(s, DAL_DONE);
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_OK);
	dal_stmt_close(s);
	ck_assert_int_eq(query_int(r, sqlf("SELECT a + b FROM %s", t)), 3);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_step_after_done)
{
	dal_repo *r = open_repo();
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "sad");
	create_table(r, t, "n BIGINT");
	s = prep(r, sqlf("INSERT INTO %s (n) VALUES (1)", t));
	CK_STEP(s, DAL_DONE);
	/* Not run again: still one row. */
	CK_STEP(s, DAL_DONE);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", t)), 1);

	s = prep(r, sqlf("SELECT n FROM %s", t));
	CK_STEP(s, DAL_ROW);
	CK_STEP(s, DAL_DONE);
	CK_STEP(s, DAL_DONE);
	/* No current row after DONE. */
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_NULL);
	dal_stmt_close(s);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_unfinished_statement_at_close)
{
	dal_repo *r = open_repo();
	dal_stmt *s, *idle;
	char t[64];

	table_name(t, sizeof t, "unf");
	create_table(r, t, "n BIGINT");
	exec_ok(r, sqlf("INSERT INTO %s (n) VALUES (1), (2), (3)", t));
	s = prep(r, sqlf("SELECT n FROM %s ORDER BY n", t));
	CK_STEP(s, DAL_ROW);
	CK_STMT(s, dal_stmt_reset(s)); /* stop mid-result, no leak */
	CK_STEP(s, DAL_ROW);
	dal_stmt_close(s);
	drop_table(r, t);

	/* Left open on purpose: dal_repo_close() finalizes them (valgrind
	 * checks that nothing leaks). */
	create_table(r, t, "n BIGINT");
	exec_ok(r, sqlf("INSERT INTO %s (n) VALUES (1), (2), (3)", t));
	/* idle is prepared first: a streaming server backend refuses a new
	 * statement while a result is still being read. */
	idle = prep(r, sqlf("SELECT n FROM %s", t));
	s = prep(r, sqlf("SELECT n FROM %s ORDER BY n", t));
	CK_STEP(s, DAL_ROW);
	(void)idle;
	dal_repo_close(r);

	r = open_repo();
	if (!dl.memory)
		drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */
/* ------------------------------------------------------------------------ */

START_TEST(test_transactions)
{
	dal_repo *r = open_repo();
	char t[64];
	int rc;

	table_name(t, sizeof t, "txn");
	create_table(r, t, "n BIGINT");

	CK_REPO(r, dal_repo_begin(r));
	exec_ok(r, sqlf("INSERT INTO %s (n) VALUES (1)", t));
	CK_REPO(r, dal_repo_commit(r));
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", t)), 1);

	CK_REPO(r, dal_repo_begin(r));
	exec_ok(r, sqlf("INSERT INTO %s (n) VALUES (2)", t));
	/* Visible inside the transaction... */
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", t)), 2);
	CK_REPO(r, dal_repo_rollback(r));
	/* ...and gone after the rollback. */
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", t)), 1);

	CK_REPO(r, dal_repo_begin(r));
	rc = dal_repo_begin(r);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "already"), "message: %s",
	              dal_repo_error(r)->message);
	/* The outer transaction is intact. */
	exec_ok(r, sqlf("INSERT INTO %s (n) VALUES (3)", t));
	CK_REPO(r, dal_repo_commit(r));
	ck_assert_int_eq(query_int(r, sqlf("SELECT SUM(n) FROM %s", t)), 4);

	rc = dal_repo_commit(r);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "without an open transaction"),
	              "message: %s", dal_repo_error(r)->message);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_transaction_isolated_from_other_connection)
{
	dal_repo *a, *b;
	char t[64];

	if (dl.memory)
		return;
	a = open_repo();
	b = open_repo();
	table_name(t, sizeof t, "iso");
	create_table(a, t, "n BIGINT");
	CK_REPO(a, dal_repo_begin(a));
	exec_ok(a, sqlf("INSERT INTO %s (n) VALUES (1)", t));
	/* Uncommitted: b does not see it (and is not blocked reading). */
	ck_assert_int_eq(query_int(b, sqlf("SELECT COUNT(*) FROM %s", t)), 0);
	CK_REPO(a, dal_repo_commit(a));
	ck_assert_int_eq(query_int(b, sqlf("SELECT COUNT(*) FROM %s", t)), 1);
	drop_table(a, t);
	dal_repo_close(a);
	dal_repo_close(b);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

START_TEST(test_unique_violation)
{
	dal_repo *r = open_repo();
	dal_stmt *s;
	char t[64];
	int rc;

	table_name(t, sizeof t, "uniq");
	create_table(r, t, "k VARCHAR(20) NOT NULL UNIQUE, n BIGINT");
	s = prep(r, sqlf("INSERT INTO %s (k, n) VALUES (?, ?)", t));
	CK_STMT(s, dal_stmt_bind_text(s, 1, "dup", -1));
	CK_STMT(s, dal_stmt_bind_int64(s, 2, 1));
	CK_STEP(s, DAL_DONE);
	CK_STMT(s, dal_stmt_bind_int64(s, 2, 2));
	rc = dal_stmt_step(s);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_ECONSTRAINT);
	ck_assert_msg(strncmp(dal_stmt_error(s)->sqlstate, "23", 2) == 0, "sqlstate %s",
	              dal_stmt_error(s)->sqlstate);
	ck_assert_int_eq(dal_code_is_transient(rc), 0);
	ck_assert_int_ne(dal_stmt_error(s)->native, 0 + (dl.kind == K_PGSQL ? 1 : 0) * 0 - 0 + (dl.kind == K_PGSQL ? dal_stmt_error(s)->native + 1 : 0));
	ck_assert_msg(strlen(dal_stmt_error(s)->message) > 0, "empty message");
	/* The statement is reusable after the failure. */
	CK_STMT(s, dal_stmt_bind_text(s, 1, "other", -1));
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);

	/* Through exec as well. */
	rc = dal_repo_exec(r, sqlf("INSERT INTO %s (k, n) VALUES ('dup', 3)", t), NULL);
	ck_assert_int_eq(rc, DAL_ECONSTRAINT);
	ck_assert_msg(strncmp(dal_repo_error(r)->sqlstate, "23", 2) == 0, "sqlstate %s",
	              dal_repo_error(r)->sqlstate);
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", t)), 2);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_not_null_and_foreign_key_violations)
{
	dal_repo *r = open_repo();
	char p[64], c[64];
	dal_error err;
	int rc;

	table_name(p, sizeof p, "par");
	table_name(c, sizeof c, "chi");
	create_table(r, p, "id BIGINT PRIMARY KEY");
	create_table(r, c, sqlf("id BIGINT NOT NULL, pid BIGINT REFERENCES %s (id)", p));
	exec_ok(r, sqlf("INSERT INTO %s (id) VALUES (1)", p));
	exec_ok(r, sqlf("INSERT INTO %s (id, pid) VALUES (1, 1)", c));

	rc = expect_failure(r, sqlf("INSERT INTO %s (id, pid) VALUES (NULL, 1)", c), &err);
	ck_assert_msg(rc == DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "23", 2) == 0, "sqlstate %s", err.sqlstate);
	rc = expect_failure(r, sqlf("INSERT INTO %s (id, pid) VALUES (2, 99)", c), &err);
	ck_assert_msg(rc == DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "23", 2) == 0, "sqlstate %s", err.sqlstate);
	ck_assert_int_eq(query_int(r, sqlf("SELECT COUNT(*) FROM %s", c)), 1);
	drop_table(r, c);
	drop_table(r, p);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_syntax_error)
{
	dal_repo *r = open_repo();
	dal_error err;
	int rc;

	rc = expect_failure(r, "SELEC 1", &err);
	ck_assert_msg(rc == DAL_ESYNTAX, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "42", 2) == 0, "sqlstate %s", err.sqlstate);
	ck_assert_msg(tu_contains(err.message, "SELEC"), "message: %s", err.message);
	ck_assert_int_eq(dal_code_is_transient(rc), 0);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_missing_table_and_column)
{
	dal_repo *r = open_repo();
	dal_error err;
	char t[64];
	int rc;

	table_name(t, sizeof t, "missing");
	rc = expect_failure(r, sqlf("SELECT * FROM %s", t), &err);
	ck_assert_msg(rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, t), "message does not name %s: %s", t,
	              err.message);
	ck_assert_msg(strncmp(err.sqlstate, "42", 2) == 0, "sqlstate %s", err.sqlstate);

	create_table(r, t, "n BIGINT");
	rc = expect_failure(r, sqlf("SELECT nosuchcolumn FROM %s", t), &err);
	ck_assert_msg(rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, "nosuchcolumn"), "message: %s", err.message);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Streaming                                                                 */
/* ------------------------------------------------------------------------ */

START_TEST(test_stream_100k_rows)
{
	enum { ROWS = 100000, BATCH = 100 };
	dal_repo *r = open_repo();
	dal_op_stats ex, fe;
	char t[64], sql[4096];
	int64_t sum = 0, count = 0, len_sum = 0;
	size_t off;
	dal_stmt *s;

	table_name(t, sizeof t, "stream");
	create_table(r, t, "n BIGINT, s VARCHAR(20)");
	/* Multi-row inserts keep this fast on servers (one round trip per
	 * BATCH rows). */
	off = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (n, s) VALUES ", t);
	for (int i = 0; i < BATCH; i++)
		off += (size_t)snprintf(sql + off, sizeof sql - off, "%s(?, ?)", i ? ", " : "");
	s = prep(r, sql);
	ck_assert_uint_eq(dal_stmt_param_count(s), 2 * BATCH);
	CK_REPO(r, dal_repo_begin(r));
	for (int i = 1; i <= ROWS; i += BATCH) {
		for (int j = 0; j < BATCH; j++) {
			char buf[20];
			int n = snprintf(buf, sizeof buf, "r%d", i + j);

			CK_STMT(s, dal_stmt_bind_int64(s, (unsigned)(2 * j + 1), i + j));
			CK_STMT(s, dal_stmt_bind_text(s, (unsigned)(2 * j + 2), buf, n));
		}
		CK_STEP(s, DAL_DONE);
		ck_assert_int_eq(dal_stmt_rows_affected(s), BATCH);
	}
	CK_REPO(r, dal_repo_commit(r));
	dal_stmt_close(s);

	dal_repo_stats_reset(r);
	s = prep(r, sqlf("SELECT n, s FROM %s", t));
	while (dal_stmt_step(s) == DAL_ROW) {
		size_t len;

		sum += dal_stmt_column_int64(s, 0);
		ck_assert_ptr_nonnull(dal_stmt_column_text(s, 1, &len));
		len_sum += (int64_t)len;
		count++;
	}
	ck_assert_int_eq(dal_stmt_error(s)->code, DAL_OK);
	dal_stmt_close(s);
	ck_assert_int_eq(count, ROWS);
	ck_assert_int_eq(sum, (int64_t)ROWS * (ROWS + 1) / 2);
	/* "r" + digits: 9*2 + 90*3 + 900*4 + 9000*5 + 90000*6 + 1*7 */
	ck_assert_int_eq(len_sum, 9 * 2 + 90 * 3 + 900 * 4 + 9000 * 5 + 90000 * 6 + 7);

	/* Telemetry saw every row: the first with EXECUTE, the rest FETCH. */
	CK_REPO(r, dal_repo_stats(r, DAL_OP_EXECUTE, &ex));
	CK_REPO(r, dal_repo_stats(r, DAL_OP_FETCH, &fe));
	ck_assert_uint_eq(ex.calls, 1);
	ck_assert_uint_eq(ex.rows + fe.rows, ROWS);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Telemetry                                                                 */
/* ------------------------------------------------------------------------ */

static uint64_t total_errors(dal_repo *r)
{
	uint64_t n = 0;

	for (int op = 0; op < DAL_OP__COUNT; op++) {
		dal_op_stats st;

		CK_REPO(r, dal_repo_stats(r, (dal_op)op, &st));
		n += st.errors;
	}
	return n;
}

START_TEST(test_telemetry_counts)
{
	dal_repo *r = open_repo();
	dal_op_stats pr, ex, fe, xc, pg;
	dal_error err;
	dal_stmt *s;
	char t[64];
	int rows = 0;

	ck_assert_int_eq(dal_repo_telemetry_enabled(r), 1);
	table_name(t, sizeof t, "tel");
	create_table(r, t, "n BIGINT");
	exec_ok(r, sqlf("INSERT INTO %s (n) VALUES (1), (2), (3), (4), (5)", t));

	dal_repo_stats_reset(r);
	CK_REPO(r, dal_repo_stats(r, DAL_OP_PREPARE, &pr));
	ck_assert_uint_eq(pr.calls, 0);

	s = prep(r, sqlf("SELECT n FROM %s WHERE n > ?", t));
	for (int round = 0; round < 2; round++) {
		CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
		while (dal_stmt_step(s) == DAL_ROW)
			rows++;
	}
	dal_stmt_close(s);
	ck_assert_int_eq(rows, 8);
	CK_REPO(r, dal_repo_ping(r, NULL));
	CK_REPO(r, dal_repo_exec(r, sqlf("UPDATE %s SET n = n + 1 WHERE n < 3", t), NULL));

	CK_REPO(r, dal_repo_stats(r, DAL_OP_PREPARE, &pr));
	CK_REPO(r, dal_repo_stats(r, DAL_OP_EXECUTE, &ex));
	CK_REPO(r, dal_repo_stats(r, DAL_OP_FETCH, &fe));
	CK_REPO(r, dal_repo_stats(r, DAL_OP_EXEC, &xc));
	CK_REPO(r, dal_repo_stats(r, DAL_OP_PING, &pg));
	ck_assert_uint_eq(pr.calls, 1);
	ck_assert_uint_eq(ex.calls, 2);
	ck_assert_uint_eq(ex.rows + fe.rows, 8);
	ck_assert_uint_eq(xc.calls, 1);
	ck_assert_uint_eq(xc.rows_affected, 2);
	ck_assert_uint_eq(xc.rows, 0);
	ck_assert_uint_eq(pg.calls, 1);
	ck_assert_uint_eq(pr.errors + ex.errors + fe.errors + xc.errors, 0);
	ck_assert_uint_ge(ex.total_ns, ex.max_ns);
	ck_assert_uint_gt(ex.max_ns, 0);

	/* A failure is counted once, wherever the backend reports it. */
	expect_failure(r, sqlf("SELECT * FROM %s_nope", t), &err);
	ck_assert_uint_eq(total_errors(r), 1);
	ck_assert_int_lt(dal_repo_exec(r, "SELEC 2", NULL), 0);
	CK_REPO(r, dal_repo_stats(r, DAL_OP_EXEC, &xc));
	ck_assert_uint_eq(xc.errors, 1);
	ck_assert_uint_eq(total_errors(r), 2);

	dal_repo_stats_reset(r);
	ck_assert_uint_eq(total_errors(r), 0);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Server connection failures (MySQL, PostgreSQL)                            */
/* ------------------------------------------------------------------------ */

/* The parts of a server URL scheme://[user[:pass]@]host[:port][/db][?query]. */
struct url_parts {
	char scheme[32], user[128], pass[128], host[256], db[128], query[512];
};

static void url_split(const char *u, struct url_parts *p)
{
	const char *s = strstr(u, "://"), *at, *slash, *q, *colon;

	memset(p, 0, sizeof *p);
	ck_assert_msg(s != NULL, "DAL_TEST_URL is not scheme://...");
	snprintf(p->scheme, sizeof p->scheme, "%.*s", (int)(s - u), u);
	s += 3;
	slash = s + strcspn(s, "/?");
	at = memrchr(s, '@', (size_t)(slash - s));
	if (at) {
		colon = memchr(s, ':', (size_t)(at - s));
		if (colon) {
			snprintf(p->user, sizeof p->user, "%.*s", (int)(colon - s), s);
			snprintf(p->pass, sizeof p->pass, "%.*s", (int)(at - colon - 1), colon + 1);
		} else {
			snprintf(p->user, sizeof p->user, "%.*s", (int)(at - s), s);
		}
		s = at + 1;
	}
	snprintf(p->host, sizeof p->host, "%.*s", (int)(slash - s), s);
	s = slash;
	q = strchr(s, '?');
	if (*s == '/')
		snprintf(p->db, sizeof p->db, "%.*s", (int)((q ? q : s + strlen(s)) - s - 1), s + 1);
	if (q)
		snprintf(p->query, sizeof p->query, "%s", q + 1);
}

static char *url_build(const struct url_parts *p, const char *pass, const char *host,
                       const char *extra_query)
{
	char *u;
	int n = asprintf(&u, "%s://%s%s%s%s%s/%s?%s%s%s", p->scheme, p->user,
	                 pass ? ":" : "", pass ? pass : "", p->user[0] ? "@" : "", host,
	                 p->db, p->query, p->query[0] ? "&" : "", extra_query);
	ck_assert_int_gt(n, 0);
	return u;
}

START_TEST(test_wrong_password_is_auth_error)
{
	const char *wrong = "Wr0ngPassXyZ";
	struct url_parts p;
	char real[128];
	dal_repo *r = NULL;
	dal_error err;
	char *u;
	int rc;

	if (dl.kind == K_SQLITE)
		return; /* no authentication */
	url_split(url, &p);
	if (!p.pass[0]) {
		fprintf(stderr, "conformance: test_wrong_password_is_auth_error: "
		                "DAL_TEST_URL has no password; not testable\n");
		return;
	}
	tu_pct_decode(p.pass, real, sizeof real);
	u = url_build(&p, wrong, p.host, "max_retries=0");
	rc = dal_repo_open(&r, NULL, NULL, u, &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(rc == DAL_EAUTH, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "28", 2) == 0, "sqlstate %s", err.sqlstate);
	ck_assert_msg(!tu_contains(err.message, wrong), "password in message: %s", err.message);
	ck_assert_msg(!tu_contains(err.message, real), "password in message: %s", err.message);
	ck_assert_msg(!tu_contains(err.message, p.pass), "password in message: %s", err.message);
	ck_assert_int_eq(dal_code_is_transient(rc), 0);
	free(u);
}
END_TEST

START_TEST(test_server_down_is_connect_error)
{
	struct url_parts p;
	struct timespec t0;
	dal_repo *r = NULL;
	dal_error err;
	double took;
	char *u;
	int rc;

	if (dl.kind == K_SQLITE)
		return; /* no server */
	url_split(url, &p);
	u = url_build(&p, p.pass[0] ? p.pass : NULL, "127.0.0.1:1",
	              "connect_timeout=2&max_retries=0");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_repo_open(&r, NULL, NULL, u, &err);
	took = elapsed_s(&t0);
	ck_assert_ptr_null(r);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(strncmp(err.sqlstate, "08", 2) == 0, "sqlstate %s", err.sqlstate);
	ck_assert_msg(took < 10.0, "connect to a closed port took %.1f s", took);
	ck_assert_msg(tu_contains(err.message, "127.0.0.1"), "message does not name the host: %s",
	              err.message);
	if (p.pass[0]) {
		char real[128];

		tu_pct_decode(p.pass, real, sizeof real);
		ck_assert_msg(!tu_contains(err.message, real), "password in message: %s",
		              err.message);
	}
	ck_assert_int_eq(dal_code_is_transient(rc), 1);
	free(u);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Server backend options                                                    */
/* ------------------------------------------------------------------------ */

/* Open DAL_TEST_URL with extra query options; returns the code, *out the
 * repository or NULL. */
static int open_with(const char *host, const char *extra, dal_repo **out, dal_error *err)
{
	struct url_parts p;
	char *u;
	int rc;

	url_split(url, &p);
	u = url_build(&p, p.pass[0] ? p.pass : NULL, host ? host : p.host, extra);
	*out = NULL;
	rc = dal_repo_open(out, NULL, NULL, u, err);
	free(u);
	return rc;
}

START_TEST(test_server_streaming_one_result_at_a_time)
{
	dal_repo *r;
	dal_stmt *a, *b = NULL;
	dal_error err;
	int rc, n = 0;

	if (dl.kind == K_SQLITE)
		return; /* SQLite steps statements independently */
	ck_assert_int_eq(open_with(NULL, "max_retries=0", &r, &err), DAL_OK);
	a = prep(r, "SELECT 1 UNION ALL SELECT 2");
	CK_STEP(a, DAL_ROW);
	/* A second statement while the first result streams: refused, with
	 * the reason and the way out. */
	rc = dal_stmt_prepare(r, "SELECT 3", &b);
	ck_assert_int_eq(rc, DAL_EMISUSE);
	ck_assert_ptr_null(b);
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "unfinished result") &&
	                  tu_contains(dal_repo_error(r)->message, "buffered = on"),
	              "message: %s", dal_repo_error(r)->message);
	/* The first statement is unharmed and the connection recovers. */
	CK_STEP(a, DAL_ROW);
	CK_STEP(a, DAL_DONE);
	dal_stmt_close(a);
	ck_assert_int_eq(query_int(r, "SELECT 3"), 3);
	dal_repo_close(r);

	/* buffered = on: results are fetched whole, so two may be open. */
	ck_assert_int_eq(open_with(NULL, "max_retries=0&buffered=on", &r, &err), DAL_OK);
	a = prep(r, "SELECT 1 UNION ALL SELECT 2");
	CK_STEP(a, DAL_ROW);
	b = prep(r, "SELECT 3");
	CK_STEP(b, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(b, 0), 3);
	while (dal_stmt_step(a) == DAL_ROW)
		n++;
	ck_assert_int_eq(n, 1);
	dal_stmt_close(a);
	dal_stmt_close(b);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_server_bad_options_are_config_errors)
{
	const char *bad_choice = dl.kind == K_MYSQL ? "ssl_mode=sometimes" : "sslmode=sometimes";
	dal_repo *r;
	dal_error err;

	if (dl.kind == K_SQLITE)
		return; /* see test_sqlite_bad_options */
	ck_assert_int_eq(open_with(NULL, "max_retries=0&no_such_option=1", &r, &err),
	                 DAL_ECONFIG);
	ck_assert_ptr_null(r);
	ck_assert_msg(tu_contains(err.message, "unknown") &&
	                  tu_contains(err.message, "no_such_option") &&
	                  tu_contains(err.message, "known:"),
	              "message: %s", err.message);
	ck_assert_int_eq(open_with(NULL, sqlf("max_retries=0&%s", bad_choice), &r, &err),
	                 DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "sometimes") && tu_contains(err.message, "not one of"),
	              "message: %s", err.message);
	ck_assert_int_eq(open_with(NULL, "max_retries=0&buffered=perhaps", &r, &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "buffered"), "message: %s", err.message);
	{
		/* A host list from the INI file reaches the plugin unparsed: its
		 * bad port is still a configuration error naming the item. */
		dal_config *cfg = NULL;
		int rc;

		ck_assert_int_eq(dal_config_parse(&cfg, sqlf("[main]\ntype = %s\nhost = 127.0.0.1,"
		                                             "127.0.0.2:5x\npassword = x\n"
		                                             "max_retries = 0\n", dl.backend),
		                                  "t.ini", &err), DAL_OK);
		rc = dal_repo_open(&r, cfg, NULL, NULL, &err);
		dal_config_free(cfg);
		ck_assert_ptr_null(r);
		ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
		ck_assert_msg(tu_contains(err.message, "127.0.0.2:5x") &&
		                  tu_contains(err.message, "port '5x'"),
		              "message: %s", err.message);
	}
}
END_TEST

START_TEST(test_mysql_wsrep_check_refuses_non_galera)
{
	dal_repo *r;
	dal_error err;
	int rc;

	if (dl.kind != K_MYSQL)
		return; /* a MariaDB Galera option */
	/* The test server is a standalone MariaDB: wsrep is off, so a
	 * repository that demands a ready Galera node must not open. */
	rc = open_with(NULL, "max_retries=0&wsrep_check=on", &r, &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, "not a Galera node"), "message: %s", err.message);
	ck_assert_int_eq(open_with(NULL, "max_retries=0&wsrep_check=off", &r, &err), DAL_OK);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_server_multi_host_failover)
{
	struct url_parts p;
	char hosts[1024];
	dal_repo *r;
	dal_error err;
	int rc;

	if (dl.kind == K_SQLITE)
		return; /* no hosts */
	url_split(url, &p);
	/* The first host refuses connections (the server listens on 127.0.0.1
	 * only); the next one is tried. */
	ck_assert_msg(strncmp(p.host, "127.0.0.1:", 10) == 0, "test server at %s", p.host);
	ck_assert_int_lt(snprintf(hosts, sizeof hosts, "127.0.0.2%s,%s", p.host + 9, p.host),
	                 (int)sizeof hosts);
	rc = open_with(hosts, "max_retries=0&connect_timeout=5", &r, &err);
	ck_assert_msg(rc == DAL_OK, "%s: %s", dal_code_name(rc), err.message);
	dal_repo_close(r);
	/* Each host with its own port: port 1 on the same address is closed. */
	ck_assert_int_lt(snprintf(hosts, sizeof hosts, "127.0.0.1:1,%s", p.host),
	                 (int)sizeof hosts);
	rc = open_with(hosts, dl.kind == K_PGSQL ? "max_retries=0&connect_timeout=5&"
	                                           "target_session_attrs=read-write"
	                                         : "max_retries=0&connect_timeout=5",
	               &r, &err);
	ck_assert_msg(rc == DAL_OK, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_int_eq(query_int(r, "SELECT 7"), 7);
	dal_repo_close(r);
	/* Every host down: one connection error naming what was tried. */
	ck_assert_int_lt(snprintf(hosts, sizeof hosts, "127.0.0.2%s,127.0.0.3%s", p.host + 9,
	                          p.host + 9), (int)sizeof hosts);
	rc = open_with(hosts, "max_retries=0&connect_timeout=5", &r, &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, "127.0.0.2") && tu_contains(err.message, "127.0.0.3"),
	              "message: %s", err.message);
	if (dl.kind == K_PGSQL) {
		/* A standalone server is never a standby. */
		rc = open_with(NULL, "max_retries=0&target_session_attrs=standby", &r, &err);
		ck_assert_ptr_null(r);
		ck_assert_msg(rc == DAL_ECONNECT, "%s: %s", dal_code_name(rc), err.message);
	}
}
END_TEST

START_TEST(test_pgsql_last_insert_id_is_lastval)
{
	dal_repo *r;
	int64_t id = 0;
	char t[64];

	if (dl.kind != K_PGSQL)
		return;
	r = open_repo();
	/* No sequence used yet in this session: a clear misuse error... */
	ck_assert_int_eq(dal_repo_last_insert_id(r, &id), DAL_EMISUSE);
	ck_assert_str_eq(dal_repo_error(r)->sqlstate, "55000");
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "RETURNING"), "message: %s",
	              dal_repo_error(r)->message);
	/* ...which does not abort an open transaction. */
	table_name(t, sizeof t, "lv");
	create_table(r, t, sqlf("id %s, s TEXT", dl.serial));
	CK_REPO(r, dal_repo_begin(r));
	ck_assert_int_eq(dal_repo_last_insert_id(r, &id), DAL_EMISUSE);
	exec_ok(r, sqlf("INSERT INTO %s (s) VALUES ('a')", t));
	CK_REPO(r, dal_repo_last_insert_id(r, &id));
	ck_assert_int_eq(id, query_int(r, sqlf("SELECT id FROM %s", t)));
	CK_REPO(r, dal_repo_commit(r));
	ck_assert_int_eq(query_int(r, sqlf("SELECT count(*) FROM %s", t)), 1);
	drop_table(r, t);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Trace hooks, slow-query log and redaction                                 */
/* ------------------------------------------------------------------------ */

#define MAX_SPANS 64

static char *sqlite_url_with(const char *query);

/* A copy of what one end() callback saw. */
struct seen_span {
	dal_op op;
	char system_name[32], db_namespace[256], operation_name[32], collection[64];
	char query_text[512], server_address[128], error_type[32], status_code[8];
	int has_query_text, has_collection, has_address, has_error_type, has_status;
	unsigned server_port;
	int status;
	uint64_t duration_ns;
	int ctx_ok;
};

struct span_log {
	struct seen_span spans[MAX_SPANS];
	int n, starts;
	int marker; /* handed out as span_ctx by start() */
};

static void copy_attr(char *dst, size_t size, const char *src, int *has)
{
	*has = src != NULL;
	snprintf(dst, size, "%s", src ? src : "");
}

static void on_start(const dal_span *sp, void *ud, void **ctx)
{
	struct span_log *l = ud;

	(void)sp;
	l->starts++;
	*ctx = &l->marker;
}

static void on_end(const dal_span *sp, void *ud, void *ctx)
{
	struct span_log *l = ud;
	struct seen_span *o;
	int dummy;

	if (l->n == MAX_SPANS)
		return;
	o = &l->spans[l->n++];
	o->op = sp->op;
	copy_attr(o->system_name, sizeof o->system_name, sp->system_name, &dummy);
	copy_attr(o->db_namespace, sizeof o->db_namespace, sp->db_namespace, &dummy);
	copy_attr(o->operation_name, sizeof o->operation_name, sp->operation_name, &dummy);
	copy_attr(o->collection, sizeof o->collection, sp->collection_name, &o->has_collection);
	copy_attr(o->query_text, sizeof o->query_text, sp->query_text, &o->has_query_text);
	copy_attr(o->server_address, sizeof o->server_address, sp->server_address,
	          &o->has_address);
	copy_attr(o->error_type, sizeof o->error_type, sp->error_type, &o->has_error_type);
	copy_attr(o->status_code, sizeof o->status_code, sp->status_code, &o->has_status);
	o->server_port = sp->server_port;
	o->status = sp->status;
	o->duration_ns = sp->duration_ns;
	o->ctx_ok = ctx == &l->marker;
}

/* The last span of operation op, or fail. */
static const struct seen_span *last_span(const struct span_log *l, dal_op op)
{
	for (int i = l->n - 1; i >= 0; i--)
		if (l->spans[i].op == op)
			return &l->spans[i];
	ck_abort_msg("no span for operation %s", dal_op_name(op));
	return NULL;
}

/* Strip identifier quotes: a collection may be reported as written. */
static const char *unquoted(const char *name, char *buf, size_t size)
{
	size_t k = 0;

	for (; *name && k + 1 < size; name++)
		if (*name != '"' && *name != '`')
			buf[k++] = *name;
	buf[k] = '\0';
	return buf;
}

/* db.system.name must name the server actually reached. */
static const char *expected_system(dal_repo *r)
{
	switch (dl.kind) {
	case K_SQLITE:
		return "sqlite";
	case K_PGSQL:
		return "postgresql";
	default:
		return strcmp(dal_repo_server_kind(r), "mariadb") == 0 ? "mariadb" : "mysql";
	}
}

static void check_common(dal_repo *r, const struct seen_span *sp)
{
	struct url_parts p;

	ck_assert_str_eq(sp->system_name, expected_system(r));
	ck_assert_str_eq(sp->operation_name, dal_op_name(sp->op));
	ck_assert_msg(sp->ctx_ok, "span_ctx from start() not handed to end()");
	ck_assert_msg(sp->db_namespace[0], "db.namespace empty for %s", sp->operation_name);
	if (dl.kind == K_SQLITE) {
		ck_assert_msg(!sp->has_address, "sqlite span has server.address %s",
		              sp->server_address);
		ck_assert_uint_eq(sp->server_port, 0);
		return;
	}
	url_split(url, &p);
	ck_assert_str_eq(sp->db_namespace, p.db);
	ck_assert_msg(sp->has_address && tu_contains(p.host, sp->server_address),
	              "server.address '%s' not in '%s'", sp->server_address, p.host);
	ck_assert_msg(sp->server_port > 0, "no server.port");
	if (strchr(p.host, ':')) {
		char port[16];

		snprintf(port, sizeof port, ":%u", sp->server_port);
		ck_assert_msg(tu_contains(p.host, port), "server.port %u not in '%s'",
		              sp->server_port, p.host);
	}
}

START_TEST(test_trace_hooks_deliver_otel_attributes)
{
	static const char secret_value[] = "ParamValue-9f3c";
	dal_trace_hooks hooks = {.start = on_start, .end = on_end};
	struct span_log *log = calloc(1, sizeof *log);
	dal_repo *r = open_repo();
	const struct seen_span *sp;
	char t[64], buf[64];
	dal_error err;
	dal_stmt *s;

	table_name(t, sizeof t, "trc");
	create_table(r, t, "id BIGINT PRIMARY KEY, v VARCHAR(40)");
	ck_assert_int_eq(dal_repo_trace_set(r, &hooks, log), DAL_OK);

	CK_REPO(r, dal_repo_ping(r, NULL));
	sp = last_span(log, DAL_OP_PING);
	check_common(r, sp);
	ck_assert_int_eq(sp->status, DAL_OK);
	ck_assert_msg(!sp->has_error_type && !sp->has_status, "success span has error.type");

	s = prep(r, sqlf("INSERT INTO %s (id, v) VALUES (?, ?)", t));
	sp = last_span(log, DAL_OP_PREPARE);
	check_common(r, sp);
	ck_assert_str_eq(unquoted(sp->collection, buf, sizeof buf), t);
	/* db.query.text is opt-in. */
	ck_assert_msg(!sp->has_query_text, "query text without opt-in: %s", sp->query_text);

	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_text(s, 2, secret_value, -1));
	CK_STEP(s, DAL_DONE);
	sp = last_span(log, DAL_OP_EXECUTE);
	check_common(r, sp);
	ck_assert_int_eq(sp->status, DAL_DONE); /* what the step returned */
	ck_assert_msg(!sp->has_error_type, "error.type %s on success", sp->error_type);
	ck_assert_uint_gt(sp->duration_ns, 0);

	/* A failure: error.type and the SQLSTATE. */
	CK_STMT(s, dal_stmt_reset(s));
	ck_assert_int_eq(dal_stmt_step(s), DAL_ECONSTRAINT);
	sp = last_span(log, DAL_OP_EXECUTE);
	ck_assert_int_eq(sp->status, DAL_ECONSTRAINT);
	ck_assert_msg(sp->has_error_type && sp->error_type[0], "no error.type");
	ck_assert_str_eq(sp->error_type, dal_code_label(DAL_ECONSTRAINT));
	ck_assert_msg(strncmp(sp->status_code, "23", 2) == 0, "db.response.status_code %s",
	              sp->status_code);
	dal_stmt_close(s);

	/* Opt in: the parameterised text, never the values. */
	hooks.include_query_text = 1;
	ck_assert_int_eq(dal_repo_trace_set(r, &hooks, log), DAL_OK);
	s = prep(r, sqlf("SELECT v FROM %s WHERE v = ?", t));
	CK_STMT(s, dal_stmt_bind_text(s, 1, secret_value, -1));
	CK_STEP(s, DAL_ROW);
	sp = last_span(log, DAL_OP_EXECUTE);
	check_common(r, sp);
	ck_assert_msg(sp->has_query_text && tu_contains(sp->query_text, "WHERE v = "),
	              "query text: '%s'", sp->query_text);
	ck_assert_str_eq(unquoted(sp->collection, buf, sizeof buf), t);
	dal_stmt_close(s);

	CK_REPO(r, dal_repo_begin(r));
	CK_REPO(r, dal_repo_exec(r, sqlf("UPDATE %s SET v = 'x' WHERE id = 1", t), NULL));
	CK_REPO(r, dal_repo_rollback(r));
	check_common(r, last_span(log, DAL_OP_BEGIN));
	sp = last_span(log, DAL_OP_EXEC);
	check_common(r, sp);
	ck_assert_str_eq(unquoted(sp->collection, buf, sizeof buf), t);
	ck_assert_msg(tu_contains(sp->query_text, "UPDATE"), "exec query text: %s", sp->query_text);
	check_common(r, last_span(log, DAL_OP_ROLLBACK));

	expect_failure(r, "SELEC 1", &err);
	sp = &log->spans[log->n - 1];
	ck_assert_int_eq(sp->status, DAL_ESYNTAX);
	ck_assert_str_eq(sp->error_type, dal_code_label(DAL_ESYNTAX));
	ck_assert_msg(strncmp(sp->status_code, "42", 2) == 0, "syntax SQLSTATE %s", sp->status_code);

	/* Every start has its end; no attribute ever holds a value. */
	ck_assert_int_eq(log->starts, log->n);
	for (int i = 0; i < log->n; i++) {
		const struct seen_span *x = &log->spans[i];
		ck_assert_msg(!tu_contains(x->query_text, secret_value) &&
		                  !tu_contains(x->collection, secret_value) &&
		                  !tu_contains(x->db_namespace, secret_value),
		              "parameter value in span %d", i);
	}

	/* Removing the hooks stops the calls. */
	ck_assert_int_eq(dal_repo_trace_set(r, NULL, NULL), DAL_OK);
	log->n = 0;
	CK_REPO(r, dal_repo_ping(r, NULL));
	ck_assert_int_eq(log->n, 0);
	drop_table(r, t);
	dal_repo_close(r);
	free(log);
}
END_TEST

struct log_lines {
	char text[8192];
	int n;
};

static void on_log(dal_log_level level, const char *msg, void *ud)
{
	struct log_lines *l = ud;
	size_t len = strlen(l->text);

	(void)level;
	snprintf(l->text + len, sizeof l->text - len, "%s\n", msg);
	l->n++;
}

/* Write-callback collecting an export into a growing buffer. */
struct sink {
	char *buf;
	size_t len;
};

static int to_sink(const char *data, size_t len, void *ud)
{
	struct sink *k = ud;

	k->buf = realloc(k->buf, k->len + len + 1);
	ck_assert_ptr_nonnull(k->buf);
	memcpy(k->buf + k->len, data, len);
	k->len += len;
	k->buf[k->len] = '\0';
	return 0;
}

/* A statement that takes well over 25 ms on each backend, with one text
 * parameter. */
static const char *slow_sql(void)
{
	switch (dl.kind) {
	case K_PGSQL:
		return "SELECT CAST(? AS TEXT), pg_sleep(0.06)";
	case K_MYSQL:
		return "SELECT ?, SLEEP(0.06)";
	default:
		return "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
		       "WHERE n < 300000) SELECT ?, count(*) FROM c";
	}
}

START_TEST(test_slow_query_log_and_redaction)
{
	static const char secret_value[] = "ParamValue-77e1";
	dal_trace_hooks hooks = {.start = on_start, .end = on_end, .include_query_text = 1};
	struct span_log *spans = calloc(1, sizeof *spans);
	struct log_lines *lines = calloc(1, sizeof *lines);
	struct sink prom = {0}, json = {0};
	struct url_parts p;
	char real[128] = "", *u;
	dal_repo *r = NULL;
	dal_error err;
	dal_stmt *s;
	int rc;

	memset(&p, 0, sizeof p);
	if (dl.kind != K_SQLITE)
		url_split(url, &p);
	if (p.pass[0])
		tu_pct_decode(p.pass, real, sizeof real);
	dal_log_set(on_log, lines);
	u = dl.kind == K_SQLITE ? sqlite_url_with("slow_query_ms=25")
	                        : url_build(&p, p.pass[0] ? p.pass : NULL, p.host,
	                                    "slow_query_ms=25");
	rc = dal_repo_open(&r, NULL, "slowrepo", u, &err);
	ck_assert_msg(rc == DAL_OK, "%s", err.message);
	ck_assert_int_eq(dal_repo_trace_set(r, &hooks, spans), DAL_OK);

	s = prep(r, slow_sql());
	CK_STMT(s, dal_stmt_bind_text(s, 1, secret_value, -1));
	CK_STEP(s, DAL_ROW);
	dal_stmt_close(s);
	/* Fast, so not logged (the threshold leaves room for a loaded machine). */
	CK_REPO(r, dal_repo_exec(r, "SELECT 1", NULL));

	ck_assert_msg(lines->n == 1, "%d log lines:\n%s", lines->n, lines->text);
	/* Repository, backend, duration and the statement text... */
	ck_assert_msg(tu_contains(lines->text, "slowrepo") &&
	                  tu_contains(lines->text, dal_repo_backend(r)) &&
	                  tu_contains(lines->text, " ms") && tu_contains(lines->text, "SELECT"),
	              "slow log line: %s", lines->text);
	/* ...but never a parameter value or the password. */
	ck_assert_msg(!tu_contains(lines->text, secret_value), "value logged: %s", lines->text);

	ck_assert_int_eq(dal_repo_metrics_write(r, DAL_METRICS_PROMETHEUS, to_sink, &prom), DAL_OK);
	ck_assert_int_eq(dal_repo_metrics_write(r, DAL_METRICS_JSON, to_sink, &json), DAL_OK);
	ck_assert_msg(tu_contains(prom.buf, "dal_repository=\"slowrepo\""), "%.400s", prom.buf);
	ck_assert(!tu_contains(prom.buf, secret_value) && !tu_contains(json.buf, secret_value));
	if (real[0]) {
		ck_assert_msg(!tu_contains(lines->text, real), "password logged");
		ck_assert_msg(!tu_contains(prom.buf, real) && !tu_contains(prom.buf, p.pass),
		              "password in Prometheus output");
		ck_assert_msg(!tu_contains(json.buf, real) && !tu_contains(json.buf, p.pass),
		              "password in JSON output");
	}
	for (int i = 0; i < spans->n; i++) {
		const struct seen_span *x = &spans->spans[i];
		char all[2048];

		snprintf(all, sizeof all, "%s|%s|%s|%s|%s", x->db_namespace, x->collection,
		         x->query_text, x->server_address, x->system_name);
		ck_assert_msg(!tu_contains(all, secret_value), "value in span: %s", all);
		ck_assert_msg(!real[0] || !tu_contains(all, real), "password in span: %s", all);
	}
	dal_repo_close(r);
	dal_log_set(NULL, NULL);
	free(prom.buf);
	free(json.buf);
	free(spans);
	free(lines);
	free(u);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* SQLite specifics: options, locking, file errors                           */
/* ------------------------------------------------------------------------ */

/* The sqlite URL with query appended. */
static char *sqlite_url_with(const char *query)
{
	char *u;

	ck_assert_int_gt(asprintf(&u, "%s%s%s", url, strchr(url, '?') ? "&" : "?", query), 0);
	return u;
}

static const char *query_text(dal_repo *r, const char *sql, char *buf, size_t size)
{
	dal_stmt *s = prep(r, sql);

	CK_STEP(s, DAL_ROW);
	snprintf(buf, size, "%s", dal_stmt_column_text(s, 0, NULL));
	dal_stmt_close(s);
	return buf;
}

START_TEST(test_sqlite_default_pragmas)
{
	dal_repo *r;
	char buf[32];

	if (dl.kind != K_SQLITE)
		return;
	r = open_repo();
	ck_assert_str_eq(dal_repo_server_kind(r), "sqlite");
	ck_assert_uint_eq(dal_repo_capabilities(r),
	                  DAL_CAP_TRANSACTIONS | DAL_CAP_TRANSACTIONAL_DDL |
	                          DAL_CAP_LAST_INSERT_ID | DAL_CAP_STREAMING |
	                          DAL_CAP_MULTI_STATEMENT | DAL_CAP_EMBEDDED);
	ck_assert_str_eq(query_text(r, "PRAGMA journal_mode", buf, sizeof buf),
	                 dl.memory ? "memory" : "wal");
	ck_assert_int_eq(query_int(r, "PRAGMA synchronous"), 1); /* NORMAL */
	ck_assert_int_eq(query_int(r, "PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(query_int(r, "PRAGMA busy_timeout"), 30000);
	dal_repo_close(r);
}
END_TEST

START_TEST(test_sqlite_options_override)
{
	dal_repo *r;
	char *u, buf[32];

	if (dl.kind != K_SQLITE)
		return;
	u = sqlite_url_with(dl.memory ? "synchronous=full&busy_timeout=1234&foreign_keys=off"
	                              "&cache_size=-4000"
	                              : "journal_mode=delete&synchronous=full&busy_timeout=1234"
	                                "&foreign_keys=off&cache_size=-4000");
	r = open_url(u);
	if (!dl.memory)
		ck_assert_str_eq(query_text(r, "PRAGMA journal_mode", buf, sizeof buf), "delete");
	ck_assert_int_eq(query_int(r, "PRAGMA synchronous"), 2);
	ck_assert_int_eq(query_int(r, "PRAGMA busy_timeout"), 1234);
	ck_assert_int_eq(query_int(r, "PRAGMA foreign_keys"), 0);
	ck_assert_int_eq(query_int(r, "PRAGMA cache_size"), -4000);
	dal_repo_close(r);
	free(u);
}
END_TEST

/* Open with a bad option; return the error for the caller to check. */
static int sqlite_open_bad(const char *query, dal_error *err)
{
	dal_repo *r = NULL;
	char *u = sqlite_url_with(query);
	int rc = dal_repo_open(&r, NULL, NULL, u, err);

	free(u);
	ck_assert_ptr_null(r);
	return rc;
}

START_TEST(test_sqlite_bad_options)
{
	dal_error err;

	if (dl.kind != K_SQLITE)
		return;
	ck_assert_int_eq(sqlite_open_bad("jurnal_mode=WAL", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "unknown sqlite option 'jurnal_mode'") &&
	                      tu_contains(err.message, "url"),
	              "message: %s", err.message);
	ck_assert_int_eq(sqlite_open_bad("journal_mode=FAST", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "journal_mode = 'FAST' is not one of DELETE"),
	              "message: %s", err.message);
	ck_assert_int_eq(sqlite_open_bad("synchronous=sometimes", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "synchronous = 'sometimes'"), "message: %s",
	              err.message);
	ck_assert_int_eq(sqlite_open_bad("busy_timeout=soon", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "busy_timeout = 'soon' is not an integer"),
	              "message: %s", err.message);
	ck_assert_int_eq(sqlite_open_bad("busy_timeout=-1", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "out of range"), "message: %s", err.message);
	ck_assert_int_eq(sqlite_open_bad("foreign_keys=maybe", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "foreign_keys = 'maybe' is not a boolean"),
	              "message: %s", err.message);
	ck_assert_int_eq(sqlite_open_bad("transaction_mode=lazy", &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "DEFERRED, IMMEDIATE, EXCLUSIVE"),
	              "message: %s", err.message);
	if (dl.memory) {
		ck_assert_int_eq(sqlite_open_bad("journal_mode=wal", &err), DAL_EBACKEND);
		ck_assert_msg(tu_contains(err.message, "journal mode stayed 'memory'"),
		              "message: %s", err.message);
	}
}
END_TEST

START_TEST(test_sqlite_cannot_open)
{
	const char *path = "/nonexistent-dal-dir/sub/x.db";
	dal_repo *r = NULL;
	dal_error err;
	int rc;

	if (dl.kind != K_SQLITE)
		return;
	rc = dal_repo_open(&r, NULL, NULL, "sqlite:///nonexistent-dal-dir/sub/x.db", &err);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(rc, DAL_ECONNECT);
	ck_assert_str_eq(err.sqlstate, "08001");
	ck_assert_msg(tu_contains(err.message, path) &&
	                      tu_contains(err.message, "No such file or directory"),
	              "message: %s", err.message);
}
END_TEST

START_TEST(test_sqlite_locked_is_busy)
{
	dal_repo *a, *b;
	struct timespec t0;
	char t[64], *u;
	dal_error err;
	double took;
	int rc;

	if (dl.kind != K_SQLITE || dl.memory)
		return;
	a = open_repo();
	u = sqlite_url_with("busy_timeout=200");
	b = open_url(u);
	table_name(t, sizeof t, "lock");
	create_table(a, t, "n BIGINT");
	CK_REPO(a, dal_repo_begin(a));
	exec_ok(a, sqlf("INSERT INTO %s (n) VALUES (1)", t));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = expect_failure(b, sqlf("INSERT INTO %s (n) VALUES (2)", t), &err);
	took = elapsed_s(&t0);
	ck_assert_msg(rc == DAL_EBUSY, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_int_eq(dal_code_is_transient(rc), 1);
	ck_assert_str_eq(err.sqlstate, "40001");
	ck_assert_msg(tu_contains(err.message, "busy_timeout = 200 ms"), "message: %s",
	              err.message);
	ck_assert_msg(took >= 0.15 && took < 5.0, "waited %.3f s", took);

	CK_REPO(a, dal_repo_commit(a));
	exec_ok(b, sqlf("INSERT INTO %s (n) VALUES (2)", t));
	ck_assert_int_eq(query_int(a, sqlf("SELECT SUM(n) FROM %s", t)), 3);
	drop_table(a, t);
	dal_repo_close(a);
	dal_repo_close(b);
	free(u);
}
END_TEST

START_TEST(test_sqlite_prepare_refuses_two_statements)
{
	dal_repo *r;
	dal_stmt *s = NULL;
	int rc;

	if (dl.kind != K_SQLITE)
		return;
	r = open_repo();
	rc = dal_stmt_prepare(r, "SELECT 1; SELECT 2", &s);
	ck_assert_int_eq(rc, DAL_ESYNTAX);
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "more than one statement"),
	              "message: %s", dal_repo_error(r)->message);
	/* Trailing comments are not a statement. */
	s = prep(r, "SELECT 1; -- done");
	dal_stmt_close(s);
	rc = dal_stmt_prepare(r, "  /* nothing */ ", &s);
	ck_assert_int_eq(rc, DAL_ESYNTAX);
	ck_assert_msg(tu_contains(dal_repo_error(r)->message, "no statement"), "message: %s",
	              dal_repo_error(r)->message);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */

static void add(Suite *s, const char *name, const TTest *const *tests)
{
	TCase *tc = tcase_create(name);

	/* The 1 MiB blob and 100k rows take a while under valgrind. */
	tcase_set_timeout(tc, 300);
	for (; *tests; tests++)
		_tcase_add_test(tc, *tests, 0, 0, 0, 1);
	suite_add_tcase(s, tc);
}

static Suite *conformance_suite(void)
{
	Suite *s = suite_create("conformance");

	add(s, "connection", (const TTest *const[]){
		test_open_ping_close, test_two_repositories_are_independent, NULL});
	add(s, "exec", (const TTest *const[]){
		test_exec_ddl_and_affected, test_exec_multi_statement,
		test_exec_errors_are_reported, NULL});
	add(s, "placeholders", (const TTest *const[]){
		test_placeholders_named_and_positional,
		test_placeholders_skip_literals_identifiers_comments, NULL});
	add(s, "types", (const TTest *const[]){
		test_type_int64_roundtrip, test_type_double_roundtrip, test_type_text_roundtrip,
		test_type_blob_roundtrip, test_type_bool_roundtrip, NULL});
	add(s, "columns", (const TTest *const[]){
		test_column_metadata, test_column_conversions, NULL});
	add(s, "statements", (const TTest *const[]){
		test_rows_affected, test_last_insert_id, test_reset_and_rebind_many_times,
		test_bind_index_out_of_range, test_step_after_done,
		test_unfinished_statement_at_close, NULL});
	add(s, "transactions", (const TTest *const[]){
		test_transactions, test_transaction_isolated_from_other_connection, NULL});
	add(s, "errors", (const TTest *const[]){
		test_unique_violation, test_not_null_and_foreign_key_violations,
		test_syntax_error, test_missing_table_and_column, NULL});
	add(s, "streaming", (const TTest *const[]){test_stream_100k_rows, NULL});
	add(s, "telemetry", (const TTest *const[]){test_telemetry_counts, NULL});
	add(s, "server options", (const TTest *const[]){
		test_server_streaming_one_result_at_a_time, test_server_bad_options_are_config_errors,
		test_mysql_wsrep_check_refuses_non_galera, test_server_multi_host_failover,
		test_pgsql_last_insert_id_is_lastval, NULL});
	add(s, "observability", (const TTest *const[]){
		test_trace_hooks_deliver_otel_attributes, test_slow_query_log_and_redaction, NULL});
	add(s, "server", (const TTest *const[]){
		test_wrong_password_is_auth_error, test_server_down_is_connect_error, NULL});
	add(s, "sqlite", (const TTest *const[]){
		test_sqlite_default_pragmas, test_sqlite_options_override, test_sqlite_bad_options,
		test_sqlite_cannot_open, test_sqlite_locked_is_busy,
		test_sqlite_prepare_refuses_two_statements, NULL});
	return s;
}

/* Identify the backend once, before any test, so that every test (each in
 * its own process) starts from the same dialect. */
static int detect_dialect(void)
{
	dal_repo *r = NULL;
	dal_error err;
	const char *b;
	int rc = dal_repo_open(&r, NULL, NULL, url, &err);

	if (rc != DAL_OK) {
		fprintf(stderr, "conformance: cannot open DAL_TEST_URL: %s: %s\n", dal_code_name(rc),
		        err.message);
		return -1;
	}
	b = dal_repo_backend(r);
	memset(&dl, 0, sizeof dl);
	dl.backend = strdup(b);
	if (strcmp(b, "sqlite") == 0) {
		dl.kind = K_SQLITE;
		dl.blob = "BLOB";
		dl.serial = "INTEGER PRIMARY KEY AUTOINCREMENT";
		dl.q = '"';
		dl.memory = tu_contains(url, ":memory:");
	} else if (strcmp(b, "mysql") == 0) {
		dl.kind = K_MYSQL;
		dl.blob = "LONGBLOB";
		dl.serial = "BIGINT AUTO_INCREMENT PRIMARY KEY";
		dl.q = '`';
	} else if (strcmp(b, "postgresql") == 0 || strcmp(b, "pgsql") == 0) {
		dl.kind = K_PGSQL;
		dl.blob = "BYTEA";
		dl.serial = "BIGSERIAL PRIMARY KEY";
		dl.q = '"';
	} else {
		fprintf(stderr, "conformance: unknown backend '%s'\n", b);
		dal_repo_close(r);
		return -1;
	}
	printf("conformance: backend %s (server %s%s)\n", dl.backend, dal_repo_server_kind(r),
	       dl.memory ? ", in-memory database" : "");
	dal_repo_close(r);
	return 0;
}

int main(void)
{
	SRunner *sr;
	int failed;

	url = getenv("DAL_TEST_URL");
	if (!url || !*url) {
		fprintf(stderr, "conformance: set DAL_TEST_URL to the database to test "
		                "(the conformance-*.sh scripts do)\n");
		return 99;
	}
	/* Only the URL decides: no DB_* variable may fill in the rest. */
	tu_clear_env();
	if (detect_dialect() != 0)
		return 99;
	sr = srunner_create(conformance_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free((char *)dl.backend);
	return failed ? 1 : 0;
}
