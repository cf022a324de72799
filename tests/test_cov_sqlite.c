/*
 * SQLite backend failures provoked for real (docs/testing.md, "Coverage"):
 * a backup or restore that meets a lock held by another connection, a
 * damaged database refused by the integrity check on both sides, a backup
 * whose final rename fails, and a connection that cannot switch to WAL
 * while another one holds the file exclusively; a COMMIT refused by a
 * deferred foreign key; SQL that SQLite would cut short. Public API only.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"

/* A rename onto a directory fails: the backup reports it, names both
 * files, and leaves neither the .part file nor anything in the directory. */
START_TEST(test_sqlite_backup_rename_failure_is_reported)
{
	char *db = tu_path_in("a.db"), *dir = tu_path_in("target"), *inner = tu_path_in("target/keep"),
	     *part = tu_path_in("target.part");
	dal_repo *r = tu_sqlite_open(db, "journal_mode=WAL");
	dal_error err;
	FILE *f;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	f = fopen(inner, "w"); /* a non-empty directory: rename() cannot replace it */
	ck_assert_ptr_nonnull(f);
	fclose(f);
	tu_repo_exec(r, "CREATE TABLE t (x INTEGER)");
	tu_repo_exec(r, "INSERT INTO t VALUES (1)");
	ck_assert_int_eq(dal_repo_backup(r, dir, &err), DAL_EBACKEND);
	ck_assert_str_eq(err.sqlstate, "58030");
	tu_assert_has(err.message, "backup: cannot rename");
	tu_assert_has(err.message, part);
	ck_assert_int_eq(access(part, F_OK), -1);
	ck_assert_int_eq(access(inner, F_OK), 0);
	dal_repo_close(r);
	free(db);
	free(dir);
	free(inner);
	free(part);
}
END_TEST

/* A database whose index no longer matches its table (the index's
 * definition changed behind SQLite's back) opens and reads, but a backup
 * of it is refused by the integrity check of the copy, and so is a restore
 * from it; the good database is left as it was. */
START_TEST(test_sqlite_damaged_database_fails_integrity_both_ways)
{
	char *bad = tu_path_in("bad.db"), *good = tu_path_in("good.db"), *bak = tu_path_in("bad.bak");
	dal_repo *r = tu_sqlite_open(bad, "journal_mode=DELETE");
	dal_error err;

	tu_repo_exec(r, "CREATE TABLE t (x INTEGER, y INTEGER)");
	tu_repo_exec(r, "CREATE INDEX t_x ON t (x)");
	tu_repo_exec(r, "INSERT INTO t VALUES (1, 100), (2, 200), (3, 300)");
	tu_repo_exec(r, "PRAGMA writable_schema = ON");
	tu_repo_exec(r, "UPDATE sqlite_master SET sql = 'CREATE INDEX t_x ON t (y)' "
	                "WHERE name = 't_x'");
	dal_repo_close(r);

	r = tu_sqlite_open(bad, "journal_mode=DELETE");
	ck_assert_int_eq(tu_repo_int64(r, "SELECT COUNT(*) FROM t"), 3);
	ck_assert_int_eq(dal_repo_backup(r, bak, &err), DAL_EDATA);
	ck_assert_str_eq(err.sqlstate, "XX001");
	tu_assert_has(err.message, "integrity check of");
	tu_assert_has(err.message, "t_x");
	ck_assert_int_eq(access(bak, F_OK), -1);
	dal_repo_close(r);

	r = tu_sqlite_open(good, "journal_mode=WAL");
	tu_repo_exec(r, "CREATE TABLE kept (v INTEGER)");
	tu_repo_exec(r, "INSERT INTO kept VALUES (42)");
	ck_assert_int_eq(dal_repo_restore(r, bad, &err), DAL_EDATA);
	tu_assert_has(err.message, "integrity check of");
	tu_assert_has(err.message, bad);
	ck_assert_int_eq(tu_repo_int64(r, "SELECT v FROM kept"), 42);
	dal_repo_close(r);
	free(bad);
	free(good);
	free(bak);
}
END_TEST

/* Another connection keeps the file locked (locking_mode EXCLUSIVE after a
 * write): a backup and a restore wait busy_timeout and then fail with
 * DAL_EBUSY naming the database, and a new connection that needs the lock
 * to switch to WAL fails the same way, naming the pragma. Once the lock
 * is gone, each works. */
