/*
 * The migration API (<dal/migrate.h>) and dal_repo_drop_all() on SQLite and
 * on the test servers (each case runs once per backend; a server without a
 * URL is skipped with a line on stderr): up, down, status, history, stamp
 * and verify, refusal of a modified file, a failing migration (rolled back,
 * or recorded dirty without transactional DDL), auto_migrate on open, the
 * file name rules, the SHA-256 checksums, and reset. Public API only. The
 * `dal` tool's cases, including two migrator processes started at once,
 * are in test_cli_migrate.c, part of this program.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dal/copy.h>
#include <dal/dialect.h>
#include <dal/migrate.h>

#include "migrate_util.h"
#include "testutil.h"

void cli_migrate_tests(Suite *s);

/* Collected states of a status/verify run, by version (1..9). */
struct seen {
	dal_migration_state state[10];
	int n;
	char checksum[10][65];
};

static void collect(const dal_migration_info *m, void *ud)
{
	struct seen *s = ud;

	ck_assert_int_lt(m->version, 10);
	s->state[m->version] = m->state;
	if (m->checksum)
		snprintf(s->checksum[m->version], 65, "%s", m->checksum);
	s->n++;
}

static dal_migrator *open_mig(const struct mt *t, dal_repo *r)
{
	dal_migrator *m = NULL;
	dal_error err;

	ck_assert_msg(dal_migrator_open(&m, r, t->mig, &err) == DAL_OK, "%s", err.message);
	return m;
}

static struct seen status(dal_migrator *m, int64_t *cur, int *problems)
{
	struct seen s;
	dal_error err;

	memset(&s, 0, sizeof s);
	ck_assert_msg(dal_migrator_status(m, collect, &s, cur, problems, &err) == DAL_OK, "%s",
	              err.message);
	return s;
}

/* Three migrations; 0003 has a variant per backend and a generic file that
 * is not SQL, so that running the generic one fails. */
static void three(const struct mt *t)
{
	mt_file(t, "0001_users.sql", "CREATE TABLE m_users (id INTEGER PRIMARY KEY, "
	                             "name VARCHAR(40) DEFAULT 'a;b');\n"
	                             "-- a comment; with a semicolon\n"
	                             "INSERT INTO m_users (id) VALUES (1);\n");
	mt_file(t, "0001_users.down.sql", "DROP TABLE m_users;");
	mt_file(t, "0002_more.sql", "INSERT INTO m_users (id, name) VALUES (2, 'it''s');");
	mt_file(t, "0002_more.down.sql", "DELETE FROM m_users WHERE id = 2;");
	mt_file(t, "0003_typed.sql", "this is not SQL");
	/* Bodies with their own semicolons: a trigger, a procedure, a $$
	 * function; the server's parser, not libdal, splits the file. */
	mt_file(t, "0003_typed.sqlite.sql",
	        "CREATE TABLE m_typed (x INTEGER);\n"
	        "CREATE TRIGGER m_trg AFTER INSERT ON m_typed BEGIN\n"
	        "  UPDATE m_typed SET x = x + 1 WHERE rowid = new.rowid;\n"
	        "  SELECT 1;\n"
	        "END;\n");
	mt_file(t, "0003_typed.mysql.sql",
	        "CREATE TABLE m_typed (x INT) ENGINE=InnoDB;\n"
	        "CREATE PROCEDURE m_p() BEGIN SELECT 1; SELECT 2; END;\n");
	mt_file(t, "0003_typed.mysql.down.sql", "DROP PROCEDURE m_p; DROP TABLE m_typed;");
	mt_file(t, "0003_typed.postgresql.sql",
	        "CREATE TABLE m_typed (x int);\n"
	        "CREATE FUNCTION m_f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ "
	        "LANGUAGE plpgsql;\n");
	mt_file(t, "0003_typed.down.sql", "DROP TABLE m_typed;");
	mt_file(t, "0003_typed.postgresql.down.sql", "DROP FUNCTION m_f(); DROP TABLE m_typed;");
	mt_file(t, "README.md", "not a migration: ignored");
}

