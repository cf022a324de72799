/*
 * What an allocation failure tells the user: for every N, a child runs one
 * small workload with allocation N failing (failmalloc.c, mode "once") and
 * sends back its result. Every error must come with a message, each
 * DAL_ENOMEM's saying "out of memory", and the messages that name their
 * context (the configuration file, the URL's origin, the plugin loader, the
 * migrations directory, the schema_version table, the catalog) must each be
 * seen at least once, so that the code paths that set them are reached.
 * Whether the workloads survive every N (no crash, leak or wrong result) is
 * test_oom.c's and test_oom_features.c's job. About 3 s (SQLite only).
 * DAL_OOM_VERBOSE=1 prints each error with its N.
 */
#define _GNU_SOURCE
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dal/dal.h>
#include <dal/migrate.h>

#include "failmalloc.h"
#include "testutil.h"

static char *dir, *ini_path, *mig_dir, *db_url;

static void quiet(dal_log_level level, const char *msg, void *ud)
{
	(void)level, (void)msg, (void)ud;
}

static void on_setting(const char *key, const char *value, const char *source, void *ud)
{
	(void)key, (void)value, (void)source, (void)ud;
}

static void on_migration(const dal_migration_info *m, void *ud)
{
	(void)m, (void)ud;
}

static void on_object(const char *kind, const char *name, void *ud)
{
	(void)kind, (void)name, (void)ud;
}

static int w_config_parse(dal_error *e)
{
	dal_config *cfg;
	int rc = dal_config_parse(&cfg, "[dal]\ndefault = main\n[main]\nurl = sqlite::memory:\n"
	                          "pool_size = 2\n[other]\ntype = sqlite\n", "app.ini", e);
	if (rc == DAL_OK)
		dal_config_free(cfg);
	return rc;
}

static int w_config_load(dal_error *e)
{
	dal_config *cfg;
	int rc = dal_config_load(&cfg, ini_path, e);
	if (rc == DAL_OK)
		dal_config_free(cfg);
	return rc;
}

static int w_describe(dal_error *e)
{
	return dal_config_describe(NULL, NULL, "sqlite:///var/tmp/oom-msg.db?pool_size=3"
	                           "&busy_timeout=2", on_setting, NULL, e);
}

static int w_migrate(dal_error *e)
{
	dal_repo *r;
	dal_migrator *m;
	int rc;

	if ((rc = dal_repo_open_url(&r, db_url, e)) != DAL_OK)
		return rc;
	if ((rc = dal_migrator_open(&m, r, mig_dir, e)) == DAL_OK) {
		if ((rc = dal_migrator_up(m, -1, NULL, e)) == DAL_OK)
			rc = dal_migrator_status(m, on_migration, NULL, NULL, NULL, e);
		if (rc == DAL_OK)
			rc = dal_repo_drop_all(r, DAL_DROP_DRY_RUN, on_object, NULL, NULL, e);
		dal_migrator_close(m);
	}
	dal_repo_close(r);
	return rc;
}

/* Run w with allocation nth failing (0: none) in a child; its result code,
 * the allocations it made and its message into msg. Returns 0 when the
 * child ended normally. */
