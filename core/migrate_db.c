/*
 * The schema_version table: created, read and written through prepared
 * statements of the public API, in SQL that the three dialects share
 * (BIGINT, VARCHAR, INTEGER, CREATE TABLE IF NOT EXISTS). Also the layer's
 * small helpers: errors, clocks.
 *
 * applied_at is text written from the migrator's clock in UTC, not a
 * server-side timestamp type: the one column type and format every dialect
 * stores and sorts alike.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "migrate_int.h"

int mig_error(dal_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	strcpy(err->sqlstate, "HY000");
	err->native = 0;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return code;
}

void mig_prefix(dal_error *err, const char *what, const char *msg)
{
	char buf[DAL_ERROR_MESSAGE_SIZE];
	size_t n = strlen(what);

	/* msg may be err->message itself. Truncation is fine: the message
	 * has a fixed size. */
	snprintf(buf, sizeof buf, "%s", msg);
	if (n > sizeof err->message - 3)
		n = sizeof err->message - 3;
	memmove(err->message, what, n);
	memcpy(err->message + n, ": ", 2);
	n += 2;
	{
		size_t m = strlen(buf);
		if (m > sizeof err->message - 1 - n)
			m = sizeof err->message - 1 - n;
		memcpy(err->message + n, buf, m);
		err->message[n + m] = '\0';
	}
}

/* Fill err from cause (a connection's or statement's error): the
 * database's code, SQLSTATE and native code stay; the message says what
 * the migrator was doing. */
static int fail_from(const dal_error *cause, int rc, dal_error *err, const char *fmt,
                     va_list ap)
{
	char what[256];

	vsnprintf(what, sizeof what, fmt, ap);
	err->code = rc;
	memcpy(err->sqlstate, cause->code ? cause->sqlstate : "HY000", sizeof err->sqlstate);
	err->native = cause->code ? cause->native : 0;
	mig_prefix(err, what, cause->code ? cause->message : dal_strerror(rc));
	return rc;
}

int mig_conn_fail(dal_conn *c, int rc, dal_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return rc;
	va_start(ap, fmt);
	fail_from(dal_conn_error(c), rc, err, fmt, ap);
	va_end(ap);
	return rc;
}

int mig_stmt_fail(dal_stmt *st, int rc, dal_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return rc;
	va_start(ap, fmt);
	fail_from(dal_stmt_error(st), rc, err, fmt, ap);
	va_end(ap);
	return rc;
}

void mig_now(char out[40])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t mig_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mig_table_ensure(dal_conn *c, int probe, dal_error *err)
{
	int rc;

	/* Probing first keeps PostgreSQL's "already exists, skipping" notice
	 * out of the log; only outside a transaction, where a failed statement
	 * does not abort one. */
	if (probe) {
		dal_stmt *st;

		if ((rc = dal_stmt_prepare(c, "SELECT version FROM " MIG_TABLE " WHERE 1 = 0",
		                           &st)) == DAL_OK) {
			rc = dal_stmt_step(st);
			dal_stmt_close(st);
		}
		if (rc == DAL_DONE)
			return DAL_OK;
		if (rc != DAL_ENOTFOUND)
			return mig_conn_fail(c, rc, err, "reading " MIG_TABLE);
	}
	rc = dal_conn_exec(c,
	                       "CREATE TABLE IF NOT EXISTS " MIG_TABLE " ("
	                       "version BIGINT NOT NULL PRIMARY KEY, "
	                       "name VARCHAR(255) NOT NULL, "
	                       "checksum VARCHAR(64) NOT NULL, "
	                       "applied_at VARCHAR(32) NOT NULL, "
	                       "duration_ms BIGINT NOT NULL, "
	                       "dirty INTEGER NOT NULL DEFAULT 0)",
	                       NULL);
	return rc == DAL_OK ? rc : mig_conn_fail(c, rc, err, "creating table " MIG_TABLE);
}

void mig_rows_free(struct mig_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++)
		free(rows->v[i].name);
	free(rows->v);
	rows->v = NULL;
	rows->n = 0;
}

static void copy_text(dal_stmt *st, unsigned col, char *dst, size_t size)
{
	const char *s = dal_stmt_column_text(st, col, NULL);
	snprintf(dst, size, "%s", s ? s : "");
}

