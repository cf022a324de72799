/*
 * Migrations (core/migrate*.c) and db-reset (core/reset.c) when a call of
 * the database fails part way, through the fault-injection layer
 * (core/fault.h) on a SQLite file: for every call of each slot they use,
 * the operation stops with the injected code and a message quoting the
 * injected fault, and the database is left so that the same operation run
 * again without faults finishes: a failed migration is not recorded as
 * applied, a failed revert not as reverted, a failed reset drops the rest
 * when run again.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dal/dal.h>
#include <dal/migrate.h>

#include "fault.h"
#include "testutil.h"

static char *tmpdir, *migdir;
static int seq;

/* The injected code: not DAL_EBUSY, which the migrator retries while it
 * waits for the database's write lock. */
#define CODE DAL_EREADONLY

static void setup(void)
{
	tu_clear_env();
	tmpdir = tu_mkdtemp();
	ck_assert_int_gt(asprintf(&migdir, "%s/m", tmpdir), 0);
	ck_assert_int_eq(mkdir(migdir, 0700), 0);
	free(tu_write_file(migdir, "0001_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n"
	                                            "INSERT INTO a VALUES (1);\n"));
	free(tu_write_file(migdir, "0001_a.down.sql", "DROP TABLE a;\n"));
	free(tu_write_file(migdir, "0002_b.sql", "CREATE TABLE b (x TEXT);\n"
	                                            "CREATE VIEW vb AS SELECT x FROM b;\n"));
	free(tu_write_file(migdir, "0002_b.down.sql", "DROP VIEW vb;\nDROP TABLE b;\n"));
}

static void teardown(void)
{
	free(migdir);
	migdir = NULL;
	tu_rmtree(tmpdir);
	tmpdir = NULL;
}

static dal_repo *open_db(const char *name, const struct fault_rule *rule)
{
	char url[4200];
	dal_repo *r;
	dal_error e;

	snprintf(url, sizeof url, "sqlite:///%s/%s", tmpdir, name);
	ck_assert_msg(repo_open_faulty(&r, NULL, NULL, url, rule, rule ? 1 : 0, &e) == DAL_OK,
	              "%s", e.message);
	return r;
}

static int64_t count_of(dal_repo *r, const char *sql)
{
	dal_conn *c = tu_conn_acquire(r);
	int64_t n = tu_conn_int64(c, sql);

	dal_conn_release(c);
	return n;
}

