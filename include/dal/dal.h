/*
 * libdal: one C API over SQLite, MySQL/MariaDB and PostgreSQL.
 *
 * This is the only header applications include. The objects:
 *
 *   dal_config  a parsed INI file plus environment overrides
 *   dal_repo    a repository: the settings, the backend plugin, a pool of
 *               connections and the telemetry of one database. Shared.
 *   dal_conn    a connection acquired from a repository's pool. One thread.
 *   dal_stmt    a prepared statement on a connection. Same thread.
 *
 * Thread model:
 *  - A dal_repo is thread-safe: any number of threads may acquire
 *    connections from it, run the one-shot calls (dal_repo_exec(),
 *    dal_repo_ping(), dal_repo_transact()) and read its statistics at the
 *    same time. Open it once per database and share it.
 *  - A dal_conn belongs to one thread at a time, with its statements and its
 *    transaction: between dal_conn_acquire() and dal_conn_release() only one
 *    thread may use it (it may be handed to another thread with the usual
 *    synchronisation). Different connections run in parallel.
 *  - dal_conn_release() returns the connection to the pool: an open
 *    transaction is rolled back, and statements still open on it are
 *    finalized. Their handles stay allocated, but every call on them returns
 *    DAL_EMISUSE until dal_stmt_close() frees them. A connection that lost
 *    its server is discarded instead of pooled.
 *  - dal_repo_close() may be called while connections are still acquired:
 *    idle connections are closed at once; an acquired one keeps working
 *    until it is released, and is then closed; the repository's memory goes
 *    with the last of them. New acquires fail with DAL_EMISUSE. Close a
 *    repository only once, and not while another thread is still acquiring
 *    from it.
 *  - dal_config is read-only once loaded and may be shared; install the log
 *    sink (dal_log_set()) and trace hooks before sharing.
 *
 * Conventions, true of every function below unless it says otherwise:
 *  - Functions that can fail return DAL_OK (0) or a negative dal_code.
 *  - Details of the last failure on a connection or statement are in
 *    dal_conn_error() / dal_stmt_error(). Functions on the shared repository
 *    and functions that create a handle take a `dal_error *err` (may be
 *    NULL) instead.
 *  - Strings returned by libdal are owned by libdal; each function says how
 *    long they live. Strings passed in are copied if kept.
 *  - No message, log line or statistic ever contains a password.
 */
#ifndef DAL_DAL_H
#define DAL_DAL_H

#include <stddef.h>
#include <stdint.h>

#include <dal/error.h>
#include <dal/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of these headers, at compile time (dal_version(): the
 * library's, at run time). */
#define DAL_VERSION_MAJOR 0
#define DAL_VERSION_MINOR 1
#define DAL_VERSION_PATCH 0
#define DAL_VERSION_STRING "0.1.0"

/* Return the runtime library version, e.g. "0.1.0". Static string. */
DAL_API const char *dal_version(void);

/* The opaque handles described at the top of this file. */
typedef struct dal_config dal_config;
typedef struct dal_repo dal_repo;
typedef struct dal_conn dal_conn;
typedef struct dal_stmt dal_stmt;

/* ------------------------------------------------------------------------ */
/* Logging                                                                   */
/* ------------------------------------------------------------------------ */

/* The severity of a log line handed to the sink. */
typedef enum dal_log_level {
	DAL_LOG_DEBUG = 0,
	DAL_LOG_INFO = 1,
	DAL_LOG_WARN = 2,
	DAL_LOG_ERROR = 3
} dal_log_level;

/* A log sink. msg is one line without a trailing newline, valid only during
 * the call. */
typedef void (*dal_log_fn)(dal_log_level level, const char *msg, void *userdata);

/*
 * Install a process-wide log sink for configuration warnings, connect retries
 * and slow queries (NULL restores the default: no output). Call it before
 * opening repositories; it is not synchronised with concurrent logging.
 */
DAL_API void dal_log_set(dal_log_fn fn, void *userdata);

/* ------------------------------------------------------------------------ */
/* Configuration                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Load configuration from an INI file.
 *
 * path: the file to read, or NULL to use $DAL_CONFIG, and failing that the
 * installed default (sysconfdir/dal/dal.ini) if it exists, and failing that no
 * file at all (defaults and environment only). A path given explicitly (or by
 * DAL_CONFIG) that cannot be read is an error.
 *
 * Unknown keys are not errors: each produces a warning "file:line: unknown key
 * 'k' in [section]", logged and kept (dal_config_warning()). Syntax errors, bad
 * values and unreadable files give DAL_ECONFIG with file:line in the message.
 *
 * On success *out owns the configuration; free it with dal_config_free().
 * Environment variables are read when a repository is opened, not here.
 */
DAL_API int dal_config_load(dal_config **out, const char *path, dal_error *err);

/*
 * Parse configuration from a string, as if it were the file named `origin`
 * (used in messages and to resolve relative paths; may be NULL for "<string>",
 * relative paths then resolve against the current directory). Errors and
 * ownership as for dal_config_load(): free *out with dal_config_free().
 */
DAL_API int dal_config_parse(dal_config **out, const char *text,
                             const char *origin, dal_error *err);

/* Free a configuration. NULL is a no-op. Repositories opened from it stay
 * valid. */
DAL_API void dal_config_free(dal_config *cfg);

/* The file the configuration was read from, or NULL. Valid until
 * dal_config_free(). */
DAL_API const char *dal_config_path(const dal_config *cfg);

/* Warning number i (0-based), or NULL past the last. Valid until
 * dal_config_free(). */
