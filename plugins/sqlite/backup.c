/*
 * backend_sqlite: whole-database backup and restore (the optional backup
 * and restore slots of ABI 2.1), with SQLite's online backup API.
 *
 * Backup copies all pages in one sqlite3_backup_step(-1): the copy is one
 * read transaction of the source, so it is a consistent snapshot even while
 * other connections and processes write (in WAL mode they go on writing;
 * in rollback-journal mode they wait up to their busy_timeout). A stepwise
 * copy would restart whenever another connection writes, and under a
 * steady writer might never finish. The copy goes to "<path>.part", is
 * checked with PRAGMA integrity_check and only then renamed to path, so
 * that path never holds a partial or damaged backup.
 *
 * Restore checks the file first (it must open as a database and pass
 * integrity_check), then copies it over the connection's main database
 * with the same API, which writes through SQLite's locks and journal: other
 * connections see either the old database or the restored one.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite_int.h"

/* How long a backup or restore waits for a lock before giving up, when
 * the connection has no busy_timeout. */
#define LOCK_WAIT_MS 5000

/* Run PRAGMA integrity_check on db: DAL_OK for "ok", else DAL_EDATA with
 * the first problem reported. */
static int integrity(sqlite3 *db, const char *file, dal_error *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return dal_error_set(err, DAL_EDATA, "XX001", rc, "%s is not a usable SQLite "
		                     "database: %s", file, sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		int code = dal_error_set(err, DAL_EDATA, "XX001", rc, "integrity check of %s "
		                         "failed: %s", file, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return code;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
		int code = dal_error_set(err, DAL_EDATA, "XX001", 0, "integrity check of %s "
		                         "failed: %.300s", file,
		                         (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return code;
	}
	sqlite3_finalize(st);
	return DAL_OK;
}

/* Copy all of src's main database into dst's, retrying while locked.
 * Returns an SQLite result code; the message is in dst's error. */
static int copy_all(sqlite3 *dst, sqlite3 *src, long wait_ms)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc;

	if (!b)
		return sqlite3_errcode(dst);
	for (long waited = 0;; waited += 20) {
		rc = sqlite3_backup_step(b, -1);
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited >= wait_ms)
			break;
		sqlite3_sleep(20);
	}
	/* finish() returns the error of the last step, or SQLITE_OK. */
	if (sqlite3_backup_finish(b) != SQLITE_OK && rc == SQLITE_DONE)
		rc = sqlite3_errcode(dst);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int report(dal_error *err, sqlite3 *db, int rc, const char *what, const char *file)
{
	const char *state;
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	int code = sq_map_code(rc, msg, &state);

	return dal_error_set(err, code, state, rc, "%s %s: %s", what, file, msg);
}

int sqb_backup(dal_bconn *c, const char *path, dal_error *err)
{
	size_t n = strlen(path);
	char *part = malloc(n + sizeof ".part");
	sqlite3 *dst = NULL;
	int rc, code;

	if (!part)
		return dal_error_set(err, DAL_ENOMEM, NULL, 0, "backup: out of memory");
	memcpy(part, path, n);
	memcpy(part + n, ".part", sizeof ".part");
	unlink(part);
	rc = sqlite3_open_v2(part, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		code = report(err, dst, rc, "backup: cannot create", part);
		goto fail;
	}
	rc = copy_all(dst, c->db, c->busy_timeout > 0 ? c->busy_timeout : LOCK_WAIT_MS);
	if (rc != SQLITE_OK) {
		code = report(err, dst, rc, "backup of", c->path);
		goto fail;
	}
	if ((code = integrity(dst, part, err)) != DAL_OK)
		goto fail;
	if (sqlite3_close(dst) != SQLITE_OK) {
		code = report(err, dst, sqlite3_errcode(dst), "backup: closing", part);
		dst = NULL;
		goto fail;
	}
	dst = NULL;
	if (rename(part, path) != 0) {
		code = dal_error_set(err, DAL_EBACKEND, "58030", 0, "backup: cannot rename %s "
		                     "to %s: %m", part, path);
		goto fail;
	}
	free(part);
	return DAL_OK;
fail:
	sqlite3_close(dst);
	unlink(part);
	free(part);
	return code;
}

int sqb_restore(dal_bconn *c, const char *path, dal_error *err)
{
	sqlite3 *src = NULL;
	int rc, code;

	if (c->in_txn)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "restore: the connection is "
		                     "in a transaction");
	if (access(path, R_OK) != 0)
		return dal_error_set(err, DAL_ENOTFOUND, "58030", 0, "restore: cannot read "
		                     "%s: %m", path);
	rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		code = report(err, src, rc, "restore: cannot open", path);
		sqlite3_close(src);
		return code;
	}
	if ((code = integrity(src, path, err)) != DAL_OK) {
		sqlite3_close(src);
		return code;
	}
	rc = copy_all(c->db, src, c->busy_timeout > 0 ? c->busy_timeout : LOCK_WAIT_MS);
	code = rc == SQLITE_OK ? DAL_OK : report(err, c->db, rc, "restore of", c->path);
	sqlite3_close(src);
	return code;
}
