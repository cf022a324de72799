/*
 * Small helpers shared by the Check suites: temporary directories and files,
 * and environment hygiene. Nothing here knows about libdal internals.
 */
#ifndef DAL_TESTUTIL_H
#define DAL_TESTUTIL_H

#include <check.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <dal/dal.h>

/* Create a fresh directory under $TMPDIR (or /tmp); returns a malloc'd path.
 * Aborts the test on failure. */
char *tu_mkdtemp(void);

/* tu_mkdtemp() for a suite's main(), outside any test (where a failed check
 * cannot be reported): NULL on failure. */
char *tu_mkdtemp_main(void);

/* Remove a directory tree made by tu_mkdtemp() and free the path. */
void tu_rmtree(char *dir);

/* Write text to dir/name (dir may be NULL for an absolute name); returns the
 * malloc'd full path. */
char *tu_write_file(const char *dir, const char *name, const char *text);

/* Put dir first in DAL_PLUGIN_PATH (the test plugins of the build tree are
 * then found like installed ones): 0, or -1 when out of memory. Usable in a
 * suite's main(). */
int tu_plugin_path_prepend(const char *dir);

/* Unset every variable libdal reads except DAL_PLUGIN_PATH. */
void tu_clear_env(void);

/* Decode %XX escapes of in into out[size] (always NUL-terminated): the
 * passwords in the test server URLs are percent-encoded. */
void tu_pct_decode(const char *in, char *out, size_t size);

/* The password of a URL ("scheme://user:password@host..."), percent-decoded
 * into out[size], or "" when it has none: what tests check never shows. */
void tu_url_password(const char *url, char *out, size_t size);

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

/* A finished run of a program (tu_run_va()): its whole stdout and stderr,
 * malloc'd and NUL-terminated, and its exit status, or 128 + the signal
 * that ended it. */
struct tu_run {
	char *out, *err;
	int status;
};

/* Run the program head[0] with the arguments head[1]... (NULL-terminated)
 * followed by those of ap (const char *, NULL-terminated; 60 in all at
 * most) and wait for it; through /bin/sh when head[0] is libtool's wrapper
 * script. Its stdin is the file in (NULL: /dev/null), its environment the
 * test's; stdout and stderr are read together, so that neither pipe fills
 * up and blocks it. Fails the test if it cannot start. */
void tu_run_va(struct tu_run *r, const char *in, const char *const *head, va_list ap);

/* Free the output of a run. */
void tu_run_free(struct tu_run *r);

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

/* dal_config_parse() of text, named "t.ini" in messages. */
dal_config *tu_config_parse(const char *text);

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
/* dal_conn_acquire() from r. */
dal_conn *tu_conn_acquire(dal_repo *r);

/* dal_conn_exec() of sql. */
void tu_conn_exec(dal_conn *c, const char *sql);

/* The first column of the one row sql returns, as an integer. */
int64_t tu_conn_int64(dal_conn *c, const char *sql);

/* The URL of the test server of backend "mysql" or "pgsql"
 * (DAL_TEST_MYSQL_URL, DAL_TEST_PGSQL_URL), or NULL when it is not set: the
 * case does not apply, which a line "SKIP: <backend>: no DAL_TEST_..._URL"
 * on stdout says. */
const char *tu_server_url(const char *backend);

/* The repository of one backend of a per-backend suite: "sqlite" at
 * sqlite_url, "mysql" or "pgsql" at its test server (tu_server_url()), with
 * the settings query (a URL query without '?', may be NULL) added. NULL
 * when the server is not configured; fails the test when it cannot open. */
dal_repo *tu_backend_open(const char *backend, const char *sqlite_url, const char *query);

/* 1 if path starts with "#!": libtool's wrapper script for a program of a
 * shared build, run through /bin/sh; a static dal (configure
 * --enable-static-backends) is the program itself. */
int tu_is_script(const char *path);

/* A suite's temporary directory: tu_tmpdir_setup() (a checked fixture's
 * setup) clears the environment (tu_clear_env()) and makes tu_tmpdir;
 * tu_tmpdir_teardown() clears the environment again and removes it. */
extern char *tu_tmpdir;
void tu_tmpdir_setup(void);
void tu_tmpdir_teardown(void);

/* "<tu_tmpdir>/name", malloc'd. */
char *tu_path_in(const char *name);

/* dal_repo_open_url() of "sqlite:///<path>?<query>" (path absolute). */
dal_repo *tu_sqlite_open(const char *path, const char *query);

/* The first column of the one row sql returns on a connection of r, as an
 * integer (the connection is released). */
int64_t tu_repo_int64(dal_repo *r, const char *sql);

/* dal_repo_open_url() of url after tu_clear_env(), so that no variable of
 * the caller's environment changes the settings of url. */
dal_repo *tu_repo_open_url(const char *url);

/* dal_stmt_prepare() of sql on c. */
dal_stmt *tu_stmt_prepare(dal_conn *c, const char *sql);

/* dal_stmt_step() of s must give a row (DAL_ROW). */
void tu_stmt_step_row(dal_stmt *s);

/* Open url with query (a URL query without '?') appended, after
 * tu_clear_env(), and acquire a connection when the open succeeds (a
 * repository may connect lazily): the first failing code with err filled,
 * or DAL_OK; nothing stays open. */
int tu_connect_with(const char *url, const char *query, dal_error *err);

/* A server backend streaming a result keeps c busy: with c freshly
 * acquired, another statement's step, an exec, a ping and BEGIN are
 * refused with DAL_EMISUSE (HY010; the step's error names "<label> option
 * buffered = on"), dal_conn_last_insert_id() returns last_id_rc, a
 * statement closed meanwhile is put aside, the stream goes on intact and
 * afterwards c serves the next statements. */
void tu_assert_stream_keeps_conn(dal_conn *c, const char *label, int last_id_rc);

/* tu_run_suite() in one process (Check's CK_NOFORK): for suites whose
 * cases share state an earlier one warmed (a plugin loaded, a count run). */
int tu_run_suite_nofork(Suite *s);

#endif