DAL_API const char *dal_config_warning(const dal_config *cfg, size_t i);

/*
 * Callback for dal_config_describe(): one resolved setting of a repository.
 * value is "***" for a password; source says where the value came from:
 * "etc/dal.ini:12", "env DB_HOST", "url", "argument" or "default".
 */
typedef void (*dal_setting_fn)(const char *key, const char *value,
                               const char *source, void *userdata);

/*
 * Resolve repository `name` (NULL: the [dal] default, else "main") exactly as
 * dal_repo_open() would, applying the environment and `url` (may be NULL), and
 * report every setting with its source through fn. Nothing is connected.
 * cfg may be NULL (no file).
 */
DAL_API int dal_config_describe(const dal_config *cfg, const char *name,
                                const char *url, dal_setting_fn fn,
                                void *userdata, dal_error *err);

/* ------------------------------------------------------------------------ */
/* Repositories                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Open repository `name` of cfg (NULL name: the [dal] default, else "main").
 *
 * Settings are resolved with this precedence: url argument > DB_URL (or
 * DATABASE_URL) > DB_* variables > INI > built-in default. The environment
 * applies to the default repository only, so that DB_HOST cannot silently
 * redirect a second, named repository, unless a repository's section names
 * its own variables (env_prefix, [name.env]: docs/environment.md), which it
 * then reads instead. cfg may be NULL: no file.
 *
 * A URL (the url argument, DB_URL, or an INI `url`) says where and as whom
 * to connect: type, host, port, database, path, user, password and
 * password_file come from the URL alone, never from a lower layer; the other
 * settings are inherited. URLs follow SQLAlchemy's conventions
 * ("sqlite:///rel.db", "sqlite:////abs.db", "mysql+pymysql://u@h/db").
 *
 * The plugin of the type is loaded on first use (the file backend_<type>,
 * or the installed plugin that declares <type> as an alias; see
 * dal_plugin_list()); connection failures are retried max_retries times
 * with exponential backoff and jitter, each attempt logged (not for an
 * embedded database, DAL_CAP_EMBEDDED, nor for a read replica).
 *
 * On success *out is a repository; close it with dal_repo_close(). On failure
 * *out is NULL and err (if not NULL) says why.
 */
DAL_API int dal_repo_open(dal_repo **out, const dal_config *cfg,
                          const char *name, const char *url, dal_error *err);

/*
 * Shorthand: open by URL ("sqlite:///app.db", "postgresql://u@h/db", or the
 * scheme of any installed plugin) with no configuration file and no
 * environment.
 */
DAL_API int dal_repo_open_url(dal_repo **out, const char *url, dal_error *err);

/*
 * Close a repository: see the thread model above for connections still
 * acquired. NULL is a no-op.
 */
DAL_API void dal_repo_close(dal_repo *repo);

/* The repository name ("main"), backend name ("sqlite") and the server kind
 * reached ("mariadb" for a mysql backend talking to MariaDB). Valid until
 * dal_repo_close(). */
DAL_API const char *dal_repo_name(const dal_repo *repo);
DAL_API const char *dal_repo_backend(const dal_repo *repo);
DAL_API const char *dal_repo_server_kind(const dal_repo *repo);

/* The backend's DAL_CAP_* flags. */
DAL_API unsigned dal_repo_capabilities(const dal_repo *repo);

/* The lexical rules of the backend's SQL, as its plugin declares them: the
 * DAL_SYNTAX_* flags of <dal/plugin.h> (backslash escapes, # comments,
 * `identifiers`, $tag$ strings, ...), for tools that split or scan SQL text
 * as the server will read it. 0 for NULL. */
DAL_API unsigned dal_repo_syntax(const dal_repo *repo);

/* 1 if the telemetry layer is installed on this repository, else 0. */
DAL_API int dal_repo_telemetry_enabled(const dal_repo *repo);

/*
 * One-shot calls: each acquires a connection, makes the call and releases
 * it. err (may be NULL) gets the failure.
 *
 * dal_repo_ping(): one round trip on a pooled connection (a new one if none
 * is idle). latency_ns (may be NULL) gets the round trip time.
 * dal_repo_exec(): SQL without parameters or result rows (several
 * statements separated by ';' with DAL_CAP_MULTI_STATEMENT); affected (may
 * be NULL) gets the rows changed.
 */
DAL_API int dal_repo_ping(dal_repo *repo, int64_t *latency_ns, dal_error *err);
DAL_API int dal_repo_exec(dal_repo *repo, const char *sql, int64_t *affected,
                          dal_error *err);

/*
 * The unit of work of dal_repo_transact(): run the transaction's statements
 * on c (do not begin, commit or release it) and return DAL_OK to commit, or
 * a negative dal_code to roll back. It may run more than once: keep its side
 * effects inside the transaction.
 */
typedef int (*dal_txn_fn)(dal_conn *c, void *userdata);

/*
 * Run fn inside a transaction on an acquired connection and commit, retrying
 * the whole unit when the failure means "try again": DAL_EBUSY at any point
 * (deadlock, serialization failure, a Galera certification conflict: the
 * server rolled the transaction back), DAL_ECONNECT at any point (the
 * request was not sent; the uncommitted transaction died with the
 * connection), and before the commit also DAL_ETIMEOUT (lock wait timeout)
 * and DAL_EOUTCOME (lost after a statement was sent, still uncommitted). The
 * unit runs again on a fresh connection. Retries: max_retries, with exponential backoff and full
 * jitter starting at 10 ms, capped at retry_max_delay; each is logged.
 *
 * Returns DAL_OK when committed, fn's own error (after a rollback) when it
 * is not one to retry, the last error when retries ran out, or
 * DAL_EOUTCOME when the connection was lost (or the commit timed out) while
 * the commit was in flight: then the transaction may or may not have been
 * committed, and it is not retried.
 */