int mig_rows_load(dal_conn *c, struct mig_rows *rows, int missing_ok, int by_time,
                  dal_error *err)
{
	const char *sql = by_time
		? "SELECT version, name, checksum, applied_at, duration_ms, dirty FROM "
		  MIG_TABLE " ORDER BY applied_at, version"
		: "SELECT version, name, checksum, applied_at, duration_ms, dirty FROM "
		  MIG_TABLE " ORDER BY version";
	size_t cap = 0;
	dal_stmt *st;
	int rc, own = 0; /* own: the loop set the error itself (out of memory) */

	rows->v = NULL;
	rows->n = 0;
	/* A missing table is reported by SQLite at prepare, by PostgreSQL at
	 * execution. */
	if ((rc = dal_stmt_prepare(c, sql, &st)) != DAL_OK)
		return rc == DAL_ENOTFOUND && missing_ok
		       ? DAL_OK : mig_conn_fail(c, rc, err, "reading " MIG_TABLE);
	if ((rc = dal_stmt_step(st)) < 0) {
		int missing = rc == DAL_ENOTFOUND && missing_ok;

		if (!missing)
			mig_stmt_fail(st, rc, err, "reading " MIG_TABLE);
		dal_stmt_close(st);
		return missing ? DAL_OK : rc;
	}
	for (; rc == DAL_ROW; rc = dal_stmt_step(st)) {
		struct mig_row *r;

		if (rows->n == cap) {
			r = realloc(rows->v, (cap = cap ? 2 * cap : 16) * sizeof *r);
			if (!r) {
				own = 1;
				rc = mig_error(err, DAL_ENOMEM, "out of memory reading " MIG_TABLE);
				break;
			}
			rows->v = r;
		}
		r = &rows->v[rows->n];
		r->version = dal_stmt_column_int64(st, 0);
		r->name = strdup(dal_stmt_column_text(st, 1, NULL) ? dal_stmt_column_text(st, 1, NULL)
		                                                   : "");
		if (!r->name) {
			own = 1;
			rc = mig_error(err, DAL_ENOMEM, "out of memory reading " MIG_TABLE);
			break;
		}
		copy_text(st, 2, r->checksum, sizeof r->checksum);
		copy_text(st, 3, r->applied_at, sizeof r->applied_at);
		r->duration_ms = dal_stmt_column_int64(st, 4);
		r->dirty = dal_stmt_column_int64(st, 5) != 0;
		rows->n++;
	}
	if (rc < 0 && !own)
		mig_stmt_fail(st, rc, err, "reading " MIG_TABLE);
	dal_stmt_close(st);
	if (rc != DAL_DONE) {
		mig_rows_free(rows);
		return rc;
	}
	return DAL_OK;
}

const struct mig_row *mig_row_find(const struct mig_rows *rows, int64_t v)
{
	for (size_t i = 0; i < rows->n; i++)
		if (rows->v[i].version == v)
			return &rows->v[i];
	return NULL;
}

/* Prepare sql, let bind() bind, run it to the end. */
static int run(dal_conn *c, const char *sql, const struct mig_file *f, int64_t a, int64_t b,
               const char *what, dal_error *err)
{
	char now[40];
	dal_stmt *st;
	int rc = dal_stmt_prepare(c, sql, &st);

	if (rc != DAL_OK)
		return mig_conn_fail(c, rc, err, "%s", what);
	mig_now(now);
	for (unsigned i = 1; i <= dal_stmt_param_count(st) && rc == DAL_OK; i++) {
		const char *name = NULL;
		/* Parameters are named so that each statement binds what it
		 * uses, in any order. */
		static const char *const names[] = {"v", "n", "c", "t", "a", "b"};

		for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
			if (dal_stmt_param_index(st, names[k]) == i)
				name = names[k];
		if (!name)
			rc = DAL_EMISUSE;
		else if (*name == 'v')
			rc = dal_stmt_bind_int64(st, i, f->version);
		else if (*name == 'n')
			rc = dal_stmt_bind_text(st, i, f->name, -1);
		else if (*name == 'c')
			rc = dal_stmt_bind_text(st, i, f->checksum, -1);
		else if (*name == 't')
			rc = dal_stmt_bind_text(st, i, now, -1);
		else
			rc = dal_stmt_bind_int64(st, i, *name == 'a' ? a : b);
	}
	if (rc == DAL_OK)
		while ((rc = dal_stmt_step(st)) == DAL_ROW)
			;
	if (rc != DAL_DONE && rc != DAL_OK) {
		if (rc == DAL_EMISUSE && !dal_stmt_error(st)->code)
			mig_error(err, rc, "%s: unknown parameter", what);
		else
			mig_stmt_fail(st, rc, err, "%s", what);
	} else {
		rc = DAL_OK;
	}
	dal_stmt_close(st);
	return rc;
}

int mig_row_insert(dal_conn *c, const struct mig_file *f, int dirty, int64_t ms, dal_error *err)
{
	return run(c,
	           "INSERT INTO " MIG_TABLE " (version, name, checksum, applied_at, duration_ms, "
	           "dirty) VALUES (:v, :n, :c, :t, :a, :b)",
	           f, ms, dirty, "recording the migration in " MIG_TABLE, err);
}

int mig_row_finish(dal_conn *c, int64_t version, int64_t ms, dal_error *err)
{
	struct mig_file f = {.version = version};

	return run(c, "UPDATE " MIG_TABLE " SET dirty = 0, duration_ms = :a WHERE version = :v",
	           &f, ms, 0, "recording the migration in " MIG_TABLE, err);
}

int mig_row_set_dirty(dal_conn *c, int64_t version, dal_error *err)
{
	struct mig_file f = {.version = version};

	return run(c, "UPDATE " MIG_TABLE " SET dirty = 1 WHERE version = :v", &f, 0, 0,
	           "marking the migration dirty in " MIG_TABLE, err);
}

int mig_row_restamp(dal_conn *c, const struct mig_file *f, dal_error *err)
{
	return run(c,
	           "UPDATE " MIG_TABLE " SET dirty = 0, checksum = :c, name = :n "
	           "WHERE version = :v",
	           f, 0, 0, "stamping " MIG_TABLE, err);
}

int mig_row_delete(dal_conn *c, int64_t version, int above, dal_error *err)
{
	struct mig_file f = {.version = version};

	return run(c,
	           above ? "DELETE FROM " MIG_TABLE " WHERE version > :v"
	                 : "DELETE FROM " MIG_TABLE " WHERE version = :v",
	           &f, 0, 0, "updating " MIG_TABLE, err);
}
