/*
 * Internal: the repository and statement objects, and helpers shared across
 * core files. Nothing here is visible to applications or plugins.
 *
 * Invariant: the core calls a backend only through the slots resolved in
 * repo->ops and stmt->ops, which point into the stack of tables that starts
 * at repo->top (the layers, then the plugin's table; see layer.h).
 */
#ifndef DAL_CORE_INTERNAL_H
#define DAL_CORE_INTERNAL_H

#include <stdint.h>

#include <dal/dal.h>
#include <dal/plugin.h>

#include "settings.h"

struct loaded_plugin;
struct telemetry;
struct fault;

/* A resolved slot: the function and the handle of the table that
 * implements it (see layer.h). fn is NULL when nothing does. */
/* One connection's slots, resolved through the layers when it is made. */
struct conn_ops {
	const struct dal_driver *top; /* the table whose connect() made conn */
	dal_bconn *conn;
	struct { void (*fn)(dal_bconn *); dal_bconn *h; } disconnect;
	struct { int (*fn)(dal_bconn *, dal_error *); dal_bconn *h; } ping, begin, commit, rollback;
	struct { int (*fn)(dal_bconn *, const char *, int64_t *, dal_error *); dal_bconn *h; } exec;
	struct {
		int (*fn)(dal_bconn *, const char *, size_t, unsigned, dal_bstmt **, dal_error *);
		dal_bconn *h;
		const struct dal_driver *d; /* the table whose statements we get */
	} prepare;
	struct { int (*fn)(dal_bconn *, int64_t *, dal_error *); dal_bconn *h; } last_insert_id;
	struct { const char *(*fn)(dal_bconn *); dal_bconn *h; } server_kind, server_version;
	struct { int (*fn)(dal_bconn *, dal_error *); dal_bconn *h; } cancel;
	struct { const char *(*fn)(dal_bconn *); dal_bconn *h; } tls_info;
	/* ABI 2.1 */
	struct { int (*fn)(dal_bconn *, const char *, dal_error *); dal_bconn *h; } backup, restore;
	struct { const char *(*fn)(dal_bconn *, unsigned *); dal_bconn *h; } server_address;
	struct {
		int (*fn)(dal_bconn *, unsigned, struct dal_node_status *, dal_error *);
		dal_bconn *h;
	} node_status;
};

/* One statement's slots, resolved when it is prepared. */
struct stmt_ops {
	struct { int (*fn)(dal_bstmt *, unsigned, const dal_value *, dal_error *); dal_bstmt *h; } bind;
	struct { int (*fn)(dal_bstmt *, dal_error *); dal_bstmt *h; } step, reset;
	struct { void (*fn)(dal_bstmt *); dal_bstmt *h; } finalize;
	struct { unsigned (*fn)(dal_bstmt *); dal_bstmt *h; } column_count;
	struct { const char *(*fn)(dal_bstmt *, unsigned); dal_bstmt *h; } column_name;
	struct { void (*fn)(dal_bstmt *, unsigned, dal_value *); dal_bstmt *h; } column_value;
	struct { int64_t (*fn)(dal_bstmt *); dal_bstmt *h; } rows_affected;
	/* ABI 2.1: fn NULL when no table implements them (the core falls back). */
	struct { int (*fn)(dal_bstmt *, struct dal_batch *, dal_error *); dal_bstmt *h; } execute_batch;
	struct { int (*fn)(dal_bstmt *, unsigned, const dal_value *, dal_error *); dal_bstmt *h; } bind_static;
	struct { int (*fn)(dal_bstmt *const *, size_t, dal_error *); dal_bstmt *h; } execute_pipelined;
};

/*
 * A pooled connection: what dal_conn_acquire() hands out. Owned by the pool;
 * between acquire and release only the acquiring thread touches it (the
 * pool's lock orders the hand-over).
 */