static int run_child(int (*w)(dal_error *), unsigned long nth, int *rc, unsigned long *calls,
                     char *msg, size_t size)
{
	int fd[2], status;
	pid_t pid;
	ssize_t n;

	ck_assert_int_eq(pipe(fd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dal_error e;
		unsigned long n_calls;
		int r;

		close(fd[0]);
		alarm(20);
		memset(&e, 0, sizeof e);
		fm_arm(nth, FM_ONCE);
		r = w(&e);
		fm_disarm();
		n_calls = fm_calls();
		/* write(2) only: nothing here may allocate. */
		if (write(fd[1], &r, sizeof r) != sizeof r ||
		    write(fd[1], &n_calls, sizeof n_calls) != sizeof n_calls ||
		    write(fd[1], e.message, strnlen(e.message, sizeof e.message)) < 0)
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	memset(msg, 0, size);
	*rc = DAL_OK;
	*calls = 0;
	n = read(fd[0], rc, sizeof *rc);
	if (n == sizeof *rc && read(fd[0], calls, sizeof *calls) == sizeof *calls)
		n = read(fd[0], msg, size - 1);
	close(fd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Sweep every N of w, from a warm process (w ran once in this one) or a
 * cold one (it did not). Every error must come with a message, every
 * DAL_ENOMEM's must say "out of memory" and, if every is not NULL, contain
 * it; each of want[] must appear in the message of at least one error. */
static void sweep(const char *name, int (*w)(dal_error *), int cold, const char *every,
                  const char *const *want)
{
	unsigned long calls, c;
	int seen[8] = {0}, nomem = 0, rc;
	dal_error e;
	char msg[DAL_ERROR_MESSAGE_SIZE + 1];

	if (cold) {
		ck_assert_int_eq(run_child(w, 0, &rc, &calls, msg, sizeof msg), 0);
		ck_assert_msg(rc == DAL_OK, "%s: %s", name, msg);
	} else {
		ck_assert_msg((rc = w(&e)) == DAL_OK, "%s: %s", name, e.message);
		fm_arm(0, FM_ONCE);
		ck_assert_int_eq(w(&e), DAL_OK);
		calls = fm_calls();
		fm_disarm();
	}
	for (unsigned long nth = 1; nth <= calls; nth++) {
		ck_assert_msg(run_child(w, nth, &rc, &c, msg, sizeof msg) == 0,
		              "%s: allocation %lu failing: the child did not end normally", name,
		              nth);
		if (rc == DAL_OK)
			continue;
		if (getenv("DAL_OOM_VERBOSE"))
			fprintf(stderr, "%s %lu: %s: %s\n", name, nth, dal_code_name(rc), msg);
		ck_assert_msg(msg[0], "%s: allocation %lu failing: %s without a message", name, nth,
		              dal_code_name(rc));
		for (size_t i = 0; want[i]; i++)
			seen[i] |= tu_contains(msg, want[i]);
		if (rc != DAL_ENOMEM)
			continue;
		nomem++;
		ck_assert_msg(tu_contains(msg, "out of memory"),
		              "%s: allocation %lu failing: DAL_ENOMEM with the message '%s'", name,
		              nth, msg);
		ck_assert_msg(!every || tu_contains(msg, every),
		              "%s: allocation %lu failing: '%s' does not name '%s'", name, nth, msg,
		              every);
	}
	for (size_t i = 0; want[i]; i++)
		ck_assert_msg(seen[i], "%s: no error said '%s' (%lu allocations, %d DAL_ENOMEM)",
		              name, want[i], calls, nomem);
	printf("test_oom_messages: %s%s: %lu allocations, %d failed with DAL_ENOMEM\n", name,
	       cold ? " (cold)" : "", calls, nomem);
}

START_TEST(test_oom_messages_config)
{
	static const char *const parse[] = {"app.ini: out of memory reading the configuration",
	                                    NULL};
	char want[512];
	const char *load[] = {want, NULL};

	sweep("dal_config_parse", w_config_parse, 0, "app.ini: ", parse);
	snprintf(want, sizeof want, "out of memory reading '%s'", ini_path);
	sweep("dal_config_load", w_config_load, 0, ini_path, load);
}
END_TEST

/* Before any plugin was loaded in this process: the plugin loader's own
 * start-up can fail too, and says so. */
START_TEST(test_oom_messages_plugin_loader_cold)
{
	static const char *const want[] = {"cannot initialise the plugin loader: libltdl",
	                                   "although the file loads with dlopen(): out of memory?",
	                                   NULL};

	sweep("dal_config_describe", w_describe, 1, NULL, want);
}
END_TEST

START_TEST(test_oom_messages_settings_and_url)
{
	static const char *const want[] = {"out of memory resolving settings",
	                                   "argument: out of memory parsing URL", NULL};

	sweep("dal_config_describe", w_describe, 0, NULL, want);
}
END_TEST

START_TEST(test_oom_messages_migrations)
{
	static const char *const want[] = {"out of memory opening the migrations of ",
	                                   "out of memory reading the migrations directory",
	                                   "out of memory reading schema_version",
	                                   "out of memory reading the catalog", NULL};

	sweep("migrations", w_migrate, 0, NULL, want);
}
END_TEST

/* A configuration file and a migrations directory of 40 files: more rows
 * than the first allocation of each list holds (16 versions, 32 catalog
 * objects), so that growing them fails too. */
static void setup(void)
{
	dir = tu_mkdtemp();
	ini_path = tu_write_file(dir, "dal.ini", "[main]\nurl = sqlite::memory:\n");
	ck_assert_int_gt(asprintf(&mig_dir, "%s/migrations", dir), 0);
	ck_assert_int_eq(mkdir(mig_dir, 0755), 0);
	ck_assert_int_gt(asprintf(&db_url, "sqlite:///%s/m.db", dir), 0);
	for (int i = 1; i <= 40; i++) {
		char name[32], sql[96];

		snprintf(name, sizeof name, "%04d_t%d.sql", i, i);
		snprintf(sql, sizeof sql, "CREATE TABLE t%d (id INTEGER);\n", i);
		free(tu_write_file(mig_dir, name, sql));
	}
}

static void teardown(void)
{
	free(ini_path);
	free(mig_dir);
	free(db_url);
	tu_rmtree(dir);
}

int main(void)
{
	Suite *s = suite_create("oom_messages");
	TCase *tc = tcase_create("oom_messages");

	tu_clear_env();
	dal_log_set(quiet, NULL);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	/* First: no plugin may be loaded in this process before it. */
	tcase_add_test(tc, test_oom_messages_plugin_loader_cold);
	tcase_add_test(tc, test_oom_messages_config);
	tcase_add_test(tc, test_oom_messages_settings_and_url);
	tcase_add_test(tc, test_oom_messages_migrations);
	suite_add_tcase(s, tc);
	/* One process: the children share the warm state (plugin loaded). */
	return tu_run_suite_nofork(s);
}
