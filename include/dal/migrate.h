/*
 * libdal schema lifecycle: versioned migrations and database reset.
 *
 * A layer over the public API of <dal/dal.h>: it reaches the database only
 * through dal_conn_* and dal_stmt_* calls and learns what it must know about
 * the backend from what the plugin declares (its SQL facts of
 * <dal/dialect.h>: the lock and the catalog; dal_repo_ident_quote(),
 * DAL_CAP_TRANSACTIONAL_DDL), so it works for any plugin that declares
 * them, a third party's included. docs/migrations.md is the user's guide.
 *
 * Migrations are files in one directory (setting `migrations`):
 *
 *   NNNN_name.sql                 the migration, for every backend
 *   NNNN_name.<type>.sql          a variant for one backend; <type> is the
 *                                 server kind ("mariadb"), the backend name
 *                                 ("mysql", "postgresql", "sqlite") or the
 *                                 dialect, most specific first; it replaces
 *                                 NNNN_name.sql on that backend
 *   NNNN_name.down.sql            how to revert it (optional); variants as
 *   NNNN_name.<type>.down.sql     above
 *
 * NNNN is the version (decimal digits, any width, compared as numbers),
 * name is letters, digits, '_' and '-'. Other *.sql names are refused;
 * files that do not end in .sql are ignored. A file is run as a whole with
 * dal_conn_exec(): on the three shipped backends it may hold several
 * statements (DAL_CAP_MULTI_STATEMENT; the server's own parser splits them,
 * so triggers, procedures and $$-quoted bodies are safe). A file must not
 * hold BEGIN/COMMIT: the migrator runs it in its own transaction.
 *
 * Applied migrations are recorded in the table schema_version (version,
 * name, checksum: SHA-256 of the file as applied in hex, applied_at: UTC
 * "YYYY-MM-DDTHH:MM:SSZ" from the migrator's clock, duration_ms, dirty).
 *
 * Transactions and locking: where the backend has transactional DDL
 * (DAL_CAP_TRANSACTIONAL_DDL) each migration and its schema_version row are
 * one transaction: a failure leaves nothing behind. Without it (MySQL and
 * MariaDB commit implicitly around every DDL statement) the migrator writes
 * the row with dirty = 1 first, runs the file and then clears the flag: a
 * migration that fails half-way stays recorded as dirty, and every later
 * up/down refuses to run until it is repaired by hand and marked with
 * dal_migrator_stamp(). Two migrators never apply at once: on "postgresql"
 * a session advisory lock, on "mysql" GET_LOCK() (both named after the
 * database), on "sqlite" each migration's transaction is BEGIN IMMEDIATE and
 * the applied set is read again inside it. A migrator that finds the lock
 * taken waits (polling every 100 ms) up to the lock timeout, then fails
 * with DAL_EBUSY.
 *
 * Thread rules: a dal_migrator belongs to one thread at a time. Each call
 * that touches the database acquires one connection from the repository for
 * its duration and releases it before returning.
 */
#ifndef DAL_MIGRATE_H
#define DAL_MIGRATE_H

#include <stdint.h>

#include <dal/dal.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A repository's migrations directory, opened with dal_migrator_open(). */
typedef struct dal_migrator dal_migrator;

/* What the database and the directory say about one migration. */
typedef enum dal_migration_state {
	DAL_MIGRATION_PENDING = 0,  /* a file, not applied */
	DAL_MIGRATION_APPLIED = 1,  /* applied, and its file is unchanged */
	DAL_MIGRATION_MODIFIED = 2, /* applied, but its file changed since
	                               (checksums differ) */
	DAL_MIGRATION_MISSING = 3,  /* applied, but no file has its version */
	DAL_MIGRATION_DIRTY = 4     /* started and not finished on a backend
	                               without transactional DDL */
} dal_migration_state;

/* The lower-case name of a state ("pending"), static. */
DAL_API const char *dal_migration_state_name(dal_migration_state state);

/*
 * One migration, handed to callbacks. Strings are valid during the callback
 * only; NULL means "none".
 */
typedef struct dal_migration_info {
	int64_t version;
	const char *name;             /* "create_users" */
	const char *file;             /* the up file chosen for this backend */
	const char *down_file;        /* its down file */
	dal_migration_state state;
	const char *checksum;         /* SHA-256 of file, 64 hex digits */
	const char *applied_checksum; /* as recorded when applied */
	const char *applied_at;       /* "2026-11-30T09:12:03Z" */
	int64_t duration_ms;          /* -1 when not applied */
} dal_migration_info;

/* The callback of dal_migrator_status(), _history(), _verify() and of the
 * progress reports: one migration (m valid during the call only). */
typedef void (*dal_migration_fn)(const dal_migration_info *m, void *userdata);

/*
 * Read the migrations directory dir (NULL: the repository's `migrations`
 * setting) for repo's backend: every file name is checked and every chosen
 * file read and checksummed. The database is not touched.
 *
 * Errors (DAL_ECONFIG, naming the file): no directory given or configured,
 * an unreadable directory or file, a *.sql name that is not a migration
 * name, two names for one version, a migration with variants for other
 * backends only and no generic file, a down file without its up file.
 * repo must outlive the migrator. On success *out is the migrator; free it
 * with dal_migrator_close(). On failure *out is NULL.
 */
DAL_API int dal_migrator_open(dal_migrator **out, dal_repo *repo, const char *dir,
                              dal_error *err);

/* Free a migrator. NULL is a no-op. */
DAL_API void dal_migrator_close(dal_migrator *m);

