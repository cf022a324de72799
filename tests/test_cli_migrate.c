/*
 * `dal migrate` and `dal db-reset`, run as separate processes exactly as a
 * user runs them, once per backend (part of the test_migrate program, see
 * migrate_util.h): output and exit status of each subcommand, usage errors
 * found before anything runs, a modified file refused, and two migrator
 * processes started at once, of which only one applies each migration.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dal/migrate.h>

#include "migrate_util.h"
#include "testutil.h"

void cli_migrate_tests(Suite *s);

/* Run `dal -c INI args...` (NULL-terminated); it must exit with code, print
 * exactly out on stdout and err_has somewhere on stderr (each unless NULL).
 * line: the caller's, for the failure message. */
static void expect_dal_at(int line, const struct mt *t, int code, const char *out,
                          const char *err_has, ...)
{
	struct tu_run r;
	va_list ap;

	va_start(ap, err_has);
	mt_dal_va(t, &r, ap);
	va_end(ap);
	ck_assert_msg(r.status == code, "line %d: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s",
	              line, r.status, code, r.out, r.err);
	ck_assert_msg(!out || strcmp(r.out, out) == 0, "line %d: stdout:\n%s\nexpected:\n%s",
	              line, r.out, out);
	ck_assert_msg(!err_has || tu_contains(r.err, err_has), "line %d: '%s' not in stderr:\n%s",
	              line, err_has, r.err);
	tu_run_free(&r);
}
#define expect_dal(t, code, out, err_has, ...) \
	expect_dal_at(__LINE__, (t), (code), (out), (err_has), __VA_ARGS__)

static void two(const struct mt *t)
{
	mt_file(t, "0001_users.sql", "CREATE TABLE c_users (id INTEGER PRIMARY KEY);");
	mt_file(t, "0001_users.down.sql", "DROP TABLE c_users;");
	mt_file(t, "0002_seed.sql", "INSERT INTO c_users (id) VALUES (1);");
	mt_file(t, "0002_seed.down.sql", "DELETE FROM c_users;");
}

START_TEST(test_cli_migrate_subcommands)
{
	struct tu_run r;
	struct mt t;

	if (!mt_setup(&t, _i, NULL))
		return;
	two(&t);

	mt_dal(&t, &r, "migrate", "status", NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "version  name                         state     applied at");
	tu_assert_has(r.out, "\n1        users                        pending");
	tu_assert_has(r.out, "main at version 0: 0 applied, 2 pending, 0 modified, 0 missing, 0 dirty\n");
	tu_run_free(&r);

	expect_dal(&t, 0, "applied 0001_users.sql\nmain: 1 migration(s) applied, now at "
	           "version 1\n", NULL,
	           "migrate", "up", "--to", "1", NULL);

	expect_dal(&t, 0, "applied 0002_seed.sql\nmain: 1 migration(s) applied, now at "
	           "version 2\n", NULL,
	           "migrate", "up", NULL);

	expect_dal(&t, 0, "main: nothing to apply, at version 2\n", NULL,
	           "migrate", "up", NULL);

	mt_dal(&t, &r, "migrate", "history", NULL);
	tu_assert_run(&r, 0);
	ck_assert_int_eq(mt_count(r.out, "\n"), 2);
	tu_assert_has(r.out, " 1        users  ");
	tu_assert_has(r.out, "sha256:");
	tu_run_free(&r);

	mt_dal(&t, &r, "migrate", "verify", NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "ok: the applied migrations of main match ");
	tu_run_free(&r);

	/* A changed file: verify and status exit 1, up refuses naming it. */
	mt_file(&t, "0002_seed.sql", "INSERT INTO c_users (id) VALUES (2);");
	mt_dal(&t, &r, "migrate", "verify", NULL);
	tu_assert_run(&r, 1);
	tu_assert_has(r.out, "modified: ");
	tu_assert_has(r.out, "/mig/0002_seed.sql: sha256 now ");
	tu_assert_has(r.err, "dal: migrate: DAL_ECONFIG: 1 applied migration(s) do not match");
	tu_run_free(&r);
	mt_dal(&t, &r, "migrate", "status", NULL);
	tu_assert_run(&r, 1);
	tu_assert_has(r.out, "\n2        seed                         modified ");
	tu_run_free(&r);
	expect_dal(&t, 1, NULL, "0002_seed.sql was modified after it was applied",
	           "migrate", "up", NULL);
	expect_dal(&t, 0, "main: stamped at version 2\n", NULL,
	           "migrate", "stamp", "2", NULL);

	expect_dal(&t, 0, "reverted 0002_seed.sql\nmain: 1 migration(s) reverted, now at "
	           "version 1\n", NULL,
	           "migrate", "down", NULL);
	expect_dal(&t, 0, "reverted 0001_users.sql\nmain: 1 migration(s) reverted, now at "
	           "version 0\n", NULL,
	           "migrate", "down", "--to", "0", NULL);

	/* --dir instead of the setting. */
	expect_dal(&t, 1, NULL, "dal: migrate: DAL_ECONFIG: migrations directory /nonexistent: ",
	           "migrate", "--dir", "/nonexistent", "status", NULL);
	mt_teardown(&t);
}
END_TEST

