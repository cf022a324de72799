/*
 * Tests of dal_repo_backup() / dal_repo_restore() and `dal backup` /
 * `dal restore` (docs/backup.md): SQLite's online backup taken while a
 * writer thread keeps committing, checked for consistency (every
 * transaction is all in the backup or not at all) and integrity; restore,
 * also from a damaged file; and the server backends, which point to
 * mariadb-dump / pg_dump without ever showing the password.
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"


#define DAL_BIN TOP_BUILDDIR "/cli/dal"

/* The writer: each transaction inserts a row and raises the counter to the
 * row count, so a consistent snapshot has counter == COUNT(*). */
struct writer {
	dal_repo *repo;
	volatile int stop;
	long commits;
	int failed;
	char error[DAL_ERROR_MESSAGE_SIZE];
};

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	dal_conn *c;
	dal_error err;

	if (dal_conn_acquire(w->repo, &c, &err) != DAL_OK) {
		w->failed = 1;
		snprintf(w->error, sizeof w->error, "%s", err.message);
		return NULL;
	}
	while (!w->stop) {
		if (dal_conn_begin(c) != DAL_OK ||
		    dal_conn_exec(c, "INSERT INTO t (v) VALUES (randomblob(200))", NULL) != DAL_OK ||
		    dal_conn_exec(c, "UPDATE counter SET n = n + 1", NULL) != DAL_OK ||
		    dal_conn_commit(c) != DAL_OK) {
			w->failed = 1;
			snprintf(w->error, sizeof w->error, "%s", dal_conn_error(c)->message);
			dal_conn_rollback(c);
			break;
		}
		w->commits++;
	}
	dal_conn_release(c);
	return NULL;
}