DAL_API int dal_repo_transact(dal_repo *repo, dal_txn_fn fn, void *userdata,
                              dal_error *err);

/*
 * Back up the repository's whole database to the file path (created or
 * replaced), consistently while other connections and processes go on
 * writing, and check the copy's integrity (SQLite: the online backup API,
 * then PRAGMA integrity_check on the copy). A partial or damaged file is
 * removed. Needs the backend's optional backup slot (docs/backup.md):
 * DAL_EUNSUPPORTED otherwise, the message naming the backend and, for a
 * server, the tool to use instead (mysqldump, pg_dump). err (may be NULL)
 * gets the failure.
 */
DAL_API int dal_repo_backup(dal_repo *repo, const char *path, dal_error *err);

/*
 * Replace the repository's whole database with the backup in the file path,
 * after checking that file's integrity (a damaged file is refused,
 * DAL_EDATA, and nothing is changed). Connections acquired later see the
 * restored data; do not run it while other connections of the repository
 * are in a transaction. DAL_EUNSUPPORTED as for dal_repo_backup().
 */
DAL_API int dal_repo_restore(dal_repo *repo, const char *path, dal_error *err);

/* ------------------------------------------------------------------------ */
/* Connections and the pool                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Acquire a connection from repo's pool, for the calling thread. An idle
 * connection is reused (checked with a round trip first when pre_ping is on
 * and it has been idle for a second or more, and replaced if it is stale or
 * past max_lifetime / idle_timeout); otherwise a new one is made, with
 * connect retries, while the pool has fewer than pool_size + max_overflow;
 * otherwise the call waits up to pool_timeout for one to be released and
 * then fails with DAL_ETIMEOUT naming the repository and the pool size.
 * Checks and connects run outside the pool's lock.
 *
 * On success *out is the connection; give it back with dal_conn_release().
 * On failure *out is NULL and err (may be NULL) says why.
 */
DAL_API int dal_conn_acquire(dal_repo *repo, dal_conn **out, dal_error *err);

/*
 * Return c to its pool (see the thread model). NULL is a no-op. c must not
 * be used afterwards.
 */
DAL_API void dal_conn_release(dal_conn *c);

/* The last error on c (code DAL_OK if the last call succeeded). Valid until
 * the next call on c. */
DAL_API const dal_error *dal_conn_error(const dal_conn *c);

/* The repository c belongs to. */
DAL_API dal_repo *dal_conn_repo(const dal_conn *c);

/* Check the connection with one round trip; latency_ns (may be NULL) gets
 * the round trip time in nanoseconds. */
DAL_API int dal_conn_ping(dal_conn *c, int64_t *latency_ns);

/* Run SQL without parameters or result rows (see dal_repo_exec()). */
DAL_API int dal_conn_exec(dal_conn *c, const char *sql, int64_t *affected);

/*
 * Transactions. dal_conn_begin() outside a transaction starts one; inside
 * one it opens a nested unit, a savepoint, when the backend declares
 * DAL_CAP_SAVEPOINTS (else DAL_EMISUSE): commit then releases the innermost
 * unit (its changes become part of the enclosing one) and rollback undoes
 * only that unit, leaving the enclosing transaction open and usable (also on
 * PostgreSQL after a failed statement inside the unit). Units nest to any
 * depth; each begin needs its commit or rollback.
 *
 * A failed commit of the outermost transaction ends it. A failed commit or
 * rollback of a nested unit leaves the unit open (roll it back), unless the
 * connection was lost, which ends everything. Commit or rollback without an
 * open transaction is DAL_EMISUSE.
 *
 * Inside dal_repo_transact() the body may open nested units on its
 * connection, but must end each before returning: a body that returns
 * DAL_OK with units still open gets DAL_EMISUSE and the whole transaction
 * is rolled back. A DAL_EBUSY inside a unit (deadlock, serialization
 * failure) has usually rolled back the whole transaction on the server:
 * return it from the body, so that the whole unit of work is retried.
 */
DAL_API int dal_conn_begin(dal_conn *c);
DAL_API int dal_conn_commit(dal_conn *c);
DAL_API int dal_conn_rollback(dal_conn *c);

/* 0 outside a transaction, 1 in one, 1 + n with n nested units open. */
DAL_API unsigned dal_conn_txn_depth(const dal_conn *c);

/*
 * Named savepoints in the open transaction (DAL_CAP_SAVEPOINTS, else
 * DAL_EUNSUPPORTED; outside a transaction DAL_EMISUSE). name: 1 to 63
 * letters, digits or '_', not starting with a digit nor with "dal_sp_"
 * (reserved for nested units); anything else is DAL_EMISUSE, and the name
 * is never spliced unchecked into SQL.
 *
 * dal_conn_savepoint() sets one (a name may be reused: the newest counts).
 * dal_conn_savepoint_release() forgets it and every later one, keeping the
 * changes. dal_conn_savepoint_rollback() undoes the changes since it and
 * forgets the later ones; the savepoint itself stays. Releasing or rolling
 * back to a savepoint set before a nested unit that is still open is
 * DAL_EMISUSE (end the unit first); an unknown name is DAL_EMISUSE.
 * Ending a nested unit also ends the named savepoints set inside it.
 */
