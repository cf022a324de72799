/*
 * Internal to the migration layer (migrate*.c, reset.c, sha256.c): the
 * migrator's state, the files found and the rows of schema_version; the
 * dialect's facts are the plugin's (<dal/dialect.h>). Like the layer
 * itself, this uses only the public API: nothing here reaches into the
 * core's structs.
 */
#ifndef DAL_CORE_MIGRATE_INT_H
#define DAL_CORE_MIGRATE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <dal/dal.h>
#include <dal/dialect.h>
#include <dal/migrate.h>

#define MIG_TABLE "schema_version"

/* One migration of the directory, with the files chosen for the backend. */
struct mig_file {
	int64_t version;
	char *name;
	char *label;          /* "0001_create_users", as the files spell it */
	char *up;             /* absolute path, or NULL: none for this backend */
	char *down;           /* absolute path, or NULL */
	char checksum[65];    /* of up */
};

/* One row of schema_version. */
struct mig_row {
	int64_t version;
	char *name;
	char checksum[65];
	char applied_at[40];
	int64_t duration_ms;
	int dirty;
};

struct mig_rows {
	struct mig_row *v;
	size_t n;
};

struct dal_migrator {
	dal_repo *repo;
	char *dir;
	struct mig_file *files; /* sorted by version */
	size_t n_files;
	const struct dal_sql_facts *sql; /* the plugin's facts, or NULL */
	dal_migration_fn progress;
	void *progress_ud;
	unsigned lock_timeout_ms;
	int64_t saved_wait; /* sql->lock_wait_get's value during a run, or -1 */
};

/* sha256.c: the SHA-256 of data as 64 lower-case hex digits and a NUL. */
void mig_sha256_hex(const void *data, size_t len, char out[65]);

/* migrate_files.c */
int mig_scan(struct dal_migrator *m, dal_error *err);
void mig_files_free(struct dal_migrator *m);
/* Read a whole file into *out (NUL-terminated, caller frees). */
int mig_read_file(const char *path, char **out, size_t *len, dal_error *err);
/* The file of version v, or NULL. */
const struct mig_file *mig_file_find(const struct dal_migrator *m, int64_t v);
/* The file name part of a path. */
const char *mig_base(const char *path);

/* migrate_dialect.c */
/* repo's facts in *out when they declare a usable migration lock, else
 * DAL_EUNSUPPORTED naming the missing member; what: "migrate up". */
int mig_facts_need(const dal_repo *repo, const struct dal_sql_facts **out,
                   const char *what, dal_error *err);
/* Take / release the session lock (DAL_SQL_LOCK_SESSION); under
 * DAL_SQL_LOCK_TRANSACTION set / restore the connection's lock wait. */
int mig_lock(struct dal_migrator *m, dal_conn *c, dal_error *err);
void mig_unlock(struct dal_migrator *m, dal_conn *c);
/* Begin the transaction of one step: sql->lock_begin (waiting up to the
 * lock timeout), or dal_conn_begin() with transactional DDL, or nothing.
 * *in_txn says which. */
int mig_step_begin(struct dal_migrator *m, dal_conn *c, int *in_txn, dal_error *err);
int mig_step_end(struct dal_migrator *m, dal_conn *c, int in_txn, int commit,
                 dal_error *err);

/* migrate_db.c */
/* Create schema_version if missing; probe: check with a SELECT first. */
int mig_table_ensure(dal_conn *c, int probe, dal_error *err);
/* Load the rows (empty when the table does not exist, if missing_ok). */
int mig_rows_load(dal_conn *c, struct mig_rows *rows, int missing_ok, int by_time,
                  dal_error *err);
void mig_rows_free(struct mig_rows *rows);
const struct mig_row *mig_row_find(const struct mig_rows *rows, int64_t v);
int mig_row_insert(dal_conn *c, const struct mig_file *f, int dirty, int64_t ms,
                   dal_error *err);
int mig_row_finish(dal_conn *c, int64_t version, int64_t ms, dal_error *err);
int mig_row_set_dirty(dal_conn *c, int64_t version, dal_error *err);
int mig_row_restamp(dal_conn *c, const struct mig_file *f, dal_error *err);
int mig_row_delete(dal_conn *c, int64_t version, int above, dal_error *err);
/* Copy c's last error into err, prefixed with what failed. */
int mig_conn_fail(dal_conn *c, int rc, dal_error *err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;
int mig_stmt_fail(dal_stmt *st, int rc, dal_error *err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;
/* err->message becomes "what: msg" (msg may be err->message). */
void mig_prefix(dal_error *err, const char *what, const char *msg);
/* Set err (code, message) like dal_error_set() without plugin.h. */
int mig_error(dal_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void mig_now(char out[40]);
/* Monotonic milliseconds. */
int64_t mig_ms(void);

/* migrate_auto.c: auto_migrate on open (called by repo.c). */
/* target: what identifies the database (path, or host:port/name). */
int mig_auto(dal_repo *repo, const char *target, dal_error *err);

#endif