START_TEST(test_migrate_up_down_status_history_stamp)
{
	dal_migrator *m;
	struct seen s;
	dal_error err;
	dal_repo *r;
	int64_t cur = -1;
	int n = -1, problems = -1;
	struct mt t;

	if (!mt_setup(&t, _i, NULL))
		return;
	three(&t);
	r = mt_open(&t);
	m = open_mig(&t, r);
	/* What the plugin declares, read through the public API. */
	ck_assert_str_eq(dal_repo_dialect(r), t.type);
	ck_assert_str_eq(dal_repo_ident_quote(r), t.backend == MT_MYSQL ? "``" : "\"\"");

	s = status(m, &cur, &problems);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(cur, 0);
	ck_assert_int_eq(s.state[1], DAL_MIGRATION_PENDING);
	ck_assert_int_eq(s.state[3], DAL_MIGRATION_PENDING);

	ck_assert_msg(dal_migrator_up(m, 2, &n, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_users"), 2);
	s = status(m, &cur, &problems);
	ck_assert_int_eq(cur, 2);
	ck_assert_int_eq(problems, 0);
	ck_assert_int_eq(s.state[2], DAL_MIGRATION_APPLIED);
	ck_assert_int_eq(s.state[3], DAL_MIGRATION_PENDING);

	/* The variant of this backend runs, not the generic file. */
	ck_assert_msg(dal_migrator_up(m, -1, &n, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_typed"), 0);
	if (t.backend == MT_SQLITE) { /* the whole trigger body was created */
		ck_assert_int_eq(dal_repo_exec(r, "INSERT INTO m_typed VALUES (1)", NULL, &err),
		                 DAL_OK);
		ck_assert_int_eq(mt_scalar(r, "SELECT x FROM m_typed"), 2);
	}
	if (t.backend == MT_PGSQL)
		ck_assert_int_eq(mt_scalar(r, "SELECT m_f()"), 1);
	ck_assert_int_eq(dal_migrator_up(m, -1, &n, &err), DAL_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM schema_version"), 3);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM schema_version WHERE dirty = 0 "
	                              "AND duration_ms >= 0 AND applied_at LIKE '2%Z'"), 3);

	memset(&s, 0, sizeof s);
	ck_assert_int_eq(dal_migrator_history(m, collect, &s, &err), DAL_OK);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(strlen(s.checksum[3]), 64);
	ck_assert_int_eq(dal_migrator_verify(m, NULL, NULL, &err), DAL_OK);

	/* down: the newest only, then everything. */
	ck_assert_msg(dal_migrator_down(m, -1, &n, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_typed"), -1);
	s = status(m, &cur, NULL);
	ck_assert_int_eq(cur, 2);
	ck_assert_int_eq(s.state[3], DAL_MIGRATION_PENDING);
	ck_assert_msg(dal_migrator_down(m, 0, &n, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_users"), -1);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM schema_version"), 0);

	/* stamp records without running: m_users stays absent. */
	ck_assert_msg(dal_migrator_stamp(m, 2, &err) == DAL_OK, "%s", err.message);
	s = status(m, &cur, &problems);
	ck_assert_int_eq(cur, 2);
	ck_assert_int_eq(problems, 0);
	ck_assert_int_eq(s.state[1], DAL_MIGRATION_APPLIED);
	ck_assert_int_eq(s.state[3], DAL_MIGRATION_PENDING);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_users"), -1);
	ck_assert_int_eq(dal_migrator_stamp(m, 0, &err), DAL_OK);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM schema_version"), 0);

	/* Versions that do not exist. */
	ck_assert_int_eq(dal_migrator_up(m, 7, NULL, &err), DAL_EMISUSE);
	ck_assert_msg(tu_contains(err.message, "no migration has version 7"), "%s", err.message);
	ck_assert_int_eq(dal_migrator_stamp(m, 9, &err), DAL_EMISUSE);

	dal_migrator_close(m);
	dal_repo_close(r);
	mt_teardown(&t);
}
END_TEST

START_TEST(test_migrate_refuses_modified_file)
{
	dal_migrator *m;
	struct seen s;
	dal_error err;
	dal_repo *r;
	int problems = 0;
	struct mt t;

	if (!mt_setup(&t, _i, NULL))
		return;
	three(&t);
	r = mt_open(&t);
	m = open_mig(&t, r);
	ck_assert_int_eq(dal_migrator_up(m, 2, NULL, &err), DAL_OK);
	dal_migrator_close(m);

	mt_file(&t, "0002_more.sql", "INSERT INTO m_users (id, name) VALUES (2, 'changed');");
	m = open_mig(&t, r);
	memset(&s, 0, sizeof s);
	ck_assert_int_eq(dal_migrator_verify(m, collect, &s, &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "2_more modified"), "%s", err.message);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.state[2], DAL_MIGRATION_MODIFIED);
	s = status(m, NULL, &problems);
	ck_assert_int_eq(problems, 1);

	/* up refuses before running anything, naming the file. */
	ck_assert_int_eq(dal_migrator_up(m, -1, NULL, &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "0002_more.sql was modified after it was applied"),
	              "%s", err.message);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM schema_version"), 2);
	ck_assert_int_eq(dal_migrator_down(m, -1, NULL, &err), DAL_ECONFIG);

	/* A file of an applied migration that is gone: missing. */
	dal_migrator_close(m);
	mt_file(&t, "0002_more.sql", "INSERT INTO m_users (id, name) VALUES (2, 'it''s');");
	m = open_mig(&t, r);
	ck_assert_int_eq(dal_migrator_verify(m, NULL, NULL, &err), DAL_OK);
	dal_migrator_close(m);
	mt_unlink(&t, "0001_users.sql");
	mt_unlink(&t, "0001_users.down.sql");
	m = open_mig(&t, r);
	memset(&s, 0, sizeof s);
	ck_assert_int_eq(dal_migrator_verify(m, collect, &s, &err), DAL_ECONFIG);
	ck_assert_int_eq(s.state[1], DAL_MIGRATION_MISSING);

	/* stamp accepts the directory as it is. */
	mt_file(&t, "0001_users.sql", "-- squashed\n");
	dal_migrator_close(m);
	m = open_mig(&t, r);
	ck_assert_int_eq(dal_migrator_stamp(m, 2, &err), DAL_OK);
	ck_assert_int_eq(dal_migrator_verify(m, NULL, NULL, &err), DAL_OK);

	dal_migrator_close(m);
	dal_repo_close(r);
	mt_teardown(&t);
}
END_TEST

/* A migration that fails on its second statement: with transactional DDL
 * nothing of it stays; without (MySQL) it is recorded dirty and blocks. */
START_TEST(test_migrate_failure_rolls_back_or_marks_dirty)
{
	dal_migrator *m;
	struct seen s;
	dal_error err;
	dal_repo *r;
	int64_t cur;
	struct mt t;
	int n;

	if (!mt_setup(&t, _i, NULL))
		return;
	mt_file(&t, "0001_ok.sql", "CREATE TABLE m_ok (x INTEGER);");
	mt_file(&t, "0002_half.sql", "CREATE TABLE m_half (x INTEGER);\n"
	                             "CREATE TABLE m_half (x INTEGER);\n");
	r = mt_open(&t);
	m = open_mig(&t, r);
	ck_assert_int_ne(dal_migrator_up(m, -1, &n, &err), DAL_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_msg(tu_contains(err.message, "0002_half.sql"), "%s", err.message);
	ck_assert_str_ne(err.sqlstate, "HY000"); /* the database's own */
	s = status(m, &cur, NULL);
	if (dal_repo_capabilities(r) & DAL_CAP_TRANSACTIONAL_DDL) {
		ck_assert_int_eq(t.backend == MT_MYSQL, 0);
		ck_assert_int_eq(s.state[2], DAL_MIGRATION_PENDING);
		ck_assert_int_eq(cur, 1);
		ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_half"), -1);
	} else {
		ck_assert_int_eq(t.backend, MT_MYSQL);
		ck_assert_msg(tu_contains(err.message, "marks version 2 dirty"), "%s", err.message);
		ck_assert_int_eq(s.state[2], DAL_MIGRATION_DIRTY);
		ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_half"), 0);
		ck_assert_int_eq(dal_migrator_up(m, -1, NULL, &err), DAL_ECONFIG);
		ck_assert_msg(tu_contains(err.message, "is dirty"), "%s", err.message);
		ck_assert_int_eq(dal_migrator_verify(m, NULL, NULL, &err), DAL_ECONFIG);
		/* Repaired by hand (the table is what 0002 makes): stamp. */
		ck_assert_int_eq(dal_migrator_stamp(m, 2, &err), DAL_OK);
		ck_assert_int_eq(dal_migrator_verify(m, NULL, NULL, &err), DAL_OK);
	}
	dal_migrator_close(m);
	dal_repo_close(r);
	mt_teardown(&t);
}
END_TEST

/* Checksums are SHA-256 of the file: FIPS 180-4 examples (one block, two
 * blocks of padding, a million bytes). */
START_TEST(test_migrate_checksum_is_sha256)
{
	dal_migrator *m;
	struct seen s;
	dal_repo *r;
	struct mt t;
	char *big = malloc(1000001);

	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	memset(big, 'a', 1000000);
	big[1000000] = '\0';
	mt_file(&t, "0001_a.sql", "abc");
	mt_file(&t, "0002_b.sql", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
	mt_file(&t, "0003_c.sql", big);
	mt_file(&t, "0004_d.sql", "");
	free(big);
	r = mt_open(&t);
	m = open_mig(&t, r);
	s = status(m, NULL, NULL);
	ck_assert_str_eq(s.checksum[1],
	                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_str_eq(s.checksum[2],
	                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	ck_assert_str_eq(s.checksum[3],
	                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	ck_assert_str_eq(s.checksum[4],
	                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	dal_migrator_close(m);
	dal_repo_close(r);
	mt_teardown(&t);
}
END_TEST

static void expect_open_error(const struct mt *t, dal_repo *r, const char *needle)
{
	dal_migrator *m = (dal_migrator *)1;
	dal_error err;

	ck_assert_int_eq(dal_migrator_open(&m, r, t->mig, &err), DAL_ECONFIG);
	ck_assert_ptr_null(m);
	ck_assert_msg(tu_contains(err.message, needle), "expected '%s' in: %s", needle,
	              err.message);
}

START_TEST(test_migrate_file_name_rules)
{
	dal_repo *r;
	struct mt t;

	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	r = mt_open(&t);
	mt_file(&t, "0001_ok.sql", "SELECT 1;");
	mt_file(&t, "notes.sql", "");
	expect_open_error(&t, r, "notes.sql: not a migration file name");
	mt_unlink(&t, "notes.sql");

	mt_file(&t, "0001_other.sql", "");
	expect_open_error(&t, r, "version 1 has two names");
	mt_unlink(&t, "0001_other.sql");

	mt_file(&t, "0002_pg.postgresql.sql", "");
	expect_open_error(&t, r, "0002_pg.postgresql.sql: a variant for another backend only");
	mt_file(&t, "0002_pg.sql", "");
	mt_file(&t, "0003_x.down.sql", "");
	expect_open_error(&t, r, "0003_x.down.sql: a down migration without its up migration");
	mt_unlink(&t, "0003_x.down.sql");
	mt_file(&t, "0004_bad name.sql", "");
	expect_open_error(&t, r, "0004_bad name.sql: not a migration file name");
	dal_repo_close(r);

	/* No directory at all. */
	{
		dal_migrator *m;
		dal_error err;

		r = mt_open(&t);
		ck_assert_int_eq(dal_migrator_open(&m, r, NULL, &err), DAL_ECONFIG);
		ck_assert_msg(tu_contains(err.message, "has no migrations directory"), "%s",
		              err.message);
		ck_assert_int_eq(dal_migrator_open(&m, r, "/nonexistent/dir", &err), DAL_ECONFIG);
		ck_assert_msg(tu_contains(err.message, "/nonexistent/dir"), "%s", err.message);
		dal_repo_close(r);
	}
	mt_teardown(&t);
}
END_TEST

/* auto_migrate = on: the open applies pending migrations, once per process
 * and database; a failure fails the open; a switch without a directory is
 * an error. */
START_TEST(test_migrate_auto_on_open)
{
	dal_config *cfg;
	dal_repo *r, *r2;
	dal_error err;
	struct mt t;

	if (!mt_setup(&t, _i, "auto_migrate = on\n"))
		return;
	mt_file(&t, "0001_a.sql", "CREATE TABLE m_auto (x INTEGER);");
	ck_assert_msg(dal_config_load(&cfg, t.ini, &err) == DAL_OK, "%s", err.message);
	ck_assert_msg(dal_repo_open(&r, cfg, "main", NULL, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_auto"), 0);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM schema_version"), 1);

	/* Once per process: a migration added now is not applied by the
	 * next open of the same database here... */
	mt_file(&t, "0002_b.sql", "CREATE TABLE m_auto2 (x INTEGER);");
	ck_assert_int_eq(dal_repo_open(&r2, cfg, "main", NULL, &err), DAL_OK);
	ck_assert_int_eq(mt_scalar(r2, "SELECT count(*) FROM schema_version"), 1);
	dal_repo_close(r2);
	/* ...but by another process's first open. */
	{
		struct tu_run run;

		mt_dal(&t, &run, "query", "SELECT count(*) AS n FROM m_auto2", NULL);
		ck_assert_msg(run.status == 0, "%s%s", run.out, run.err);
		tu_run_free(&run);
	}
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM schema_version"), 2);
	dal_repo_close(r);

	/* A failing migration fails the open (another process: this one has
	 * checked its database). */
	mt_file(&t, "0003_bad.sql", "CREATE TABLE m_auto (x INTEGER);");
	{
		struct tu_run run;

		mt_dal(&t, &run, "ping", NULL);
		ck_assert_msg(run.status == 1, "%s%s", run.out, run.err);
		ck_assert_msg(tu_contains(run.err, "repository 'main': auto_migrate: "), "%s",
		              run.err);
		ck_assert_msg(tu_contains(run.err, "0003_bad.sql"), "%s", run.err);
		tu_run_free(&run);
	}
	dal_config_free(cfg);

	/* auto_migrate without migrations: refused, naming the line. */
	{
		char *ini = tu_write_file(t.dir, "bad.ini", "[main]\ntype = sqlite\n"
		                                            "auto_migrate = on\n");
		ck_assert_int_eq(dal_config_load(&cfg, ini, &err), DAL_OK);
		ck_assert_int_eq(dal_repo_open(&r, cfg, "main", NULL, &err), DAL_ECONFIG);
		ck_assert_msg(tu_contains(err.message, "bad.ini:3: auto_migrate is on but "
		                                       "repository 'main' has no migrations"),
		              "%s", err.message);
		dal_config_free(cfg);
		free(ini);
	}
	mt_teardown(&t);
}
END_TEST

/* A migrations directory in the INI is relative to the INI file. */
START_TEST(test_migrate_dir_relative_to_ini)
{
	dal_config *cfg;
	dal_error err;
	dal_repo *r;
	struct mt t;
	char *want;

	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	ck_assert_int_eq(dal_config_load(&cfg, t.ini, &err), DAL_OK);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_msg(dal_repo_open(&r, cfg, "main", NULL, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_ne(asprintf(&want, "%s/mig", t.dir), -1);
	ck_assert_str_eq(dal_repo_migrations_dir(r), want);
	ck_assert_str_eq(dal_repo_dialect(r), "sqlite");
	ck_assert_str_eq(dal_repo_ident_quote(r), "\"\"");
	free(want);
	dal_repo_close(r);
	dal_config_free(cfg);
	mt_teardown(&t);
}
END_TEST

struct listed {
	char text[2048];
	size_t n;
};

static void list_object(const char *kind, const char *name, void *ud)
{
	struct listed *l = ud;
	size_t len = strlen(l->text);

	snprintf(l->text + len, sizeof l->text - len, "%s %s\n", kind, name);
	l->n++;
}

/* Reset: a dry run lists and keeps; the real one drops tables (with a
 * foreign key between them), views and sequences, and nothing of another
 * database or schema. */
START_TEST(test_reset_drops_own_objects_only)
{
	struct listed l = {0};
	dal_repo *r, *other = NULL;
	dal_error err;
	struct mt t;
	size_t n;

	if (!mt_setup(&t, _i, NULL))
		return;
	r = mt_open(&t);
	ck_assert_int_eq(dal_repo_exec(r, "CREATE TABLE r_parent (id INTEGER PRIMARY KEY)",
	                               NULL, &err), DAL_OK);
	ck_assert_msg(dal_repo_exec(r, "CREATE TABLE r_child (id INTEGER PRIMARY KEY, p INTEGER "
	                               "REFERENCES r_parent (id))", NULL, &err) == DAL_OK,
	              "%s", err.message);
	ck_assert_int_eq(dal_repo_exec(r, "INSERT INTO r_parent VALUES (1)", NULL, &err), DAL_OK);
	ck_assert_int_eq(dal_repo_exec(r, "INSERT INTO r_child VALUES (1, 1)", NULL, &err), DAL_OK);
	ck_assert_int_eq(dal_repo_exec(r, "CREATE VIEW r_view AS SELECT id FROM r_child", NULL,
	                               &err), DAL_OK);
	/* A name holding the dialect's closing quote, doubled when quoted. */
	ck_assert_msg(dal_repo_exec(r, t.backend == MT_MYSQL ? "CREATE TABLE `r_we``ird` (x INT)"
	                                                      : "CREATE TABLE \"r_we\"\"ird\" (x INT)",
	                            NULL, &err) == DAL_OK, "%s", err.message);
	if (t.backend != MT_SQLITE)
		ck_assert_msg(dal_repo_exec(r, "CREATE SEQUENCE r_seq", NULL, &err) == DAL_OK, "%s",
		              err.message);
	if (t.backend == MT_PGSQL) {
		/* Another schema of the same database... */
		dal_repo_exec(r, "DROP SCHEMA IF EXISTS r_other CASCADE", NULL, NULL);
		ck_assert_int_eq(dal_repo_exec(r, "CREATE SCHEMA r_other; CREATE TABLE "
		                                  "r_other.keep (x int)", NULL, &err), DAL_OK);
	}
	if (t.backend != MT_SQLITE) {
		/* ...and the suite's usual database on the same server. */
		ck_assert_int_eq(dal_repo_open_url(&other, t.other_url, &err), DAL_OK);
		dal_repo_exec(other, "DROP TABLE IF EXISTS r_keep", NULL, NULL);
		ck_assert_int_eq(dal_repo_exec(other, "CREATE TABLE r_keep (x INTEGER)", NULL,
		                               &err), DAL_OK);
	}

	ck_assert_int_eq(dal_repo_drop_all(r, DAL_DROP_DRY_RUN, list_object, &l, &n, &err),
	                 DAL_OK);
	ck_assert_uint_eq(n, t.backend == MT_SQLITE ? 4 : 5);
	ck_assert_uint_eq(l.n, n);
	ck_assert_msg(tu_contains(l.text, "view r_view\ntable r_child\ntable r_parent\n"), "%s",
	              l.text);
	ck_assert_msg(tu_contains(l.text, t.backend == MT_MYSQL ? "table r_we`ird\n"
	                                                        : "table r_we\"ird\n"),
	              "%s", l.text);
	if (t.backend != MT_SQLITE)
		ck_assert_msg(tu_contains(l.text, "sequence r_seq\n"), "%s", l.text);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM r_child"), 1);

	if (t.backend == MT_PGSQL) {
		/* A view in the other schema depends on our r_parent: the reset
		 * fails on it rather than drop the other schema's view. */
		ck_assert_int_eq(dal_repo_exec(r, "CREATE VIEW r_other.dep AS SELECT id FROM "
		                                  "public.r_parent", NULL, &err), DAL_OK);
		ck_assert_int_ne(dal_repo_drop_all(r, 0, NULL, NULL, &n, &err), DAL_OK);
		ck_assert_msg(tu_contains(err.message, "r_parent"), "%s", err.message);
		ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM r_other.dep"), 1);
		ck_assert_int_eq(dal_repo_exec(r, "DROP VIEW r_other.dep", NULL, &err), DAL_OK);
	}
	ck_assert_msg(dal_repo_drop_all(r, 0, NULL, NULL, &n, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM r_child"), -1);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM r_parent"), -1);
	ck_assert_int_eq(dal_repo_drop_all(r, DAL_DROP_DRY_RUN, NULL, NULL, &n, &err), DAL_OK);
	ck_assert_uint_eq(n, 0);
	if (t.backend == MT_PGSQL) {
		ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM r_other.keep"), 0);
		ck_assert_int_eq(dal_repo_exec(r, "DROP SCHEMA r_other CASCADE", NULL, &err), DAL_OK);
	}
	if (other) {
		ck_assert_int_eq(mt_scalar(other, "SELECT count(*) FROM r_keep"), 0);
		ck_assert_int_eq(dal_repo_exec(other, "DROP TABLE r_keep", NULL, &err), DAL_OK);
		dal_repo_close(other);
	}
	dal_repo_close(r);
	mt_teardown(&t);
}
END_TEST

/* A backend that declares no dialect (the minimal test plugin, as any 2.0
 * plugin): up and reset refuse instead of running without a lock. */
START_TEST(test_migrate_needs_declared_dialect)
{
	const char *path = getenv("DAL_PLUGIN_PATH");
	dal_migrator *m;
	dal_error err;
	dal_repo *r;
	struct mt t;
	char *dirs;

	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	ck_assert_int_ne(asprintf(&dirs, "%s:%s", TESTS_BUILDDIR, path ? path : ""), -1);
	setenv("DAL_PLUGIN_PATH", dirs, 1);
	free(dirs);
	ck_assert_msg(dal_repo_open_url(&r, "minimal::memory:", &err) == DAL_OK, "%s",
	              err.message);
	ck_assert_ptr_null(dal_repo_dialect(r));
	mt_file(&t, "0001_a.sql", "INSERT INTO t VALUES (1)");
	m = open_mig(&t, r);
	ck_assert_ptr_null(dal_repo_sql_facts(r));
	ck_assert_int_eq(dal_migrator_up(m, -1, NULL, &err), DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(err.message, "migrate up: migrations need a lock: backend "
	                                       "'minimal' (plugin "), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "/backend_minimal."), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, ") declares no SQL facts (struct dal_sql_facts), "
	                                       "so no sql->lock"), "%s", err.message);
	ck_assert_int_eq(mt_scalar(r, "SELECT v FROM t"), -1); /* nothing ran */
	ck_assert_int_eq(dal_repo_drop_all(r, DAL_DROP_DRY_RUN, NULL, NULL, NULL, &err),
	                 DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(err.message, "db-reset needs the catalog: backend 'minimal' "
	                                       "(plugin "), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "declares no SQL facts (struct dal_sql_facts), "
	                                       "so no sql->catalog"), "%s", err.message);
	dal_migrator_close(m);
	dal_repo_close(r);
	if (path)
		setenv("DAL_PLUGIN_PATH", path, 1);
	mt_teardown(&t);
}
END_TEST

/* Open a test plugin of tests/ (found through DAL_PLUGIN_PATH, the
 * shipped plugins' directories kept after it) on the case's SQLite file. */
static dal_repo *open_test_plugin(const struct mt *t, const char *type, char **saved)
{
	const char *path = getenv("DAL_PLUGIN_PATH");
	char *dirs, *url;
	dal_error err;
	dal_repo *r;

	*saved = path ? strdup(path) : NULL;
	ck_assert_int_ne(asprintf(&dirs, "%s:%s", TESTS_BUILDDIR, path ? path : ""), -1);
	setenv("DAL_PLUGIN_PATH", dirs, 1);
	free(dirs);
	ck_assert(strncmp(t->url, "sqlite:", 7) == 0);
	ck_assert_int_ne(asprintf(&url, "%s%s", type, t->url + 6), -1);
	ck_assert_msg(dal_repo_open_url(&r, url, &err) == DAL_OK, "%s: %s", url, err.message);
	free(url);
	return r;
}

static void restore_plugin_path(char *saved)
{
	if (saved)
		setenv("DAL_PLUGIN_PATH", saved, 1);
	free(saved);
}

static void count_object(const char *kind, const char *name, void *ud)
{
	(void)kind;
	(void)name;
	++*(int *)ud;
}

/* A dialect libdal has never heard of (tests/plugins/madeup.c: SQLite's
 * engine under the name "madeup", with facts of its own): migrations,
 * db-reset and copy work through what it declares. */
START_TEST(test_migrate_made_up_family_through_its_facts)
{
	const struct dal_sql_facts *f;
	const char *tables[] = { "c_src", NULL };
	dal_copy_options opt = { 0 };
	dal_copy_result res;
	dal_repo *r, *src;
	dal_migrator *m;
	dal_error err;
	struct seen st;
	struct mt t;
	char *saved, *src_url;
	int n = 0, objects = 0;

	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	r = open_test_plugin(&t, "madeup", &saved);
	ck_assert_str_eq(dal_repo_backend(r), "madeup");
	ck_assert_str_eq(dal_repo_dialect(r), "madeup");
	ck_assert_ptr_nonnull(f = dal_repo_sql_facts(r));
	ck_assert_uint_eq(f->lock, DAL_SQL_LOCK_TRANSACTION);
	ck_assert_str_eq(f->lock_begin, "BEGIN EXCLUSIVE");

	mt_file(&t, "0001_a.sql", "CREATE TABLE m_a (id INTEGER PRIMARY KEY, v TEXT);");
	mt_file(&t, "0001_a.down.sql", "DROP TABLE m_a;");
	mt_file(&t, "0002_b.sql", "INSERT INTO m_a VALUES (1, 'x');");
	mt_file(&t, "0002_b.down.sql", "DELETE FROM m_a;");
	m = open_mig(&t, r);
	ck_assert_msg(dal_migrator_up(m, -1, &n, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(n, 2);
	st = status(m, NULL, NULL);
	ck_assert_int_eq(st.state[1], DAL_MIGRATION_APPLIED);
	ck_assert_int_eq(st.state[2], DAL_MIGRATION_APPLIED);
	ck_assert_int_eq(mt_scalar(r, "SELECT COUNT(*) FROM m_a"), 1);
	ck_assert_msg(dal_migrator_down(m, 0, &n, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(mt_scalar(r, "SELECT COUNT(*) FROM m_a"), -1);
	ck_assert_msg(dal_migrator_up(m, -1, &n, &err) == DAL_OK, "%s", err.message);
	dal_migrator_close(m);

	/* Copy into it: the table is created in the types it declares. */
	ck_assert_int_ne(asprintf(&src_url, "sqlite:///%s/src.db", t.dir), -1);
	ck_assert_msg(dal_repo_open_url(&src, src_url, &err) == DAL_OK, "%s", err.message);
	free(src_url);
	ck_assert_int_eq(dal_repo_exec(src, "CREATE TABLE c_src (id INTEGER PRIMARY KEY, "
	                                    "name VARCHAR(20), body TEXT)", NULL, &err), DAL_OK);
	ck_assert_int_eq(dal_repo_exec(src, "INSERT INTO c_src VALUES (1, 'a', 'b')", NULL, &err),
	                 DAL_OK);
	opt.tables = tables;
	ck_assert_msg(dal_copy_run(src, r, &opt, &res, &err) == DAL_OK, "%s", err.message);
	ck_assert_uint_eq(res.tables_created, 1);
	ck_assert_int_eq(mt_scalar(r, "SELECT COUNT(*) FROM pragma_table_info('c_src') "
	                              "WHERE name = 'name' AND type = 'NVARCHAR(20)'"), 1);
	ck_assert_int_eq(mt_scalar(r, "SELECT COUNT(*) FROM pragma_table_info('c_src') "
	                              "WHERE name = 'body' AND type = 'CLOB'"), 1);
	dal_repo_close(src);

	/* db-reset reads its catalog: m_a, c_src, schema_version,
	 * dal_copy_state. */
	ck_assert_msg(dal_repo_drop_all(r, 0, count_object, &objects, NULL, &err) == DAL_OK, "%s",
	              err.message);
	ck_assert_int_eq(objects, 4);
	ck_assert_int_eq(mt_scalar(r, "SELECT COUNT(*) FROM sqlite_master"), 0);
	dal_repo_close(r);
	restore_plugin_path(saved);
	mt_teardown(&t);
}
END_TEST

/* Facts that lack a member a layer needs: DAL_EUNSUPPORTED naming the
 * backend, its plugin file and the member (tests/plugins/madeup.c built
 * as halfmade: a transaction lock without lock_begin, no catalog). */
START_TEST(test_migrate_names_the_missing_fact)
{
	dal_migrator *m;
	dal_error err;
	dal_repo *r;
	struct mt t;
	char *saved;

	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	r = open_test_plugin(&t, "halfmade", &saved);
	mt_file(&t, "0001_a.sql", "CREATE TABLE m_a (id INTEGER);");
	m = open_mig(&t, r);
	ck_assert_int_eq(dal_migrator_up(m, -1, NULL, &err), DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(err.message, "migrate up: migrations need a lock: backend "
	                                       "'halfmade' (plugin "), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "/backend_halfmade.la) declares no "
	                                       "sql->lock_begin"), "%s", err.message);
	ck_assert_int_eq(mt_scalar(r, "SELECT COUNT(*) FROM m_a"), -1); /* nothing ran */
	ck_assert_int_eq(dal_repo_drop_all(r, DAL_DROP_DRY_RUN, NULL, NULL, NULL, &err),
	                 DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(err.message, "db-reset needs the catalog: backend 'halfmade' "
	                                       "(plugin "), "%s", err.message);
	ck_assert_msg(tu_contains(err.message, "declares no sql->catalog"), "%s", err.message);
	ck_assert_int_eq(dal_repo_sql_unsupported(NULL, "x", "y", &err), DAL_EUNSUPPORTED);
	ck_assert_msg(tu_contains(err.message, "x: backend '?' declares no SQL facts"), "%s",
	              err.message);
	ck_assert_ptr_null(dal_repo_sql_facts(NULL));
	dal_migrator_close(m);
	dal_repo_close(r);
	restore_plugin_path(saved);
	mt_teardown(&t);
}
END_TEST

/* Wrong arguments are DAL_EMISUSE with a message, never a crash. */
START_TEST(test_migrate_misuse)
{
	dal_migrator *m = (dal_migrator *)1;
	dal_error err;
	dal_repo *r;
	struct mt t;
	char *sub;
	int n = 7;

	ck_assert_int_eq(dal_migrator_open(NULL, NULL, NULL, &err), DAL_EMISUSE);
	ck_assert_int_eq(dal_migrator_open(&m, NULL, "/tmp", &err), DAL_EMISUSE);
	ck_assert_ptr_null(m);
	ck_assert_msg(tu_contains(err.message, "repo is NULL"), "%s", err.message);
	ck_assert_int_eq(dal_migrator_up(NULL, -1, &n, &err), DAL_EMISUSE);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(dal_migrator_down(NULL, -1, NULL, &err), DAL_EMISUSE);
	ck_assert_int_eq(dal_migrator_stamp(NULL, 0, &err), DAL_EMISUSE);
	ck_assert_int_eq(dal_migrator_status(NULL, NULL, NULL, NULL, NULL, &err), DAL_EMISUSE);
	ck_assert_int_eq(dal_migrator_history(NULL, NULL, NULL, &err), DAL_EMISUSE);
	ck_assert_int_eq(dal_migrator_verify(NULL, NULL, NULL, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_repo_drop_all(NULL, 0, NULL, NULL, NULL, &err), DAL_EMISUSE);
	ck_assert_ptr_null(dal_migrator_dir(NULL));
	dal_migrator_set_progress(NULL, NULL, NULL);
	dal_migrator_set_lock_timeout(NULL, 1);
	dal_migrator_close(NULL);
	ck_assert_str_eq(dal_migration_state_name(DAL_MIGRATION_DIRTY), "dirty");
	ck_assert_str_eq(dal_migration_state_name((dal_migration_state)99), "?");
	ck_assert_ptr_null(dal_repo_dialect(NULL));
	ck_assert_ptr_null(dal_repo_ident_quote(NULL));
	ck_assert_ptr_null(dal_repo_migrations_dir(NULL));

	/* A directory with a migration's name is not a file. */
	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	ck_assert_int_ne(asprintf(&sub, "%s/0001_dir.sql", t.mig), -1);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	r = mt_open(&t);
	ck_assert_int_eq(dal_migrator_open(&m, r, t.mig, &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "0001_dir.sql: not a regular file"), "%s",
	              err.message);
	rmdir(sub);
	free(sub);
	/* A trailing slash names the same directory. */
	{
		char *slash;
		ck_assert_int_ne(asprintf(&slash, "%s//", t.mig), -1);
		mt_file(&t, "0001_a.sql", "CREATE TABLE m_a (x INTEGER);");
		ck_assert_int_eq(dal_migrator_open(&m, r, slash, &err), DAL_OK);
		ck_assert_str_eq(dal_migrator_dir(m), t.mig);
		dal_migrator_close(m);
		free(slash);
	}
	dal_repo_close(r);
	mt_teardown(&t);
}
END_TEST

/* down --to N stops at N; a migration to revert whose file is gone is
 * refused before anything is reverted. */
START_TEST(test_migrate_down_to_version)
{
	dal_migrator *m;
	dal_error err;
	dal_repo *r;
	struct mt t;
	int64_t cur;
	int n;

	if (!mt_setup(&t, _i, NULL))
		return;
	for (int v = 1; v <= 3; v++) {
		char name[64], sql[128];

		snprintf(name, sizeof name, "000%d_t%d.sql", v, v);
		snprintf(sql, sizeof sql, "CREATE TABLE m_t%d (x INTEGER);", v);
		mt_file(&t, name, sql);
		snprintf(name, sizeof name, "000%d_t%d.down.sql", v, v);
		snprintf(sql, sizeof sql, "DROP TABLE m_t%d;", v);
		mt_file(&t, name, sql);
	}
	r = mt_open(&t);
	m = open_mig(&t, r);
	ck_assert_int_eq(dal_migrator_up(m, -1, &n, &err), DAL_OK);
	ck_assert_int_eq(n, 3);
	ck_assert_msg(dal_migrator_down(m, 1, &n, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(n, 2);
	status(m, &cur, NULL);
	ck_assert_int_eq(cur, 1);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_t1"), 0);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_t2"), -1);
	ck_assert_int_eq(dal_migrator_down(m, 5, NULL, &err), DAL_EMISUSE);
	dal_migrator_close(m);

	mt_unlink(&t, "0001_t1.sql");
	mt_unlink(&t, "0001_t1.down.sql");
	m = open_mig(&t, r);
	ck_assert_int_eq(dal_migrator_down(m, 0, NULL, &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "cannot revert migration 1_t1: no file of it"),
	              "%s", err.message);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_t1"), 0);
	/* history reports it, as missing. */
	{
		struct seen s;

		memset(&s, 0, sizeof s);
		ck_assert_int_eq(dal_migrator_history(m, collect, &s, &err), DAL_OK);
		ck_assert_int_eq(s.n, 1);
		ck_assert_int_eq(s.state[1], DAL_MIGRATION_MISSING);
	}
	dal_migrator_close(m);
	dal_repo_close(r);
	mt_teardown(&t);
}
END_TEST

/* A migration added below the applied ones is pending and applied next; a
 * whitespace-only file is recorded without running anything; a failing
 * down file leaves its migration applied (or dirty without transactional
 * DDL); a failure to record a migration fails it. */
START_TEST(test_migrate_hole_blank_and_failures)
{
	dal_migrator *m;
	struct seen s;
	dal_error err;
	dal_repo *r;
	int64_t cur;
	struct mt t;
	int n;

	if (!mt_setup(&t, _i, NULL))
		return;
	mt_file(&t, "0001_a.sql", "CREATE TABLE m_a (x INTEGER);");
	mt_file(&t, "0003_c.sql", " \n\t\n");
	mt_file(&t, "0003_c.down.sql", "DROP TABLE m_nonexistent_table;");
	r = mt_open(&t);
	m = open_mig(&t, r);
	ck_assert_int_eq(dal_migrator_up(m, -1, &n, &err), DAL_OK);
	ck_assert_int_eq(n, 2);
	dal_migrator_close(m);

	mt_file(&t, "0002_b.sql", "CREATE TABLE m_b (x INTEGER);");
	m = open_mig(&t, r);
	s = status(m, &cur, NULL);
	ck_assert_int_eq(cur, 3);
	ck_assert_int_eq(s.state[2], DAL_MIGRATION_PENDING);
	ck_assert_int_eq(dal_migrator_up(m, -1, &n, &err), DAL_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(mt_scalar(r, "SELECT count(*) FROM m_b"), 0);

	/* The down file of 0003 fails. */
	ck_assert_int_ne(dal_migrator_down(m, -1, &n, &err), DAL_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_msg(tu_contains(err.message, "0003_c.down.sql"), "%s", err.message);
	s = status(m, &cur, NULL);
	ck_assert_int_eq(cur, 3);
	ck_assert_int_eq(s.state[3], t.backend == MT_MYSQL ? DAL_MIGRATION_DIRTY
	                                                   : DAL_MIGRATION_APPLIED);
	ck_assert_int_eq(dal_migrator_stamp(m, 3, &err), DAL_OK);
	dal_migrator_close(m);

	/* A migration that records itself: recording it fails. */
	mt_file(&t, "0004_d.sql", "INSERT INTO schema_version (version, name, checksum, "
	                          "applied_at, duration_ms, dirty) VALUES (4, 'd', 'x', 'x', 0, 0);");
	m = open_mig(&t, r);
	ck_assert_int_ne(dal_migrator_up(m, -1, &n, &err), DAL_OK);
	ck_assert_int_eq(n, 0);
	if (t.backend == MT_MYSQL) {
		/* The migrator's dirty row came first: the file's INSERT fails. */
		ck_assert_msg(tu_contains(err.message, "0004_d.sql"), "%s", err.message);
	} else {
		ck_assert_int_eq(err.code, DAL_ECONSTRAINT);
		ck_assert_msg(tu_contains(err.message, "recording the migration in schema_version: "),
		              "%s", err.message);
		s = status(m, &cur, NULL);
		ck_assert_int_eq(s.state[4], DAL_MIGRATION_PENDING);
	}
	dal_migrator_close(m);

	/* err may be NULL everywhere. */
	ck_assert_int_eq(dal_migrator_open(&m, NULL, NULL, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_migrator_down(NULL, -1, NULL, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_migrator_stamp(NULL, 0, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_migrator_history(NULL, NULL, NULL, NULL), DAL_EMISUSE);
	dal_repo_close(r);
	mt_teardown(&t);
}
END_TEST

/* MySQL without a current database: the lock cannot be named, and the
 * migrator says so at once instead of waiting for a lock. */
START_TEST(test_migrate_mysql_without_database)
{
	const char *u = getenv("DAL_TEST_MYSQL_URL");
	char url[1024], *slash;
	dal_migrator *m;
	dal_error err;
	dal_repo *r;
	struct mt t;
	size_t n = 0;

	if (!u || !*u) {
		fprintf(stderr, "skipped for mysql: DAL_TEST_MYSQL_URL is not set\n");
		return;
	}
	snprintf(url, sizeof url, "%s", u);
	ck_assert_ptr_nonnull(slash = strrchr(url, '/'));
	slash[1] = '\0';
	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	mt_file(&t, "0001_a.sql", "CREATE TABLE m_a (x INT);");
	ck_assert_msg(dal_repo_open_url(&r, url, &err) == DAL_OK, "%s", err.message);
	m = open_mig(&t, r);
	ck_assert_int_eq(dal_migrator_up(m, -1, NULL, &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "no current database"), "%s", err.message);
	ck_assert_int_eq(dal_repo_drop_all(r, DAL_DROP_DRY_RUN, NULL, NULL, &n, &err), DAL_OK);
	ck_assert_uint_eq(n, 0);
	dal_migrator_close(m);
	dal_repo_close(r);
	mt_teardown(&t);
}
END_TEST

/* Files that are not SQL text are refused by name. */
START_TEST(test_migrate_refuses_binary_file)
{
	dal_migrator *m;
	dal_error err;
	dal_repo *r;
	struct mt t;
	char *p;
	FILE *f;

	ck_assert(mt_setup(&t, MT_SQLITE, NULL));
	ck_assert_int_ne(asprintf(&p, "%s/0001_bin.sql", t.mig), -1);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fwrite("SELECT 1;\0\1", 1, 12, f);
	fclose(f);
	r = mt_open(&t);
	ck_assert_int_eq(dal_migrator_open(&m, r, t.mig, &err), DAL_ECONFIG);
	ck_assert_msg(tu_contains(err.message, "0001_bin.sql: contains a NUL byte"), "%s",
	              err.message);
	free(p);
	dal_repo_close(r);
	mt_teardown(&t);
}
END_TEST

static Suite *migrate_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_migrate_up_down_status_history_stamp, 0, MT_N);
	tcase_add_loop_test(tc, test_migrate_refuses_modified_file, 0, MT_N);
	tcase_add_loop_test(tc, test_migrate_failure_rolls_back_or_marks_dirty, 0, MT_N);
	tcase_add_test(tc, test_migrate_checksum_is_sha256);
	tcase_add_test(tc, test_migrate_file_name_rules);
	tcase_add_loop_test(tc, test_migrate_auto_on_open, 0, MT_N);
	tcase_add_test(tc, test_migrate_dir_relative_to_ini);
	tcase_add_test(tc, test_migrate_needs_declared_dialect);
	tcase_add_test(tc, test_migrate_made_up_family_through_its_facts);
	tcase_add_test(tc, test_migrate_names_the_missing_fact);
	tcase_add_test(tc, test_migrate_refuses_binary_file);
	tcase_add_test(tc, test_migrate_mysql_without_database);
	tcase_add_test(tc, test_migrate_misuse);
	tcase_add_loop_test(tc, test_migrate_hole_blank_and_failures, 0, MT_N);
	tcase_add_loop_test(tc, test_migrate_down_to_version, 0, MT_N);
	tcase_add_loop_test(tc, test_reset_drops_own_objects_only, 0, MT_N);
	suite_add_tcase(s, tc);
	cli_migrate_tests(s);
	return s;
}

int main(void)
{
	tu_clear_env();
	return tu_run_suite(migrate_suite());
}