/* The directory read, absolute. Valid until dal_migrator_close(). */
DAL_API const char *dal_migrator_dir(const dal_migrator *m);

/* Called after each migration applied (state APPLIED) or reverted (state
 * PENDING) by up, down; fn NULL removes it. */
DAL_API void dal_migrator_set_progress(dal_migrator *m, dal_migration_fn fn,
                                       void *userdata);

/* How long up, down and stamp wait for another migrator's lock, in
 * milliseconds (default 60000; 0: do not wait). */
DAL_API void dal_migrator_set_lock_timeout(dal_migrator *m, unsigned ms);

/*
 * Apply the pending migrations in version order, up to and including
 * version `to` (to < 0: all); a pending one below an applied one (added
 * later) is applied too. Each is applied in its own transaction where
 * the backend allows (see the top of this file); schema_version is created
 * when missing. *applied (may be NULL) gets how many were applied; 0 when
 * the database was up to date.
 *
 * Refused before anything runs: a modified migration (DAL_ECONFIG, naming
 * its file and both checksums), a dirty one (DAL_ECONFIG), a `to` that is
 * no migration's version (DAL_EMISUSE), a plugin whose SQL facts declare
 * no usable lock (DAL_EUNSUPPORTED, naming the missing member, see
 * dal_repo_sql_unsupported()). A failing migration's error keeps the database's
 * code and SQLSTATE, and its message starts with the file name; the
 * migrations applied before it stay applied.
 */
DAL_API int dal_migrator_up(dal_migrator *m, int64_t to, int *applied, dal_error *err);

/*
 * Revert applied migrations with their down files, newest first: every one
 * above version `to` (to < 0: only the newest one; to = 0: all). A
 * migration to revert without a down file is refused before anything runs
 * (DAL_ECONFIG, naming the file expected). Otherwise as dal_migrator_up();
 * *reverted (may be NULL) gets the count.
 */
DAL_API int dal_migrator_down(dal_migrator *m, int64_t to, int *reverted, dal_error *err);

/*
 * Record the database as being at version `version` without running any
 * file: migrations up to it are marked applied with the current files'
 * checksums (dirty and modified marks cleared, applied_at and duration of
 * rows already there kept), rows above it are deleted. version 0 empties
 * schema_version. For adopting an existing database and for repairing a
 * dirty or modified migration by hand. DAL_EMISUSE if version is neither 0
 * nor a migration's version.
 */
DAL_API int dal_migrator_stamp(dal_migrator *m, int64_t version, dal_error *err);

/*
 * Report every migration, files and applied rows merged, in version order,
 * through fn (may be NULL). *current (may be NULL) gets the highest applied
 * version, 0 when none. *problems (may be NULL) gets the number of
 * modified, missing and dirty ones. A database without schema_version has
 * every migration pending. Reads only; takes no lock.
 */
DAL_API int dal_migrator_status(dal_migrator *m, dal_migration_fn fn, void *userdata,
                                int64_t *current, int *problems, dal_error *err);

/* Report the applied migrations in the order they were applied (applied_at,
 * then version), through fn. Reads only. */
DAL_API int dal_migrator_history(dal_migrator *m, dal_migration_fn fn, void *userdata,
                                 dal_error *err);

/*
 * Check the applied migrations against the files: fn (may be NULL) gets
 * each modified, missing or dirty one. Returns DAL_OK when there is none,
 * else DAL_ECONFIG with err naming the first and the count.
 */
DAL_API int dal_migrator_verify(dal_migrator *m, dal_migration_fn fn, void *userdata,
                                dal_error *err);

/*
 * auto_migrate = on in a repository's INI section makes dal_repo_open()
 * apply the pending migrations of its `migrations` directory before it
 * returns (with dal_migrator_up() and its lock), once per process and
 * database; a failure fails the open with the migration's error, prefixed
 * "repository 'NAME': auto_migrate: ". dal_auto_migrate_set(0) turns this
 * off for the whole process, for tools that manage migrations themselves
 * (`dal migrate`, `dal db-reset`); 1 turns it back on (the default). Call
 * it before opening repositories.
 */
DAL_API void dal_auto_migrate_set(int on);

/* ------------------------------------------------------------------------ */
/* Reset                                                                     */
/* ------------------------------------------------------------------------ */

/* Called per object by dal_repo_drop_all(): kind is "table", "view" or
 * "sequence"; name as the catalog has it. Valid during the call only. */
typedef void (*dal_db_object_fn)(const char *kind, const char *name, void *userdata);

/* dal_repo_drop_all() flags. */
#define DAL_DROP_DRY_RUN 1u /* list, drop nothing */

/*
 * Drop every table, view and sequence of the repository's own database:
 * SQLite's main database (not attached ones), MySQL's current database
 * (DATABASE()), PostgreSQL's current schema (current_schema()) of the
 * connected database. Nothing of another database or schema is touched:
 * names are qualified with the current one, and on PostgreSQL nothing is
 * dropped with CASCADE, so an object elsewhere that depends on one of
 * ours makes the drop fail instead. fn (may be NULL) gets each object,
 * before it is dropped. *count (may be NULL) gets the number of objects.
 * Views go first, then tables (retried in rounds while foreign keys
 * between them stand in the way), then sequences. DAL_EUNSUPPORTED for a
 * plugin whose SQL facts declare no catalog query (sql->catalog). On MySQL without a current
 * database there is nothing of ours: *count is 0.
 */
DAL_API int dal_repo_drop_all(dal_repo *repo, unsigned flags, dal_db_object_fn fn,
                              void *userdata, size_t *count, dal_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DAL_MIGRATE_H */