struct dal_conn {
	dal_repo *repo;
	struct conn_ops ops;
	int in_txn;
	int broken;              /* lost its server: closed, not pooled, on release */
	int cancel_pending;      /* dal_conn_cancel() was called (atomic) */
	struct dal_stmt *stmts;  /* open statements, finalized on release */
	uint64_t created_ms;     /* coarse clock, for max_lifetime */
	uint64_t idle_since_ms;  /* coarse clock, for idle_timeout and pre_ping */
	uint64_t acquired_ns;    /* for db.client.connection.use_time */
	struct dal_conn *next;   /* the pool's idle stack */
	struct dal_stmt *cache;  /* closed statements kept prepared, most
	                            recently closed first (stmt_cache.c) */
	unsigned n_cached;
	dal_error err;
	/* Routing (route.c): the pool it belongs to (the repository's primary
	 * pool or its replica pool), the node it reached, and when that node's
	 * status was last asked (coarse clock). node_check: 0 once the backend
	 * said it has nothing to check. */
	struct pool *pool;
	struct route_node *node;
	uint64_t checked_ms;
	int node_check;
	struct savepoints *sp;   /* open savepoints (savepoint.c); NULL when none */
};

struct pool;

struct dal_repo {
	char *name;
	const struct loaded_plugin *plugin;
	const struct dal_driver *top; /* the outermost table: a layer or the plugin's */
	struct dal_settings *settings; /* kept: every new connection needs them */
	struct dal_option *options;    /* the plugin's share of settings->options */
	size_t n_options;
	struct telemetry *tel; /* NULL when telemetry = off */
	struct fault *fault;   /* fault-injection layer (tests), or NULL */
	char *server_kind;
	struct pool *pool;
	/* The statement cache (stmt_cache.c): statement_cache_size, the
	 * schema epoch (bumped by every DDL statement run through this
	 * repository: cached statements of an older epoch are prepared
	 * again), hits and misses. Atomics, shared by all connections. */
	unsigned cache_size;
	unsigned schema_epoch;
	uint64_t cache_hits, cache_misses;
	struct pool *replicas; /* read replicas' pool (route.c), or NULL */
	struct route *route;   /* per-node figures, replica state (route.c) */
	int pools_live;        /* pools not yet emptied after close (atomic) */
	int log_statements, log_parameters; /* the statement log (stmtlog.c) */
};

/* FAILED: the last step failed; stepping again needs a reset (a retried
 * failed INSERT must not look like it worked). */
enum stmt_state { STMT_READY, STMT_ROW, STMT_DONE, STMT_FAILED };

struct dal_stmt {
	dal_conn *conn;      /* NULL once the connection was released */
	struct stmt_ops ops;
	struct dal_stmt *prev, *next;
	enum stmt_state state;
	unsigned nparams;   /* parameters the application sees */
	unsigned npos;      /* backend positions (> nparams when a :name repeats) */
	unsigned *pos_param; /* npos entries: application index (1-based) per
	                        backend position; NULL when position == index */
	char **names;       /* nparams entries, NULL for `?` parameters */
	unsigned ncols;
	char *scratch;      /* ncols * STMT_SCRATCH bytes for number -> text */
	char *sql;          /* the application's SQL, the cache key; NULL when
	                       the statement is not to be cached */
	uint64_t sql_hash;
	unsigned epoch;     /* the repository's schema_epoch at prepare */
	int ddl;            /* CREATE, ALTER, DROP, RENAME...: running it bumps
	                       the schema epoch */
	int in_pipeline;    /* dal_conn_pipeline()'s mark while it checks */
	int batched;        /* the last execution was a batch: rows_affected
	                       is batch_affected (batch.c) */
	int64_t batch_affected;
	dal_error err;
	struct stmt_log *log; /* NULL unless the repository logs statements */
};

/* A call on c failed with rc: if dal_conn_cancel() asked for it, the code
 * becomes DAL_ECANCELED (err rewritten); the request is consumed. conn.c. */
int conn_canceled(dal_conn *c, int rc, dal_error *err);

/* Finalize every statement still open on c and leave their handles as
 * zombies that answer DAL_EMISUSE until dal_stmt_close(). stmt.c. */
void stmt_orphan_all(dal_conn *c);