DAL_API int dal_conn_savepoint(dal_conn *c, const char *name);
DAL_API int dal_conn_savepoint_release(dal_conn *c, const char *name);
DAL_API int dal_conn_savepoint_rollback(dal_conn *c, const char *name);

/*
 * The id generated by the most recent INSERT on this connection. On SQLite
 * and MySQL the rowid / AUTO_INCREMENT value; on PostgreSQL lastval(), the
 * value most recently returned by a sequence in this session (prefer
 * INSERT ... RETURNING there). DAL_EUNSUPPORTED if the backend has no notion.
 */
DAL_API int dal_conn_last_insert_id(dal_conn *c, int64_t *out);

/*
 * Ask the server to stop the statement c is running: safe to call from
 * another thread than the one using c (that is its point), at any moment;
 * when nothing runs it does nothing. The interrupted call on c's thread
 * fails with DAL_ECANCELED, and c stays usable. DAL_EUNSUPPORTED if the
 * backend cannot cancel. c must stay acquired meanwhile: synchronise the
 * cancelling thread with the release.
 */
DAL_API int dal_conn_cancel(dal_conn *c);

/* The server's version as it reports it ("10.11.6-MariaDB", "15.8"), or
 * NULL if the backend cannot say. Valid until dal_conn_release(). */
DAL_API const char *dal_conn_server_version(const dal_conn *c);

/* How c is encrypted ("TLSv1.3 TLS_AES_256_GCM_SHA384"), or NULL when it
 * is not (or the backend cannot say). Valid until dal_conn_release(). */
DAL_API const char *dal_conn_tls(const dal_conn *c);

/* A snapshot of a repository's pool. */
typedef struct dal_pool_stats {
	unsigned max;            /* pool_size + max_overflow: db.client.connection.max */
	unsigned idle_max;       /* pool_size: db.client.connection.idle.max */
	unsigned idle;           /* open and idle */
	unsigned used;           /* acquired */
	unsigned pending;        /* threads waiting in dal_conn_acquire() */
	uint64_t timeouts;       /* acquires that gave up after pool_timeout */
	uint64_t created;        /* connections made */
	uint64_t closed;         /* connections closed: stale, expired, broken, surplus */
	uint64_t acquired;       /* successful acquires */
} dal_pool_stats;

/* Fill *out. Safe from any thread. With replicas (docs/scale-out.md) the
 * figures are those of the primary pool and the replica pool together. */
DAL_API int dal_repo_pool_stats(const dal_repo *repo, dal_pool_stats *out);

/*
 * The statement cache (setting statement_cache_size: statements kept
 * prepared per pooled connection, 32 by default on servers, 0 on files):
 * dal_stmt_close() keeps the statement prepared on its connection, and
 * dal_stmt_prepare() of the same SQL text on that connection (also after
 * the connection went back to the pool and was acquired again) takes it
 * back without preparing, with every parameter NULL again. A statement
 * that can change the schema (CREATE, ALTER, DROP, RENAME, DISCARD,
 * DEALLOCATE) run through any connection of the repository makes every
 * cached statement be prepared again on its next use. *hits gets the
 * prepares answered from a cache, *misses those that were not (both stay 0
 * with the cache off). Safe from any thread.
 */
DAL_API int dal_repo_statement_cache_stats(const dal_repo *repo, uint64_t *hits,
                                           uint64_t *misses);

/* ---- scale-out: read replicas and nodes (docs/scale-out.md) ------------- */

/*
 * Acquire a connection for read-only work. With `replicas` configured it
 * comes from the replica pool: a node of the replicas host list that
 * answers, is ready, and (with max_replica_lag) is no further behind than
 * that, asked of the server itself. When no replica is usable (none
 * answers, all lag, the replica pool times out) the connection comes from
 * the primary pool instead, with a warning logged, and replicas are tried
 * again a second later. Without replicas it is dal_conn_acquire(). Writing
 * through it is the application's error (a standby refuses, a Galera node
 * accepts). Errors as dal_conn_acquire(); a configuration or
 * authentication error of the replicas is returned, not hidden by the
 * fallback.
 */
DAL_API int dal_conn_acquire_ro(dal_repo *repo, dal_conn **out, dal_error *err);

/*
 * dal_repo_transact() for read-only work: the same transaction and retries,
 * on a connection from dal_conn_acquire_ro().
 */
DAL_API int dal_repo_transact_ro(dal_repo *repo, dal_txn_fn fn, void *userdata,
                                 dal_error *err);

/*
 * The server c reached: its host name, address or socket path (valid until
 * dal_conn_release()), and its port in *port (may be NULL; 0 for a
 * socket). The configured host when the backend cannot say; NULL for a
 * file database.
 */
DAL_API const char *dal_conn_server_address(const dal_conn *c, unsigned *port);

/* The size of dal_pool_node.address, NUL included (longer ones are cut). */
#define DAL_NODE_ADDRESS_SIZE 128

/* One database node a repository's pools have connected to. */
typedef struct dal_pool_node {
	char address[DAL_NODE_ADDRESS_SIZE]; /* server.address */
	unsigned port;                       /* server.port; 0 for a socket */
	int replica_pool;                    /* 1: reached by the replica pool */
	unsigned open;                       /* connections open to it now */
	uint64_t acquired;                   /* checkouts it served */
	uint64_t rejected;                   /* connections its checks refused:
	                                        not ready, wrong role, lagging */
} dal_pool_node;

/*
 * The nodes repo's pools have reached (at most 32 are told apart; more are
 * counted under the address "(other)"), in the order first reached: up to
 * max entries into out, the number of nodes in *n. Safe from any thread.
 */
