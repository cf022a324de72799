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
};

struct dal_repo {
	char *name;
	const struct loaded_plugin *plugin;
	const struct dal_driver *top; /* the outermost table: a layer or the plugin's */
	struct conn_ops ops;
	struct telemetry *tel; /* NULL when telemetry = off */
	struct fault *fault;   /* fault-injection layer (tests), or NULL */
	const char *server_kind;
	int in_txn;
	struct dal_stmt *stmts; /* open statements, finalized on close */
	dal_error err;
};

enum stmt_state { STMT_READY, STMT_ROW, STMT_DONE };

struct dal_stmt {
	dal_repo *repo;
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
	dal_error err;
};

/* Resolve a connection's slots from d (the table whose connect() made
 * conn, or a layer's inner table and the connection it wraps), and a
 * statement's from d (the table whose prepare() made h). layer.c. */
void conn_ops_resolve(struct conn_ops *ops, const struct dal_driver *d, dal_bconn *conn);
void stmt_ops_resolve(struct stmt_ops *ops, const struct dal_driver *d, dal_bstmt *h);

#define STMT_SCRATCH 32

/* Log through the application's sink (no-op without one). */
void dal_log_emit(dal_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* 1 if a log sink is installed at `level` or below (cheap check before
 * formatting). */
int dal_log_enabled(dal_log_level level);

/* Copy src to dst (both may be the same). */
static inline void error_copy(dal_error *dst, const dal_error *src)
{
	if (dst && dst != src)
		*dst = *src;
}

#endif