START_TEST(test_backup_is_consistent_while_a_writer_commits)
{
	char *db = tu_path_in("live.db");
	dal_repo *r = tu_sqlite_open(db, "journal_mode=WAL");
	struct writer w = { .repo = r };
	pthread_t th;
	dal_error err;

	tu_repo_exec(r, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
	tu_repo_exec(r, "CREATE TABLE counter (n INTEGER)");
	tu_repo_exec(r, "INSERT INTO counter VALUES (0)");
	ck_assert_int_eq(pthread_create(&th, NULL, write_loop, &w), 0);
	for (int k = 0; k < 5; k++) {
		char name[32], *bak;
		dal_repo *b;
		int64_t n, rows;

		/* Let the writer get ahead between backups. */
		while (w.commits < 50L * (k + 1) && !w.failed)
			usleep(1000);
		snprintf(name, sizeof name, "b%d.db", k);
		bak = tu_path_in(name);
		ck_assert_msg(dal_repo_backup(r, bak, &err) == DAL_OK, "%s", err.message);
		b = tu_sqlite_open(bak, "journal_mode=WAL");
		n = tu_repo_int64(b, "SELECT n FROM counter");
		rows = tu_repo_int64(b, "SELECT COUNT(*) FROM t");
		ck_assert_int_eq(n, rows);
		ck_assert_int_gt(rows, 0);
		ck_assert_int_eq(tu_repo_int64(b, "SELECT COUNT(*) FROM pragma_integrity_check "
		                        "WHERE integrity_check <> 'ok'"), 0);
		dal_repo_close(b);
		free(bak);
	}
	w.stop = 1;
	pthread_join(th, NULL);
	ck_assert_msg(!w.failed, "writer failed: %s", w.error);
	/* The writer was not stopped by the backups. */
	ck_assert_int_ge(w.commits, 250);
	dal_repo_close(r);
	free(db);
}
END_TEST

START_TEST(test_restore_brings_back_the_backup)
{
	char *db = tu_path_in("a.db"), *bak = tu_path_in("a.bak"), *bad = tu_path_in("bad.db");
	dal_repo *r = tu_sqlite_open(db, "journal_mode=WAL");
	dal_error err;
	FILE *f;

	tu_repo_exec(r, "CREATE TABLE t (x INTEGER)");
	tu_repo_exec(r, "INSERT INTO t VALUES (1), (2), (3)");
	ck_assert_msg(dal_repo_backup(r, bak, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_ne(access(bak, F_OK), -1);
	tu_repo_exec(r, "DELETE FROM t WHERE x > 1");
	tu_repo_exec(r, "CREATE TABLE later (y)");
	ck_assert_msg(dal_repo_restore(r, bak, &err) == DAL_OK, "%s", err.message);
	ck_assert_int_eq(tu_repo_int64(r, "SELECT COUNT(*) FROM t"), 3);
	ck_assert_int_eq(tu_repo_int64(r, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'later'"), 0);

	/* A damaged file is refused and nothing changes. */
	f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fputs("this is not an SQLite database, just text long enough to be read", f);
	fclose(f);
	ck_assert_int_eq(dal_repo_restore(r, bad, &err), DAL_EDATA);
	ck_assert_msg(tu_contains(err.message, bad), "%s", err.message);
	ck_assert_int_eq(tu_repo_int64(r, "SELECT COUNT(*) FROM t"), 3);
	/* A missing file too. */
	ck_assert_int_eq(dal_repo_restore(r, "/nonexistent/x.db", &err), DAL_ENOTFOUND);
	/* A backup into a directory that does not exist leaves nothing. */
	ck_assert_int_ne(dal_repo_backup(r, "/nonexistent/dir/x.db", &err), DAL_OK);
	ck_assert_msg(tu_contains(err.message, "/nonexistent/dir/x.db"), "%s", err.message);
	dal_repo_close(r);
	free(db);
	free(bak);
	free(bad);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The command line                                                          */
/* ------------------------------------------------------------------------ */

struct run {
	char out[16384], err[16384];
	int status;
};

static void run_dal(struct run *r, const char *const *args)
{
	const char *argv[16];
	char *out = tu_path_in("out.txt"), *err = tu_path_in("err.txt");
	int n = 0;

	argv[n++] = DAL_BIN;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	r->status = tu_wait(tu_spawn(argv, NULL, out, err));
	tu_slurp(out, r->out, sizeof r->out);
	tu_slurp(err, r->err, sizeof r->err);
	free(out);
	free(err);
}


START_TEST(test_cli_backup_and_restore_sqlite)
{
	char *db = tu_path_in("c.db"), *bak = tu_path_in("c.bak"), *url;
	struct run r;

	ck_assert_int_gt(asprintf(&url, "sqlite:///%s", db), 0);
	{
		const char *a[] = { "-u", url, "exec", "CREATE TABLE t (x)", "exec",
		                    "INSERT INTO t VALUES (42)", NULL };
		run_dal(&r, a);
		tu_assert_run(&r, 0);
	}
	{
		const char *a[] = { "-u", url, "backup", "--to", bak, NULL };
		run_dal(&r, a);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, "backed up to");
		tu_assert_has(r.out, "integrity check ok");
	}
	{
		const char *a[] = { "-u", url, "exec", "DELETE FROM t", NULL };
		run_dal(&r, a);
		tu_assert_run(&r, 0);
	}
	{
		const char *a[] = { "-u", url, "restore", "--from", bak, NULL };
		run_dal(&r, a);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, "restored from");
	}
	{
		const char *a[] = { "-u", url, "query", "--csv", "SELECT x FROM t", NULL };
		run_dal(&r, a);
		tu_assert_run(&r, 0);
		tu_assert_has(r.out, "42");
	}
	{
		const char *a[] = { "-u", url, "backup", NULL };
		run_dal(&r, a);
		tu_assert_run(&r, 2);
		tu_assert_has(r.err, "--to FILE is required");
	}
	{
		const char *a[] = { "-u", url, "restore", "--from", "/nonexistent", NULL };
		run_dal(&r, a);
		tu_assert_run(&r, 1);
		tu_assert_has(r.err, "DAL_ENOTFOUND");
	}
	free(url);
	free(db);
	free(bak);
}
END_TEST

/* A backend without online backup whose plugin declares a dump tool and
 * its command template (tests/plugins/madeup.c built as halfmade): the
 * refusal names that tool and `dal backup` prints the template filled in,
 * an optional part without a value left out, the password option after
 * the program's name. */
START_TEST(test_cli_backup_hint_comes_from_the_plugins_facts)
{
	const char *path = getenv("DAL_PLUGIN_PATH");
	char *db = tu_path_in("h.db"), *bak = tu_path_in("h.bak"), *url, *dirs, *saved, want[1024];
	struct run r;

	saved = path ? strdup(path) : NULL;
	ck_assert_int_gt(asprintf(&dirs, "%s:%s", TESTS_BUILDDIR, path ? path : ""), 0);
	setenv("DAL_PLUGIN_PATH", dirs, 1);
	ck_assert_int_gt(asprintf(&url, "halfmade:///%s", db), 0);
	{
		const char *a[] = { "-u", url, "backup", "--to", bak, NULL };
		run_dal(&r, a);
	}
	tu_assert_run(&r, 1);
	tu_assert_has(r.err, "has no online backup in libdal; use fbdump");
	tu_assert_has(r.err, "run the command above instead");
	snprintf(want, sizeof want, "# password: in FBPASS, never on the command line\n"
	         "fbdump --password-from-env --quiet --file='%s'\n", bak);
	ck_assert_str_eq(r.out, want);
	{
		/* No restore tool or command declared: the plain refusal. */
		const char *a[] = { "-u", url, "restore", "--from", bak, NULL };
		run_dal(&r, a);
	}
	tu_assert_run(&r, 1);
	tu_assert_has(r.err, "has no online restore (its plugin does not implement the "
	                     "restore slot)");
	ck_assert_str_eq(r.out, "");
	if (saved)
		setenv("DAL_PLUGIN_PATH", saved, 1);
	free(saved);
	free(dirs);
	free(url);
	free(db);
	free(bak);
}
END_TEST

/* The servers: a clear refusal naming the tool, its command built from the
 * settings, and the password nowhere. */
static void server_backup(const char *var, const char *tool)
{
	const char *url = getenv(var);
	char pw[256];
	const char *at, *colon;
	struct run r;
	dal_repo *repo;
	dal_error err;

	if (!url || !*url) {
		printf("%s not set: case skipped\n", var);
		return;
	}
	ck_assert_int_eq(dal_repo_open_url(&repo, url, &err), DAL_OK);
	ck_assert_int_eq(dal_repo_backup(repo, "/tmp/never", &err), DAL_EUNSUPPORTED);
	tu_assert_has(err.message, tool);
	dal_repo_close(repo);

	{
		const char *a[] = { "-u", url, "backup", "--to", "/tmp/x.dump", NULL };
		run_dal(&r, a);
	}
	tu_assert_run(&r, 1);
	tu_assert_has(r.out, tool);
	tu_assert_has(r.out, "--host='127.0.0.1'");
	tu_assert_has(r.out, "'/tmp/x.dump'");
	tu_assert_has(r.err, "run the command above instead");
	/* The password, as written in the URL and decoded. */
	colon = strchr(strstr(url, "://") + 3, ':');
	at = strrchr(url, '@');
	ck_assert_ptr_nonnull(colon);
	snprintf(pw, sizeof pw, "%.*s", (int)(at - colon - 1), colon + 1);
	tu_assert_lacks(r.out, pw);
	tu_assert_lacks(r.err, pw);
	{
		char dec[256];

		tu_pct_decode(pw, dec, sizeof dec);
		tu_assert_lacks(r.out, dec);
		tu_assert_lacks(r.err, dec);
	}
}

START_TEST(test_cli_backup_server_points_to_dump_tools)
{
	server_backup("DAL_TEST_PGSQL_URL", "pg_dump");
	server_backup("DAL_TEST_MYSQL_URL", "mariadb-dump");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backup");
	TCase *tc = tcase_create("backup");

	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_backup_is_consistent_while_a_writer_commits);
	tcase_add_test(tc, test_restore_brings_back_the_backup);
	tcase_add_test(tc, test_cli_backup_and_restore_sqlite);
	tcase_add_test(tc, test_cli_backup_server_points_to_dump_tools);
	tcase_add_test(tc, test_cli_backup_hint_comes_from_the_plugins_facts);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