DAL_API int dal_repo_pool_nodes(const dal_repo *repo, dal_pool_node *out, size_t max,
                                size_t *n);

/* ------------------------------------------------------------------------ */
/* Statements                                                                */
/* ------------------------------------------------------------------------ */

/*
 * Prepare one SQL statement. Parameters are written `?` (positional) or
 * `:name` (named); both number from 1 in order of first appearance, and a
 * name used twice is one parameter. Markers inside string literals, quoted
 * identifiers, comments, dollar-quoted strings and `::` casts are left alone.
 * The core rewrites them for the backend (e.g. $1 for PostgreSQL).
 *
 * The statement belongs to connection c (and its thread). On success *out is
 * a statement; close it with dal_stmt_close(). On failure *out is NULL and
 * dal_conn_error(c) says why.
 */
DAL_API int dal_stmt_prepare(dal_conn *c, const char *sql, dal_stmt **out);

/* Finalize a statement; also frees one whose connection was released. NULL
 * is a no-op. */
DAL_API void dal_stmt_close(dal_stmt *stmt);

/* The last error on stmt. Valid until the next call on stmt. */
DAL_API const dal_error *dal_stmt_error(const dal_stmt *stmt);

/* Number of parameters. */
DAL_API unsigned dal_stmt_param_count(const dal_stmt *stmt);

/* The 1-based index of parameter ":name" (give it with or without the colon),
 * or 0 if there is none. */
DAL_API unsigned dal_stmt_param_index(const dal_stmt *stmt, const char *name);

/*
 * Bind parameter idx (1-based). Values are copied: the caller's buffers may
 * be reused as soon as the call returns. Binding is allowed after prepare,
 * after dal_stmt_reset(), and after the statement finished (DAL_DONE or a
 * failed step), which then starts the next execution; bindings persist
 * across executions. While rows are unread (the last step gave DAL_ROW),
 * binding is DAL_EMISUSE: reset first, so that no rows are dropped unseen.
 * Text: len is the byte length, or -1 for a NUL-terminated string.
 */
DAL_API int dal_stmt_bind_null(dal_stmt *stmt, unsigned idx);
DAL_API int dal_stmt_bind_int64(dal_stmt *stmt, unsigned idx, int64_t v);
DAL_API int dal_stmt_bind_double(dal_stmt *stmt, unsigned idx, double v);
DAL_API int dal_stmt_bind_bool(dal_stmt *stmt, unsigned idx, int v);
DAL_API int dal_stmt_bind_text(dal_stmt *stmt, unsigned idx, const char *s,
                               ptrdiff_t len);
DAL_API int dal_stmt_bind_blob(dal_stmt *stmt, unsigned idx, const void *p,
                               size_t len);

/* Bind by name; DAL_EMISUSE if the statement has no such parameter. */
DAL_API int dal_stmt_bind_named_int64(dal_stmt *stmt, const char *name, int64_t v);
DAL_API int dal_stmt_bind_named_text(dal_stmt *stmt, const char *name,
                                     const char *s, ptrdiff_t len);

/*
 * Execute (first call) and advance to the next row. Returns DAL_ROW when a
 * row is available, DAL_DONE when there are no (more) rows, or an error.
 * Rows are streamed from the server where the backend supports it
 * (DAL_CAP_STREAMING); memory does not grow with the result size.
 */
DAL_API int dal_stmt_step(dal_stmt *stmt);

/* Make the statement executable again with its current bindings. */
DAL_API int dal_stmt_reset(dal_stmt *stmt);

/* Rows changed by the last execution. */
DAL_API int64_t dal_stmt_rows_affected(const dal_stmt *stmt);

/* Number of result columns (0 if the statement returns none). */
DAL_API unsigned dal_stmt_column_count(const dal_stmt *stmt);

/* Name of column col (0-based), or NULL if out of range. Valid until
 * dal_stmt_close(). */
DAL_API const char *dal_stmt_column_name(const dal_stmt *stmt, unsigned col);

/*
 * Column getters for the current row (after dal_stmt_step() returned DAL_ROW).
 * col is 0-based; an out-of-range col gives DAL_TYPE_NULL / 0 / NULL.
 * Values are converted when asked for another type: numbers to text (decimal),
 * text to numbers (strtoll/strtod rules, 0 if not a number), NULL to 0 / NULL.
 * Pointers returned stay valid until the next step, reset or close of stmt;
 * no call allocates per row.
 */
DAL_API dal_type dal_stmt_column_type(dal_stmt *stmt, unsigned col);
DAL_API int dal_stmt_column_is_null(dal_stmt *stmt, unsigned col);
DAL_API int64_t dal_stmt_column_int64(dal_stmt *stmt, unsigned col);
DAL_API double dal_stmt_column_double(dal_stmt *stmt, unsigned col);
DAL_API int dal_stmt_column_bool(dal_stmt *stmt, unsigned col);
/* NUL-terminated UTF-8, or NULL for SQL NULL. len (may be NULL) gets the byte
 * length. Owned by stmt: valid until the next step, reset or close of stmt. */
DAL_API const char *dal_stmt_column_text(dal_stmt *stmt, unsigned col,
                                         size_t *len);
/* Raw bytes, or NULL for SQL NULL (and for an empty blob, with *len 0). len
 * (may be NULL) gets the byte length. Owned by stmt: valid until the next
 * step, reset or close of stmt. */
DAL_API const void *dal_stmt_column_blob(dal_stmt *stmt, unsigned col,
                                         size_t *len);

