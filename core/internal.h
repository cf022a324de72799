/*
 * Internal: the repository and statement objects, and helpers shared across
 * core files. Nothing here is visible to applications or plugins.
 *
 * Invariant: the core calls a backend only through repo->drv, which is either
 * the plugin's own table or the telemetry decorator wrapping it; repo->conn
 * and stmt->h are handles of whichever table repo->drv is.
 */
#ifndef DAL_CORE_INTERNAL_H
#define DAL_CORE_INTERNAL_H

#include <stdint.h>

#include <dal/dal.h>
#include <dal/plugin.h>

struct loaded_plugin;
struct telemetry;

struct dal_repo {
	char *name;
	const struct loaded_plugin *plugin;
	const struct dal_driver *drv;
	dal_bconn *conn;
	struct telemetry *tel; /* NULL when telemetry = off */
	const char *server_kind;
	int in_txn;
	struct dal_stmt *stmts; /* open statements, finalized on close */
	dal_error err;
};

enum stmt_state { STMT_READY, STMT_ROW, STMT_DONE };

struct dal_stmt {
	dal_repo *repo;
	dal_bstmt *h;
	/* Binds and column reads go straight to the plugin: the decorator
	 * neither counts nor times them, and skipping its forwarding call saves
	 * an indirect call per value. Same as repo->drv / h without telemetry. */
	const struct dal_driver *cdrv;
	dal_bstmt *ch;
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
