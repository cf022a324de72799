/*
 * Shared by the schema lifecycle tests (test_migrate.c for the API,
 * test_cli_migrate.c for `dal migrate` and `dal db-reset`; one program, so
 * that its cases never run at the same time): the backends under test, an
 * INI file per case, scalar queries and running the `dal` tool.
 *
 * The server cases use the database daltest_schema of
 * scripts/test-servers.sh (the database of DAL_TEST_*_URL with "_schema"
 * appended), because they drop everything in it.
 */
#ifndef DAL_TEST_MIGRATE_UTIL_H
#define DAL_TEST_MIGRATE_UTIL_H

#include <stdarg.h>
#include <stdint.h>

#include <dal/dal.h>

#include "testutil.h"

/* Loop index of the backends: tcase_add_loop_test(tc, fn, 0, MT_N). */
enum { MT_SQLITE = 0, MT_MYSQL = 1, MT_PGSQL = 2, MT_N = 3 };

struct mt {
	int backend;        /* MT_* */
	const char *type;   /* "sqlite", "mysql", "postgresql" */
	char *dir;          /* the case's temporary directory */
	char *mig;          /* dir/mig, the migrations directory */
	char *ini;          /* dir/dal.ini: [main] with migrations = mig */
	char url[1024];     /* the database: sqlite:///dir/app.db or the _schema URL */
	char other_url[1024]; /* servers: the suite's usual database (never reset) */
};

/* Set up the case for backend i: a fresh directory and INI (extra lines are
 * appended to [main], may be NULL) and, on a server, an emptied database.
 * Returns 0 when the backend has no test URL (the case is skipped, with a
 * line on stderr). */
int mt_setup(struct mt *t, int i, const char *extra);
void mt_teardown(struct mt *t);

/* Write dir/mig/name. */
void mt_file(const struct mt *t, const char *name, const char *text);

/* Remove the file name of the migrations directory; it must exist. */
void mt_unlink(const struct mt *t, const char *name);

/* Open the case's database by URL (no INI, no auto_migrate). */
dal_repo *mt_open(const struct mt *t);

/* The first column of the first row of sql as an integer; -1 when the
 * statement fails (a missing table). */
int64_t mt_scalar(dal_repo *r, const char *sql);

/* Run `dal -c INI args...` (NULL-terminated) and capture its output (free
 * it with tu_run_free()). */
void mt_dal(const struct mt *t, struct tu_run *r, ...);
void mt_dal_va(const struct mt *t, struct tu_run *r, va_list ap);

/* Occurrences of needle in s. */
int mt_count(const char *s, const char *needle);

/* Wait (up to 20 s) until another process holds the case's migration lock. */
void mt_wait_lock_held(const struct mt *t);

/* The slow statement of 0001 for the concurrency cases, per backend. */
const char *mt_slow_sql(const struct mt *t);

#endif
