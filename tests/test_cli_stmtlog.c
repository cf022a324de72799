/*
 * `dal -v` turns the statement log on: each statement the commands run is
 * printed (stderr) with its row count; without -v (and without
 * log_statements) nothing is. On SQLite, through the built tool.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define DAL_BIN TOP_BUILDDIR "/cli/dal"

/* Run the tool through sh with args (shell words), stderr into stdout. */
static char *run(const char *args)
{
	static char out[16384];
	char cmd[2048];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof cmd, "sh %s %s 2>&1", DAL_BIN, args);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	return out;
}

START_TEST(test_cli_verbose_logs_statements)
{
	char *dir = tu_mkdtemp(), args[1024];
	const char *out;

	snprintf(args, sizeof args,
	         "-v -u sqlite:///%s/v.db exec 'CREATE TABLE t (n INTEGER)' "
	         "exec 'INSERT INTO t VALUES (1), (2)' query 'SELECT n FROM t'", dir);
	out = run(args);
	ck_assert_msg(tu_contains(out, "info: main: ") &&
	              tu_contains(out, " ms, 2 rows: INSERT INTO t VALUES (1), (2)") &&
	              tu_contains(out, " ms, 2 rows: SELECT n FROM t"), "%s", out);
	snprintf(args, sizeof args, "-u sqlite:///%s/v.db query 'SELECT n FROM t'", dir);
	out = run(args);
	ck_assert_msg(!tu_contains(out, "rows: SELECT"), "%s", out);
	/* The setting does the same without -v. */
	snprintf(args, sizeof args,
	         "-u 'sqlite:///%s/v.db?log_statements=on' query 'SELECT n FROM t'", dir);
	out = run(args);
	ck_assert_msg(tu_contains(out, " ms, 2 rows: SELECT n FROM t"), "%s", out);
	tu_rmtree(dir);
}
END_TEST


/* examples/rows_demo: the row helpers, a nested unit and the statement log
 * as docs/rows.md shows them. */
START_TEST(test_rows_demo_runs)
{
	static char out[16384];
	FILE *p = popen("sh " TOP_BUILDDIR "/examples/rows_demo sqlite::memory: 2>&1", "r");
	size_t n;

	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_msg(tu_contains(out, "inserted id 1\n") &&
	              tu_contains(out, "duplicate refused (DAL_ECONSTRAINT); unit rolled back\n") &&
	              tu_contains(out, "2 teams\n1 compilers 5\n2 kernel 7\n") &&
	              tu_contains(out, "ROLLBACK TO SAVEPOINT") &&
	              tu_contains(out, "ON CONFLICT (\"name\") DO UPDATE SET \"size\" = EXCLUDED.\"size\" [1='kernel', 2=7]"),
	              "%s", out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli_stmtlog");
	TCase *tc = tcase_create("cli_stmtlog");

	tu_clear_env();
	tcase_add_test(tc, test_cli_verbose_logs_statements);
	tcase_add_test(tc, test_rows_demo_runs);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