/* The migrations recorded as applied, and whether any is dirty. */
static int applied(dal_repo *r, int *dirty)
{
	dal_migrator *m;
	dal_error e;
	int n = 0;

	ck_assert_msg(dal_migrator_open(&m, r, migdir, &e) == DAL_OK, "%s", e.message);
	*dirty = count_of(r, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'")
	         ? (int)count_of(r, "SELECT count(*) FROM schema_version WHERE dirty") : 0;
	if (count_of(r, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'"))
		n = (int)count_of(r, "SELECT count(*) FROM schema_version WHERE NOT dirty");
	dal_migrator_close(m);
	return n;
}

/* The failure the fault gave: its code and the injected message. */
static void assert_injected(int rc, const dal_error *e, enum fault_slot slot, unsigned nth,
                            const char *op)
{
	char want[96];

	ck_assert_msg(rc == CODE, "%s, %s call %u: %s: %s", op, fault_slot_name(slot), nth,
	              dal_code_name(rc), e->message);
	snprintf(want, sizeof want, "injected fault: %s call %u fails", fault_slot_name(slot), nth);
	tu_assert_has(e->message, want);
}

/*
 * up (all), then down (all), with call nth of slot failing: 1 if the
 * fault was hit. Then the database holds every migration fully applied or
 * not at all (none dirty: SQLite runs each in a transaction with its
 * record), and up then down without faults finish.
 */
static int migrate_with_fault(enum fault_slot slot, unsigned nth)
{
	const struct fault_rule rule = {slot, nth, 1, CODE};
	char name[32];
	dal_repo *r;
	dal_migrator *m;
	dal_error e;
	int rc, n = -1, dirty, hit = 0;

	snprintf(name, sizeof name, "m%d.db", ++seq);
	r = open_db(name, &rule);
	rc = dal_migrator_open(&m, r, migdir, &e);
	if (rc == DAL_OK) {
		rc = dal_migrator_up(m, -1, &n, &e);
		if (rc == DAL_OK) {
			ck_assert_int_eq(n, 2);
			rc = dal_migrator_down(m, 0, &n, &e);
			if (rc == DAL_OK)
				ck_assert_int_eq(n, 2);
		}
		dal_migrator_close(m);
	}
	hit = fault_calls(repo_fault(r), slot) >= nth;
	/* A failure in the cleanup after the work (restoring the connection's
	 * lock wait) is not the operation's: then it did everything. */
	if (hit && rc != DAL_OK)
		assert_injected(rc, &e, slot, nth, "migrate");
	ck_assert_msg(rc != DAL_OK || n == 2, "%s call %u: up/down OK but %d reverted",
	              fault_slot_name(slot), nth, n);
	dal_repo_close(r);

	r = open_db(name, NULL);
	n = applied(r, &dirty);
	ck_assert_int_eq(dirty, 0);
	if (rc == DAL_OK)
		ck_assert_int_eq(n, 0);
	/* What is recorded is what exists. */
	ck_assert_int_eq(count_of(r, "SELECT count(*) FROM sqlite_master WHERE name = 'a'"),
	                 n >= 1);
	ck_assert_int_eq(count_of(r, "SELECT count(*) FROM sqlite_master WHERE name IN ('b', 'vb')"),
	                 n >= 2 ? 2 : 0);
	ck_assert_msg(dal_migrator_open(&m, r, migdir, &e) == DAL_OK, "%s", e.message);
	ck_assert_msg(dal_migrator_up(m, -1, &n, &e) == DAL_OK, "%s", e.message);
	ck_assert_msg(dal_migrator_down(m, 0, &n, &e) == DAL_OK, "%s", e.message);
	ck_assert_int_eq(count_of(r, "SELECT count(*) FROM schema_version"), 0);
	dal_migrator_close(m);
	dal_repo_close(r);
	return hit;
}

static void status_fn(const dal_migration_info *i, void *ud)
{
	(void)i;
	++*(int *)ud;
}

/* status, history and verify over two applied migrations, with call nth
 * of slot failing: 1 if it was hit (then the call failed with it). */
static int read_with_fault(enum fault_slot slot, unsigned nth)
{
	const struct fault_rule rule = {slot, nth, 1, CODE};
	char name[32];
	dal_repo *r;
	dal_migrator *m;
	dal_error e;
	int rc, n, seen = 0, problems = -1, hit;
	int64_t current = -1;

	snprintf(name, sizeof name, "r%d.db", ++seq);
	r = open_db(name, NULL);
	ck_assert_msg(dal_migrator_open(&m, r, migdir, &e) == DAL_OK, "%s", e.message);
	ck_assert_msg(dal_migrator_up(m, -1, &n, &e) == DAL_OK, "%s", e.message);
	dal_migrator_close(m);
	dal_repo_close(r);

	r = open_db(name, &rule);
	rc = dal_migrator_open(&m, r, migdir, &e);
	if (rc == DAL_OK) {
		if ((rc = dal_migrator_status(m, status_fn, &seen, &current, &problems, &e)) ==
		            DAL_OK &&
		    (rc = dal_migrator_history(m, status_fn, &seen, &e)) == DAL_OK &&
		    (rc = dal_migrator_verify(m, status_fn, &seen, &e)) == DAL_OK)
			rc = dal_migrator_stamp(m, 1, &e);
		dal_migrator_close(m);
	}
	hit = fault_calls(repo_fault(r), slot) >= nth;
	dal_repo_close(r);
	if (rc == DAL_OK) {
		/* Not hit, or hit in the cleanup after the work (as above). */
		ck_assert_int_eq(seen, 4); /* 2 in status, 2 in history, no problem */
		ck_assert_int_eq(current, 2);
		ck_assert_int_eq(problems, 0);
		r = open_db(name, NULL);
		ck_assert_int_eq(count_of(r, "SELECT count(*) FROM schema_version"), 1);
		dal_repo_close(r);
	} else {
		ck_assert_msg(hit, "%s", e.message);
		assert_injected(rc, &e, slot, nth, "status/history/verify/stamp");
	}
	return hit;
}

static void sweep(int (*fn)(enum fault_slot, unsigned), enum fault_slot slot, unsigned at_least)
{
	unsigned nth = 1;

	while (fn(slot, nth))
		ck_assert_msg(++nth < 500, "%s: no end", fault_slot_name(slot));
	ck_assert_msg(nth > at_least, "%s: only %u calls", fault_slot_name(slot), nth - 1);
}

START_TEST(test_migrate_faults)
{
	sweep(migrate_with_fault, FAULT_PREPARE, 4);
	sweep(migrate_with_fault, FAULT_STEP, 4);
	sweep(migrate_with_fault, FAULT_EXEC, 4);
	sweep(migrate_with_fault, FAULT_BIND, 2);
	/* SQLite's migrations begin with the facts' lock_begin and end with
	 * COMMIT or ROLLBACK, all through exec: no begin or commit call. */
	ck_assert_int_eq(migrate_with_fault(FAULT_BEGIN, 1), 0);
}
END_TEST

START_TEST(test_migrate_read_faults)
{
	sweep(read_with_fault, FAULT_PREPARE, 2);
	sweep(read_with_fault, FAULT_STEP, 2);
	sweep(read_with_fault, FAULT_EXEC, 0);
	sweep(read_with_fault, FAULT_BIND, 0);
}
END_TEST

static void object_fn(const char *kind, const char *name, void *ud)
{
	(void)kind;
	(void)name;
	++*(int *)ud;
}

/* dal_repo_drop_all() of 3 tables (one referencing another), a view and
 * an index, with calls nth .. nth+times-1 of slot failing (times 0: every
 * call from nth on): 1 if the fault was hit and the drop failed with it;
 * then, run again, it drops what is left. A drop that fails once is
 * retried in the next round (what lets tables referenced by others go
 * last): 0 when it then succeeded. */
static int reset_with_fault(enum fault_slot slot, unsigned nth, unsigned times)
{
	const struct fault_rule rule = {slot, nth, times, CODE};
	char name[32], want[96];
	dal_repo *r;
	dal_error e;
	size_t count = 99;
	int rc, seen = 0;

	snprintf(name, sizeof name, "d%d.db", ++seq);
	r = open_db(name, NULL);
	tu_repo_exec(r, "CREATE TABLE p (id INTEGER PRIMARY KEY)");
	tu_repo_exec(r, "CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p(id))");
	tu_repo_exec(r, "CREATE TABLE t (x TEXT)");
	tu_repo_exec(r, "CREATE INDEX tx ON t (x)");
	tu_repo_exec(r, "CREATE VIEW v AS SELECT x FROM t");
	tu_repo_exec(r, "INSERT INTO p VALUES (1)");
	tu_repo_exec(r, "INSERT INTO c VALUES (1, 1)");
	dal_repo_close(r);

	r = open_db(name, &rule);
	rc = dal_repo_drop_all(r, 0, object_fn, &seen, &count, &e);
	if (fault_calls(repo_fault(r), slot) < nth || rc == DAL_OK) {
		ck_assert_msg(rc == DAL_OK, "%s", e.message);
		ck_assert_int_eq(seen, 4);
		ck_assert_uint_eq(count, 4);
		dal_repo_close(r);
		r = open_db(name, NULL);
		ck_assert_int_eq(count_of(r, "SELECT count(*) FROM sqlite_master"), 0);
		dal_repo_close(r);
		return 0;
	}
	if (times == 1) {
		assert_injected(rc, &e, slot, nth, "drop_all");
	} else {
		ck_assert_msg(rc == CODE, "%s: %s", dal_code_name(rc), e.message);
		snprintf(want, sizeof want, "injected fault: %s call ", fault_slot_name(slot));
		tu_assert_has(e.message, want);
	}
	dal_repo_close(r);

	r = open_db(name, NULL);
	ck_assert_msg(dal_repo_drop_all(r, 0, NULL, NULL, &count, &e) == DAL_OK, "%s", e.message);
	ck_assert_uint_le(count, 4);
	ck_assert_int_eq(count_of(r, "SELECT count(*) FROM sqlite_master"), 0);
	dal_repo_close(r);
	return 1;
}

static int reset_once(enum fault_slot slot, unsigned nth)
{
	return reset_with_fault(slot, nth, 1);
}

static int reset_from(enum fault_slot slot, unsigned nth)
{
	return reset_with_fault(slot, nth, 0);
}

START_TEST(test_reset_faults)
{
	sweep(reset_once, FAULT_PREPARE, 1);
	sweep(reset_once, FAULT_STEP, 1);
	/* Each drop failing once: retried, every call succeeds in the end. */
	for (unsigned nth = 1; nth <= 4; nth++)
		ck_assert_int_eq(reset_once(FAULT_EXEC, nth), 0);
	/* Every drop from the nth on failing: no progress, the drop fails
	 * with the last error. */
	sweep(reset_from, FAULT_EXEC, 3);
}
END_TEST

/* With err NULL, a failure gives its code alone: the migrator and
 * db-reset write no message anywhere and do not crash. */
START_TEST(test_failures_without_err)
{
	const struct fault_rule rule = {FAULT_EXEC, 1, 0, CODE};
	dal_repo *r = open_db("n.db", NULL);
	dal_migrator *m;
	dal_error e;

	tu_repo_exec(r, "CREATE TABLE x (a INTEGER)");
	dal_repo_close(r);
	r = open_db("n.db", &rule);
	ck_assert_msg(dal_migrator_open(&m, r, migdir, &e) == DAL_OK, "%s", e.message);
	ck_assert_int_eq(dal_migrator_up(m, -1, NULL, NULL), CODE);
	ck_assert_int_eq(dal_migrator_stamp(m, 1, NULL), CODE);
	dal_migrator_close(m);
	ck_assert_int_eq(dal_repo_drop_all(r, 0, NULL, NULL, NULL, NULL), CODE);
	dal_repo_close(r);
	r = open_db("n.db", NULL);
	ck_assert_int_eq(count_of(r, "SELECT count(*) FROM sqlite_master WHERE name = 'x'"), 1);
	dal_repo_close(r);
}
END_TEST

/* Names of any length, with the quote character in them, are dropped:
 * none is cut short (a DROP ... IF EXISTS of a cut name would succeed and
 * leave the table behind). */
START_TEST(test_reset_long_names)
{
	char name[1400], sql[1600];
	dal_repo *r = open_db("long.db", NULL);
	dal_error e;
	size_t count = 0;

	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	snprintf(sql, sizeof sql, "CREATE TABLE \"%s\" (a INTEGER)", name);
	tu_repo_exec(r, sql);
	tu_repo_exec(r, "CREATE TABLE \"q\"\"uote\" (a INTEGER)");
	ck_assert_msg(dal_repo_drop_all(r, 0, NULL, NULL, &count, &e) == DAL_OK, "%s", e.message);
	ck_assert_uint_eq(count, 2);
	ck_assert_int_eq(count_of(r, "SELECT count(*) FROM sqlite_master"), 0);
	dal_repo_close(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov2_migrate");
	TCase *tc = tcase_create("faults");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_migrate_faults);
	tcase_add_test(tc, test_migrate_read_faults);
	tcase_add_test(tc, test_reset_faults);
	tcase_add_test(tc, test_failures_without_err);
	tcase_add_test(tc, test_reset_long_names);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
