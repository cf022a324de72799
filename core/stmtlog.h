/*
 * Internal: the statement log (stmtlog.c), hooked into stmt.c and conn.c.
 * Every hook is called only when the statement has a log (s->log) or the
 * repository logs statements (exec).
 */
#ifndef DAL_CORE_STMTLOG_H
#define DAL_CORE_STMTLOG_H

#include <stdint.h>

#include "internal.h"

/* Give s (just prepared from sql) its log; DAL_ENOMEM in s->conn->err. */
int stmtlog_attach(dal_stmt *s, const char *sql);
void stmtlog_free(dal_stmt *s);
/* Remember bound value v of parameter idx (with log_parameters). */
void stmtlog_bind(dal_stmt *s, unsigned idx, const dal_value *v);
/* After a step that began at t0 (clock_ns()) and gave rc. */
void stmtlog_step(dal_stmt *s, int rc, uint64_t t0);
/* Reset or close: log an execution whose rows were not all read. */
void stmtlog_end(dal_stmt *s);
/* After dal_stmt_execute_batch() of nrows rows, begun at t0. */
void stmtlog_batch(dal_stmt *s, int rc, size_t nrows, int64_t affected, uint64_t t0);
/* dal_conn_exec() through the backend's exec. */
void stmtlog_exec(dal_conn *c, const char *sql, int rc, int64_t affected, uint64_t t0);

#endif