/* dal config shows both settings with their sources. */
START_TEST(test_cli_config_shows_migration_settings)
{
	struct tu_run r;
	struct mt t;
	char want[600];

	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	mt_dal(&t, &r, "config", NULL);
	tu_assert_run(&r, 0);
	snprintf(want, sizeof want, "migrations            %s/mig", t.dir);
	tu_assert_has(r.out, want);
	tu_assert_has(r.out, "dal.ini:3\n");
	tu_assert_has(r.out, "auto_migrate          off");
	tu_run_free(&r);
	/* dal plugins shows the dialect the plugin declares. */
	mt_dal(&t, &r, "plugins", NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "  kind:         file\n  dialect:      sqlite\n");
	tu_run_free(&r);
	mt_teardown(&t);
}
END_TEST

/* Usage errors exit 2 before any command of the chain runs. */
START_TEST(test_cli_migrate_usage_errors)
{
	static const char *const cases[][4] = {
		{"migrate", NULL, NULL, "missing subcommand"},
		{"migrate", "sideways", NULL, "unknown subcommand 'sideways'"},
		{"migrate", "stamp", NULL, "stamp needs a version"},
		{"migrate", "up", "--to", "option '--to' needs an argument"},
		{"migrate", "status", "--to", "option '--to' needs an argument"},
		{"db-reset", NULL, NULL, "refusing to drop every table, view and sequence without "
		                         "--yes"},
		{"db-reset", "--yes", "--dry-run", "cannot be used together"},
		{"db-reset", "--force", NULL, "unknown option '--force'"},
	};
	struct tu_run r;
	struct mt t;

	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		mt_dal(&t, &r, "exec", "CREATE TABLE ran (x)", cases[k][0], cases[k][1],
		       cases[k][2], NULL);
		tu_assert_run(&r, 2);
		tu_assert_has(r.err, cases[k][3]);
		ck_assert_str_eq(r.out, "");
		tu_run_free(&r);
	}
	expect_dal(&t, 2, NULL, "--to 'x' is not a version",
	           "migrate", "up", "--to", "x", NULL);
	expect_dal(&t, 2, NULL, "unknown option '--to' for migrate status",
	           "migrate", "status", "--to", "1", NULL);
	/* Nothing ran: the table of the first command does not exist. */
	expect_dal(&t, 1, NULL, NULL,
	           "query", "SELECT count(*) FROM ran", NULL);
	mt_dal(&t, &r, "migrate", "--help", NULL);
	tu_assert_run(&r, 0);
	tu_assert_has(r.out, "Usage: dal migrate up [--to N]");
	tu_run_free(&r);
	mt_teardown(&t);
}
END_TEST

START_TEST(test_cli_db_reset)
{
	struct mt t;

	if (!mt_setup(&t, _i, NULL))
		return;
	expect_dal(&t, 0, NULL, NULL,
	           "exec", "CREATE TABLE d_one (x INTEGER)", "exec",
	           "CREATE VIEW d_view AS SELECT x FROM d_one", NULL);

	expect_dal(&t, 0, "would drop view d_view\nwould drop table d_one\n"
	           "main: 2 object(s) would be dropped (dry run)\n", NULL,
	           "db-reset", "--dry-run", NULL);
	expect_dal(&t, 0, NULL, NULL,
	           "query", "SELECT count(*) AS n FROM d_one", NULL);

	expect_dal(&t, 0, "dropping view d_view\ndropping table d_one\n"
	           "main: 2 object(s) dropped\n", NULL,
	           "db-reset", "--yes", NULL);
	expect_dal(&t, 1, NULL, NULL,
	           "query", "SELECT count(*) AS n FROM d_one", NULL);
	expect_dal(&t, 0, "main: 0 object(s) would be dropped (dry run)\n", NULL,
	           "db-reset", "--dry-run", NULL);
	mt_teardown(&t);
}
END_TEST

/* Start `dal -c INI migrate up` with output to dir/name.out/.err. */
static pid_t start_migrator(const struct mt *t, const char *name)
{
	const char *argv[8];
	char out[512], err[512];
	int argc = 0;

	snprintf(out, sizeof out, "%s/%s.out", t->dir, name);
	snprintf(err, sizeof err, "%s/%s.err", t->dir, name);
	if (tu_is_script(TOP_BUILDDIR "/cli/dal")) /* else a static dal */
		argv[argc++] = "/bin/sh";
	argv[argc++] = TOP_BUILDDIR "/cli/dal";
	argv[argc++] = "-c";
	argv[argc++] = t->ini;
	argv[argc++] = "migrate";
	argv[argc++] = "up";
	argv[argc] = NULL;
	return tu_spawn(argv, NULL, out, err);
}