/* Make a new connection for pool p of r (r->pool, or r->replicas: then
 * the replicas' host list, one attempt, and its node checked): the table
 * stack's connect with retries and backoff, bounded by deadline_ms (coarse
 * clock; 0: none). repo.c. */
int repo_connect(dal_repo *r, struct pool *p, uint64_t deadline_ms, dal_conn **out,
                 dal_error *err);

/* A pool of r has nothing left after close: the last one frees r. repo.c. */
void repo_pool_gone(dal_repo *r);

/* Close a connection that is no longer pooled. repo.c. */
void repo_disconnect(dal_conn *c);

/* Free a repository whose pool has no connection left. repo.c. */
void repo_free(dal_repo *r);

/* 1 if a failure with this code on a connection means the connection is
 * gone (it is then discarded on release). */
static inline int code_loses_connection(int code)
{
	return code == DAL_ECONNECT || code == DAL_EOUTCOME;
}

/* Open path for reading if it is a regular file; never blocks (a FIFO is
 * refused, not waited on). NULL with errno set, and *not_regular = 1 when
 * the path exists but is no regular file. config.c. */
#include <stdio.h>
FILE *open_regular_file(const char *path, int *not_regular);

/* Clocks: monotonic ns for measurements; a coarse ms clock (a few ms
 * resolution, much cheaper) for pool bookkeeping. */
uint64_t clock_ns(void);
uint64_t clock_coarse_ms(void);

/* Delay before retry `attempt` (1-based): full jitter over
 * min(cap_ms, base_ms * 2^(attempt-1)), from a per-thread generator
 * seeded from getrandom(). backoff.c. */
unsigned backoff_ms(unsigned base_ms, unsigned cap_ms, unsigned attempt);

/* Sleep ms milliseconds (restarted on signals). */
void sleep_ms(unsigned ms);

/* Resolve a connection's slots from d (the table whose connect() made
 * conn, or a layer's inner table and the connection it wraps), and a
 * statement's from d (the table whose prepare() made h). layer.c. */
void conn_ops_resolve(struct conn_ops *ops, const struct dal_driver *d, dal_bconn *conn);
void stmt_ops_resolve(struct stmt_ops *ops, const struct dal_driver *d, dal_bstmt *h);

#define STMT_SCRATCH 32

/* The statement cache (stmt_cache.c). */
/* 1 if sql starts a statement that may change the schema (checked at each
 * statement of a script when script is set). */
int stmt_sql_is_ddl(const char *sql, int script);
/* Note that DDL ran on r: every cached statement is prepared again. */
void stmt_schema_changed(dal_repo *r);
/* A cached statement for sql on c, taken out of the cache and ready to
 * run (bindings cleared), or NULL. Counts the hit or miss. */
dal_stmt *stmt_cache_take(dal_conn *c, const char *sql, uint64_t hash);
/* The hash stmt_cache_take() and stmt_cache_put() key on. */
uint64_t stmt_sql_hash(const char *sql);
/* Keep closed statement s (still linked to nothing) prepared in its
 * connection's cache; 0 if it cannot be kept (the caller then frees it). */
int stmt_cache_put(dal_stmt *s);
/* Finalize and free every cached statement of c. */
void stmt_cache_clear(dal_conn *c);
/* Free a statement whose backend statement is finalized (stmt.c). */
void stmt_free(dal_stmt *s);



/* Log through the application's sink (no-op without one). */
void dal_log_emit(dal_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Copy src to dst (both may be the same). */
static inline void error_copy(dal_error *dst, const dal_error *src)
{
	if (dst && dst != src)
		*dst = *src;
}

/* Log one line of any length (the statement log). log.c. */
void dal_log_emit_line(dal_log_level level, const char *line);

/* Savepoints and nested units of c's transaction (savepoint.c). */
void savepoint_reset(dal_conn *c);              /* forget them all */
unsigned savepoint_units(const dal_conn *c);    /* nested units open */
int savepoint_begin_unit(dal_conn *c);          /* begin inside a transaction */
int savepoint_end_unit(dal_conn *c, int commit); /* end the innermost unit */

#endif