START_TEST(test_sqlite_backup_restore_and_wal_switch_wait_for_a_lock)
{
	char *db = tu_path_in("locked.db"), *bak = tu_path_in("locked.bak"), *url;
	dal_repo *holder = tu_sqlite_open(db, "journal_mode=DELETE");
	dal_repo *r, *w;
	dal_conn *hc, *c;
	dal_error err;
	int rc;

	tu_repo_exec(holder, "CREATE TABLE t (x INTEGER)");
	tu_repo_exec(holder, "INSERT INTO t VALUES (1), (2)");
	r = tu_sqlite_open(db, "journal_mode=DELETE&busy_timeout=100");
	ck_assert_msg(dal_repo_backup(r, bak, &err) == DAL_OK, "%s", err.message);

	ck_assert_int_eq(dal_conn_acquire(holder, &hc, &err), DAL_OK);
	ck_assert_int_eq(dal_conn_exec(hc, "PRAGMA locking_mode = EXCLUSIVE", NULL), DAL_OK);
	ck_assert_int_eq(dal_conn_exec(hc, "INSERT INTO t VALUES (3)", NULL), DAL_OK);

	ck_assert_int_eq(dal_repo_backup(r, bak, &err), DAL_EBUSY);
	tu_assert_has(err.message, "backup of");
	tu_assert_has(err.message, db);
	ck_assert_int_eq(dal_repo_restore(r, bak, &err), DAL_EBUSY);
	tu_assert_has(err.message, "restore of");
	tu_assert_has(err.message, db);

	ck_assert_int_gt(asprintf(&url, "sqlite:///%s?journal_mode=WAL&busy_timeout=50", db), 0);
	rc = dal_repo_open_url(&w, url, &err);
	if (rc == DAL_OK) { /* connections may be opened at first use */
		rc = dal_conn_acquire(w, &c, &err);
		dal_repo_close(w);
	}
	ck_assert_msg(rc == DAL_EBUSY, "%s: %s", dal_code_name(rc), err.message);
	tu_assert_has(err.message, "PRAGMA journal_mode=WAL");
	free(url);

	dal_conn_release(hc);
	dal_repo_close(holder); /* the lock goes with the connection */
	ck_assert_msg(dal_repo_restore(r, bak, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(tu_repo_int64(r, "SELECT COUNT(*) FROM t"), 2);
	dal_repo_close(r);
	free(db);
	free(bak);
}
END_TEST

static void exec_on(dal_conn *c, const char *sql)
{
	ck_assert_msg(dal_conn_exec(c, sql, NULL) == DAL_OK, "%s: %s", sql,
	              dal_conn_error(c)->message);
}

/* A COMMIT refused by a deferred foreign key ends the transaction anyway,
 * rolled back, and says so; a transaction SQLite itself ended leaves
 * nothing for a rollback to do. */
START_TEST(test_sqlite_commit_refused_by_deferred_key_rolls_back)
{
	char *db = tu_path_in("fk.db");
	dal_repo *r = tu_sqlite_open(db, "journal_mode=WAL&foreign_keys=on");
	dal_conn *c;
	dal_error err;
	int rc;

	ck_assert_int_eq(dal_conn_acquire(r, &c, &err), DAL_OK);
	exec_on(c, "CREATE TABLE p (id INTEGER PRIMARY KEY)");
	exec_on(c, "CREATE TABLE ch (pid INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)");
	ck_assert_int_eq(dal_conn_begin(c), DAL_OK);
	exec_on(c, "INSERT INTO ch VALUES (42)");
	rc = dal_conn_commit(c);
	ck_assert_msg(rc == DAL_ECONSTRAINT, "%s: %s", dal_code_name(rc),
	              dal_conn_error(c)->message);
	tu_assert_has(dal_conn_error(c)->message, "FOREIGN KEY");
	tu_assert_has(dal_conn_error(c)->message, "(the transaction was rolled back)");
	ck_assert_uint_eq(dal_conn_txn_depth(c), 0);
	dal_conn_release(c);
	ck_assert_int_eq(tu_repo_int64(r, "SELECT COUNT(*) FROM ch"), 0);
	dal_repo_close(r);
	free(db);
}
END_TEST

/* SQL that SQLite would cut short is refused at prepare: a second
 * statement that does not compile (its error), and parameter markers
 * SQLite knows but libdal does not rewrite (@name: 07001). A transaction
 * opened by hand with exec makes dal_conn_begin() refuse (25001). */
START_TEST(test_sqlite_prepare_refuses_what_it_would_cut_short)
{
	char *db = tu_path_in("p.db");
	dal_repo *r = tu_sqlite_open(db, "journal_mode=WAL");
	dal_conn *c;
	dal_stmt *s = NULL;
	dal_error err;
	int rc;

	ck_assert_int_eq(dal_conn_acquire(r, &c, &err), DAL_OK);
	rc = dal_stmt_prepare(c, "SELECT 1; SELEC 2", &s);
	ck_assert_msg(rc == DAL_ESYNTAX, "%s", dal_code_name(rc));
	tu_assert_has(dal_conn_error(c)->message, "prepare (second statement)");
	ck_assert_ptr_null(s);
	rc = dal_stmt_prepare(c, "SELECT @name", &s);
	ck_assert_msg(rc == DAL_EMISUSE, "%s", dal_code_name(rc));
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "07001");
	tu_assert_has(dal_conn_error(c)->message, "only ? and :name markers are supported");
	exec_on(c, "BEGIN");
	rc = dal_conn_begin(c);
	ck_assert_msg(rc == DAL_EMISUSE, "%s", dal_code_name(rc));
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "25001");
	exec_on(c, "ROLLBACK");
	dal_conn_release(c);
	dal_repo_close(r);
	free(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov_sqlite");
	TCase *tc = tcase_create("sqlite");

	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sqlite_backup_rename_failure_is_reported);
	tcase_add_test(tc, test_sqlite_damaged_database_fails_integrity_both_ways);
	tcase_add_test(tc, test_sqlite_backup_restore_and_wal_switch_wait_for_a_lock);
	tcase_add_test(tc, test_sqlite_commit_refused_by_deferred_key_rolls_back);
	tcase_add_test(tc, test_sqlite_prepare_refuses_what_it_would_cut_short);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