/* ------------------------------------------------------------------------ */
/* Batches and zero-copy binds                                               */
/* ------------------------------------------------------------------------ */

/*
 * One parameter's values for dal_stmt_execute_batch(): a column of nrows
 * values, all of one type.
 *
 *   type     values points to
 *   INT64    const int64_t[nrows]
 *   DOUBLE   const double[nrows]
 *   BOOL     const int[nrows] (non-zero is true)
 *   TEXT     const char *const[nrows], UTF-8 (a NULL pointer is SQL NULL)
 *   BLOB     const void *const[nrows] (a NULL pointer is SQL NULL)
 *   NULL     nothing (values may be NULL): every row is SQL NULL
 *
 * lengths: TEXT and BLOB, nrows byte lengths; may be NULL for TEXT, whose
 * strings are then NUL-terminated, and is required for BLOB. nulls: NULL,
 * or nrows flags, non-zero making that row's value SQL NULL whatever
 * values holds. Nothing is copied: every array and the bytes they point to
 * must stay valid and unchanged until dal_stmt_execute_batch() returns.
 */
typedef struct dal_batch_column {
	dal_type type;
	const void *values;
	const size_t *lengths;
	const unsigned char *nulls;
} dal_batch_column;

/*
 * Execute stmt once per row: row r binds cols[i]'s r-th value to parameter
 * i + 1 (ncols must equal dal_stmt_param_count(); a :name used twice is
 * one parameter). stmt must return no rows (an INSERT, UPDATE, DELETE...;
 * DAL_EMISUSE otherwise). Each backend uses its fastest means: PostgreSQL
 * sends the rows of a plain "INSERT INTO t (cols) VALUES (?, ...)" as one
 * COPY, and other statements' rows in one pipeline, MariaDB/MySQL sends
 * the rows as arrays
 * (bulk execution, in chunks under max_allowed_packet), SQLite runs a
 * prepared loop; a backend without its own way gets a loop of binds and
 * steps.
 *
 * All or nothing: with no transaction open on the connection, the batch
 * runs in a transaction of its own, committed when every row succeeded;
 * inside the application's transaction, it runs under a savepoint, released
 * on success. On a failure nothing of the batch remains: its own
 * transaction, or the application's back to the savepoint, is rolled back,
 * and the application's transaction goes on (also on PostgreSQL). A backend
 * without transactions keeps the rows before the failing one.
 *
 * Returns DAL_OK, or the first failing row's error: dal_stmt_error()'s
 * message then starts with "row N: ", and *failed_row (may be NULL) gets N,
 * 0-based; for a failure that belongs to no row (the BEGIN, the COMMIT, a
 * misuse), *failed_row is (size_t)-1. A commit lost with the connection is
 * DAL_EOUTCOME: the batch may or may not be committed. *affected (may be
 * NULL) gets the rows changed, 0 on failure; dal_stmt_rows_affected()
 * reports the same. Afterwards the statement's single-row bindings are
 * unspecified: bind every parameter before the next dal_stmt_step().
 * nrows == 0 does nothing and returns DAL_OK.
 */
DAL_API int dal_stmt_execute_batch(dal_stmt *stmt, const dal_batch_column *cols,
                                   unsigned ncols, size_t nrows, int64_t *affected,
                                   size_t *failed_row);

/*
 * Bind text or a blob without copying it (as SQLite's SQLITE_STATIC). The
 * lifetime rule: every execution of the statement that uses this binding
 * reads the bytes at s (or p) again, so they must be valid and unchanged
 * from the dal_stmt_step() that starts an execution until that execution
 * ends (DAL_DONE, a failed step, or dal_stmt_reset()), for every execution
 * until parameter idx is bound again or the statement is closed. Between
 * executions the buffer may change or die, provided the parameter is bound
 * again before the next one: the usual loop "fill buffer, bind, step" over
 * one buffer is correct. Backends that cannot keep a pointer copy the
 * value, as dal_stmt_bind_text() does; the rule is the same for the caller.
 * len as in dal_stmt_bind_text(); a NULL s (or p with len > 0) binds SQL
 * NULL.
 */
DAL_API int dal_stmt_bind_text_static(dal_stmt *stmt, unsigned idx, const char *s,
                                      ptrdiff_t len);
DAL_API int dal_stmt_bind_blob_static(dal_stmt *stmt, unsigned idx, const void *p,
                                      size_t len);

/*
 * Pipelining: execute the n statements stmts[0..n-1] of connection c, each
 * with its current bindings, sending them all before reading any result
 * (PostgreSQL's pipeline mode: n statements cost about one round trip
 * instead of n). Each then reads as if its first dal_stmt_step() had run
 * it: step it for its first row, DAL_DONE or its own error. PostgreSQL
 * closes the pipeline with one Sync, so the statements are one unit: with
 * no transaction open they run as one transaction, and when one fails the
 * changes of the earlier ones are rolled back (inside the application's
 * transaction, that transaction is aborted, as after any failure there)
 * and the server skips the later ones, whose step reports DAL_EBACKEND,
 * SQLSTATE 25P02, "not run". Pipeline reads, or writes that belong
 * together. Their results are read whole (not streamed): pipeline point
 * selects and short results, not scans.
 *
 * The statements must be distinct, belong to c, and have no unread rows
 * (DAL_EMISUSE otherwise); finished ones are reset first. Do not bind any
 * of them again before stepping it: that discards its result. On backends
 * without pipelining (dal_repo_capabilities() lacks DAL_CAP_PIPELINE) the
 * call checks the statements and returns DAL_OK, and each statement
 * executes at its first step, one after another, exactly as without it.
 * A failure that belongs to no statement (the connection lost) is
 * returned here, and dal_conn_error(c) says why.
 */
