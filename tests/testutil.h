/*
 * Small helpers shared by the Check suites: temporary directories and files,
 * and environment hygiene. Nothing here knows about libdal internals.
 */
#ifndef DAL_TESTUTIL_H
#define DAL_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <dal/dal.h>

/* Create a fresh directory under $TMPDIR (or /tmp); returns a malloc'd path.
 * Aborts the test on failure. */
char *tu_mkdtemp(void);

/* Remove a directory tree made by tu_mkdtemp() and free the path. */
void tu_rmtree(char *dir);

/* Write text to dir/name (dir may be NULL for an absolute name); returns the
 * malloc'd full path. */
char *tu_write_file(const char *dir, const char *name, const char *text);

/* Unset every variable libdal reads except DAL_PLUGIN_PATH. */
void tu_clear_env(void);

/* Decode %XX escapes of in into out[size] (always NUL-terminated): the
 * passwords in the test server URLs are percent-encoded. */
void tu_pct_decode(const char *in, char *out, size_t size);

/* 1 if haystack contains needle. */
int tu_contains(const char *haystack, const char *needle);

/* 1 if every backend of names (space-separated, e.g. "mysql pgsql") is
 * built in this tree (plugins/<name>/backend_<name>.la); else 0 and a note
 * on stderr. Tests that resolve settings of a server type need its
 * registration: they do not apply to an only-SQLite build (configure
 * --with-mysql=no --with-pgsql=no). */
int tu_backends_built(const char *names);

/* Start argv[0] (a path) with the arguments argv (NULL-terminated), stdin
 * from the file in (NULL: /dev/null), stdout and stderr to the files out
 * and err (created or truncated; NULL: the test's own); the environment is
 * the test's. Returns the pid; aborts the test if it cannot start. */
pid_t tu_spawn(const char *const *argv, const char *in, const char *out, const char *err);

/* Wait for pid: its exit status, or 128 + the signal that ended it. */
int tu_wait(pid_t pid);

/* The whole file, malloc'd and NUL-terminated; NULL if it cannot be opened. */
char *tu_read_file(const char *path);

/* The first size - 1 bytes of the file into buf, NUL-terminated (empty if
 * it cannot be opened). */
void tu_slurp(const char *path, char *buf, size_t size);

/* A finished run (r: a struct with status, out and err) must have exited
 * with code; on failure the whole output is shown. */
#define tu_assert_run(r, code) \
	ck_assert_msg((r)->status == (code), "exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", \
	              (r)->status, (code), (r)->out, (r)->err)

#define tu_assert_has(text, needle) \
	ck_assert_msg(tu_contains((text), (needle)), "'%s' not found in:\n%s", (needle), (text))

#define tu_assert_lacks(text, needle) \
	ck_assert_msg(!tu_contains((text), (needle)), "'%s' unexpectedly in:\n%s", (needle), \
	              (text))

/* Run suite s (the runner takes it over) in Check's normal mode: the
 * program's exit status, EXIT_FAILURE if a case failed. */
int tu_run_suite(Suite *s);

/* Helpers on the public API; each fails the test, with the error, when
 * the call fails. */

/* dal_repo_open() of url, without a configuration. */
dal_repo *tu_repo_open(const char *url);

/* dal_repo_exec() of sql. */
void tu_repo_exec(dal_repo *r, const char *sql);

/* A row for tu_insert_row(): sql takes the one int64 parameter id. */
struct tu_row {
	const char *sql;
	int64_t id;
};

/* A dal_repo_transact() callback: runs ud's (struct tu_row) statement;
 * DAL_OK or the failing call's code. */
int tu_insert_row(dal_conn *c, void *ud);
/* 1 if path starts with "#!": libtool's wrapper script for a program of a
 * shared build, run through /bin/sh; a static dal (configure
 * --enable-static-backends) is the program itself. */
int tu_is_script(const char *path);

#endif