static char *read_text(const struct mt *t, const char *name)
{
	char path[512], *text;

	snprintf(path, sizeof path, "%s/%s", t->dir, name);
	ck_assert_ptr_nonnull(text = tu_read_file(path));
	return text;
}

/* Two migrators started at once: each migration is applied by exactly one
 * of them, both succeed, and the migration that creates a table (which
 * would fail a second time) ran once. 0001 is slow, so both are running
 * while it is applied. */
START_TEST(test_cli_migrate_two_processes_at_once)
{
	char *out[2], *err[2];
	int st[2];
	pid_t pid[2];
	dal_repo *db;
	struct mt t;

	if (!mt_setup(&t, _i, NULL))
		return;
	{
		char sql[512];
		snprintf(sql, sizeof sql, "%sCREATE TABLE p_one (x INTEGER);\n", mt_slow_sql(&t));
		mt_file(&t, "0001_slow.sql", sql);
	}
	mt_file(&t, "0002_two.sql", "CREATE TABLE p_two (x INTEGER);");
	mt_file(&t, "0003_three.sql", "CREATE TABLE p_three (x INTEGER);");
	pid[0] = start_migrator(&t, "a");
	pid[1] = start_migrator(&t, "b");
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(waitpid(pid[k], &st[k], 0), pid[k]);
		out[k] = read_text(&t, k ? "b.out" : "a.out");
		err[k] = read_text(&t, k ? "b.err" : "a.err");
	}
	for (int k = 0; k < 2; k++)
		ck_assert_msg(WIFEXITED(st[k]) && WEXITSTATUS(st[k]) == 0,
		              "migrator %d: status %d\nstdout:\n%s\nstderr:\n%s", k, st[k], out[k],
		              err[k]);
	ck_assert_int_eq(mt_count(out[0], "applied 0001_slow.sql") +
	                 mt_count(out[1], "applied 0001_slow.sql"), 1);
	ck_assert_int_eq(mt_count(out[0], "applied 0002_two.sql") +
	                 mt_count(out[1], "applied 0002_two.sql"), 1);
	ck_assert_int_eq(mt_count(out[0], "applied 0003_three.sql") +
	                 mt_count(out[1], "applied 0003_three.sql"), 1);
	db = mt_open(&t);
	ck_assert_int_eq(mt_scalar(db, "SELECT count(*) FROM schema_version"), 3);
	ck_assert_int_eq(mt_scalar(db, "SELECT count(*) FROM p_three"), 0);
	dal_repo_close(db);
	for (int k = 0; k < 2; k++) {
		free(out[k]);
		free(err[k]);
	}
	mt_teardown(&t);
}
END_TEST

/* With the lock held by another process, a migrator with no patience
 * gives up with DAL_EBUSY (servers: the session lock; SQLite: the write
 * lock of BEGIN IMMEDIATE). */
START_TEST(test_cli_migrate_lock_timeout)
{
	struct tu_run r;
	pid_t pid;
	int st;
	struct mt t;

	if (!mt_setup(&t, _i, NULL))
		return;
	{
		char sql[512];
		/* Twice the slow statement: about three seconds held. */
		snprintf(sql, sizeof sql, "%s%s", mt_slow_sql(&t), mt_slow_sql(&t));
		mt_file(&t, "0001_slow.sql", sql);
	}
	pid = start_migrator(&t, "holder");
	/* The holder keeps the lock for about three seconds once it has it. */
	mt_wait_lock_held(&t);
	mt_dal(&t, &r, "migrate", "up", "--lock-timeout", "0", NULL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "holder failed: %d", st);
	tu_assert_run(&r, 1);
	tu_assert_has(r.err, "DAL_EBUSY");
	tu_assert_has(r.err, "gave up after 0 ms");
	tu_run_free(&r);
	mt_teardown(&t);
}
END_TEST

void cli_migrate_tests(Suite *s)
{
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_cli_migrate_subcommands, 0, MT_N);
	tcase_add_test(tc, test_cli_migrate_usage_errors);
	tcase_add_test(tc, test_cli_config_shows_migration_settings);
	tcase_add_loop_test(tc, test_cli_db_reset, 0, MT_N);
	tcase_add_loop_test(tc, test_cli_migrate_two_processes_at_once, 0, MT_N);
	tcase_add_loop_test(tc, test_cli_migrate_lock_timeout, 0, MT_N);
	suite_add_tcase(s, tc);
}