DAL_API int dal_conn_pipeline(dal_conn *c, dal_stmt *const *stmts, size_t n);

/* ------------------------------------------------------------------------ */
/* Telemetry                                                                 */
/* ------------------------------------------------------------------------ */

/* Operations measured by the telemetry layer. */
typedef enum dal_op {
	DAL_OP_CONNECT = 0,
	DAL_OP_PING,
	DAL_OP_EXEC,
	DAL_OP_PREPARE,
	DAL_OP_EXECUTE, /* first step of a statement: sending it, first row */
	DAL_OP_FETCH,   /* further steps: reading rows */
	DAL_OP_BEGIN,
	DAL_OP_COMMIT,
	DAL_OP_ROLLBACK,
	DAL_OP_BATCH,   /* dal_stmt_execute_batch(): rows = rows executed */
	DAL_OP__COUNT
} dal_op;

/* The OpenTelemetry operation name of op ("execute"), static. */
DAL_API const char *dal_op_name(dal_op op);

/* Most histogram boundaries a repository can have (latency_buckets). */
#define DAL_HISTOGRAM_MAX_BUCKETS 24
/* Slots of dal_op_stats.errors_by_code: index -code for every error code. */
#define DAL_ERROR_CODE_SLOTS 40

/*
 * Figures for one operation, as a consistent snapshot. Times are in
 * nanoseconds. The latency histogram follows the OpenTelemetry metric
 * db.client.operation.duration: bucket_bounds are upper bounds in seconds
 * (the spec's defaults 0.001 ... 10, or the repository's latency_buckets),
 * bucket_counts are per bucket (not cumulative), the last one for +Inf.
 * DAL_OP_FETCH steps are counted (calls, rows, errors) but not timed, to keep
 * the per-row cost at a few increments: its histogram stays empty.
 */
typedef struct dal_op_stats {
	uint64_t calls;
	uint64_t errors;
	uint64_t rows;          /* rows returned */
	uint64_t rows_affected; /* rows inserted, updated or deleted */
	uint64_t total_ns;
	uint64_t max_ns;
	unsigned n_buckets;
	double bucket_bounds[DAL_HISTOGRAM_MAX_BUCKETS];
	uint64_t bucket_counts[DAL_HISTOGRAM_MAX_BUCKETS + 1];
	uint64_t errors_by_code[DAL_ERROR_CODE_SLOTS]; /* [-code]: e.g. [-DAL_EBUSY] */
} dal_op_stats;

/*
 * Copy the figures of op on repo into *out. Returns DAL_EUNSUPPORTED (and
 * zeroes *out) when telemetry is off for this repository. Safe to call from
 * another thread than the one using the repository (the snapshot is taken
 * without locking the writer).
 */
DAL_API int dal_repo_stats(const dal_repo *repo, dal_op op, dal_op_stats *out);

/* Export formats. */
typedef enum dal_metrics_format {
	DAL_METRICS_PROMETHEUS = 0, /* text exposition format 0.0.4 */
	DAL_METRICS_JSON = 1
} dal_metrics_format;

/* A sink for exported text: return 0 to go on, nonzero to stop. */
typedef int (*dal_write_fn)(const char *data, size_t len, void *userdata);

/*
 * Write the repository's metrics in the given format through fn.
 *
 * Prometheus: db_client_operation_duration_seconds (histogram),
 * db_client_operation_errors_total (by error_type),
 * db_client_response_returned_rows_total, db_client_response_affected_rows_total
 * and db_client_operations_total, labelled db_system_name, db_namespace,
 * db_operation_name and dal_repository; then the pool's db_client_connection*
 * metrics, the statement cache's and the nodes' (docs/pool.md,
 * docs/scale-out.md). JSON: the same figures as one object. No label ever
 * holds a password, a statement or a parameter value. Returns DAL_OK, DAL_EUNSUPPORTED when
 * telemetry is off, or DAL_EBACKEND if fn asked to stop.
 */
DAL_API int dal_repo_metrics_write(const dal_repo *repo, dal_metrics_format fmt,
                                   dal_write_fn fn, void *userdata);

/*
 * The same into a caller's buffer, snprintf-style: writes at most size bytes
 * including a terminating NUL, and returns the full length the text needs
 * (excluding the NUL), or a negative dal_code.
 */
DAL_API long dal_repo_metrics_format(const dal_repo *repo, dal_metrics_format fmt,
                                     char *buf, size_t size);

/*
 * One traced operation, handed to trace hooks; attribute names follow the
 * OpenTelemetry database conventions. Strings are valid during the callback
 * only; NULL means "not known" or "not applicable".
 */
typedef struct dal_span {
	dal_op op;
	const char *repository;     /* libdal repository name */
	const char *system_name;    /* db.system.name: sqlite, postgresql, mysql, mariadb */
	const char *db_namespace;   /* db.namespace: database name, or sqlite file */
	const char *operation_name; /* db.operation.name: "execute", "prepare", ... */
	const char *collection_name; /* db.collection.name, when cheaply known */
	const char *query_text;     /* db.query.text: only with include_query_text;
	                               the parameterised text, never values */
	const char *server_address; /* server.address */
	unsigned server_port;       /* server.port, 0 if none */
	/* Set for end() only: */
	int status;                 /* dal_code of the result */
	const char *error_type;     /* error.type, NULL on success */
	const char *status_code;    /* db.response.status_code (SQLSTATE), NULL on success */
	uint64_t duration_ns;
	int64_t rows;               /* rows returned by this call (0/1 per step) */
} dal_span;

