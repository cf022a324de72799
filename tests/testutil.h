/*
 * Small helpers shared by the Check suites: temporary directories and files,
 * and environment hygiene. Nothing here knows about libdal internals.
 */
#ifndef DAL_TESTUTIL_H
#define DAL_TESTUTIL_H

#include <stddef.h>

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

/* 1 if path starts with "#!": libtool's wrapper script for a program of a
 * shared build, run through /bin/sh; a static dal (configure
 * --enable-static-backends) is the program itself. */
int tu_is_script(const char *path);

#endif