/* The hooks dal_repo_trace_set() installs. */
typedef struct dal_trace_hooks {
	/* Called before the operation. *span_ctx (initially NULL) is handed to
	 * end(), e.g. for the application's own span object. May be NULL. */
	void (*start)(const dal_span *span, void *userdata, void **span_ctx);
	/* Called after the operation with its outcome. May be NULL. */
	void (*end)(const dal_span *span, void *userdata, void *span_ctx);
	/* Opt in to db.query.text (parameterised SQL, no values). */
	int include_query_text;
} dal_trace_hooks;

/*
 * Install trace hooks on repo (NULL removes them). The hooks struct is
 * copied. Traced operations: ping, exec, prepare, execute (the first step of
 * a statement), begin, commit, rollback, execute_batch. Fetch steps are not
 * traced.
 * DAL_EUNSUPPORTED when telemetry is off for this repository.
 */
DAL_API int dal_repo_trace_set(dal_repo *repo, const dal_trace_hooks *hooks,
                               void *userdata);

/* Reset all figures of repo to zero. */
DAL_API void dal_repo_stats_reset(dal_repo *repo);

/*
 * The statement log (settings log_statements / DB_ECHO and log_parameters):
 * every statement executed on repo is logged through the log sink
 * (dal_log_set()) at DAL_LOG_INFO when it ends, as
 *   "<repo>: <ms> ms, <n> rows: <SQL> [1=<value>, ...]"
 * with the time spent in libdal and the backend (not between steps) and
 * the rows read (or changed, for a statement without result columns). A
 * statement left with unread rows is logged at its reset or close, marked
 * "stopped". Values are shown only with parameters on, a :name containing
 * "pass" as ***, and in a statement mentioning a password (PASSWORD,
 * IDENTIFIED BY) every string literal as '***'. A failure shows its code
 * and SQLSTATE, and its message only with parameters on.
 * statements, parameters: 1 on, 0 off, -1 unchanged. Applies to statements
 * prepared afterwards. Call it before sharing repo between threads.
 */
DAL_API void dal_repo_set_statement_log(dal_repo *repo, int statements, int parameters);

/* ------------------------------------------------------------------------ */
/* Plugins                                                                   */
/* ------------------------------------------------------------------------ */

/* What dal_plugin_list() reports for one file. Strings valid during the
 * callback only. */
typedef struct dal_plugin_info {
	const char *path;           /* file found */
	int status;                 /* DAL_OK, or why it cannot be used */
	const char *error;          /* message when status != DAL_OK */
	const char *name;           /* NULL unless status == DAL_OK */
	const char *const *aliases; /* other type names and URL schemes;
	                               NULL-terminated, may be NULL */
	const char *version;
	const char *description;
	unsigned abi_major, abi_minor;
	unsigned capabilities;
	unsigned kind;              /* 0: file database, 1: database server */
	unsigned default_port;      /* servers; 0 for files */
	const char *dialect;        /* the SQL dialect it declares (see
	                               dal_repo_dialect()), or NULL */
} dal_plugin_info;

/* The callback of dal_plugin_list(): one file found (info valid during the
 * call only). */
typedef void (*dal_plugin_fn)(const dal_plugin_info *info, void *userdata);

/*
 * Try to load every backend_*.so (or .la) in the plugin search path of cfg
 * (may be NULL) and report each, including those that fail, through fn.
 * Plugins linked into the program (libtool -dlpreopen, see README) come
 * first, with the path "backend_<name> (preloaded)".
 * Returns the number of files found, or a negative code.
 */
DAL_API int dal_plugin_list(const dal_config *cfg, dal_plugin_fn fn,
                            void *userdata, dal_error *err);

/*
 * The plugin search path of cfg (may be NULL), in search order: [dal]
 * plugin_dir, then each directory of $DAL_PLUGIN_PATH (colon-separated), then
 * the compiled-in plugin directory. Calls fn(dir, userdata) per directory.
 */
DAL_API void dal_plugin_dirs(const dal_config *cfg,
                             void (*fn)(const char *dir, void *userdata),
                             void *userdata);

/* ------------------------------------------------------------------------ */
/* Dialect facts, for layers that build SQL (migrations, db-reset)           */
/* ------------------------------------------------------------------------ */

/*
 * The name of the SQL dialect the repository's plugin declares: "sqlite",
 * "mysql", "postgresql", or a third-party plugin's own name; NULL when the
 * plugin declares none (plugins of ABI 2.0). What layers need to know about
 * the dialect is in its SQL facts (<dal/dialect.h>, dal_repo_sql_facts()).
 * Static; valid until dal_repo_close().
 */
DAL_API const char *dal_repo_dialect(const dal_repo *repo);

/* The dialect's identifier quotes as two characters, opening then closing:
 * "\"\"" (standard SQL), "``" (MySQL) or "[]". Valid until dal_repo_close(). */
DAL_API const char *dal_repo_ident_quote(const dal_repo *repo);

/* The repository's migrations directory (setting `migrations`; a relative
 * path in the INI file is relative to that file's directory) as an absolute
 * path, or NULL when it has none. Valid until dal_repo_close(). See
 * <dal/migrate.h>. */
DAL_API const char *dal_repo_migrations_dir(const dal_repo *repo);

#ifdef __cplusplus
}
#endif
#endif /* DAL_DAL_H */
