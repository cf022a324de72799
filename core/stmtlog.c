/*
 * The statement log (log_statements = on, DB_ECHO): one line per executed
 * statement through the log sink, with the time spent in libdal and the
 * backend and the row count; the bound values only with log_parameters = on.
 *
 * What is logged, and when:
 *  - a prepared statement's execution, when it ends: its last step (DAL_DONE
 *    or a failure), or a reset/close with rows still unread ("stopped");
 *    the time is the sum of its steps, not the application's time between
 *    them; rows are the rows read, or the rows changed for a statement
 *    without result columns;
 *  - dal_conn_exec() on a backend with a native exec.
 *
 * Secrets: a parameter whose :name contains "pass" shows as ***; in a
 * statement that mentions a password (PASSWORD, IDENTIFIED BY) every string
 * literal shows as '***'; a failure shows its code and SQLSTATE, its message
 * only with log_parameters (a server's message may quote the data).
 *
 * Costs nothing unless on: the fetch path tests one pointer. With it on, the
 * SQL is copied at prepare and values are formatted at bind, into space
 * allocated with the statement, never per row.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "stmtlog.h"
#include "strbuf.h"

#define PARAM_TEXT 48 /* per parameter, with quotes and "..." */

struct stmt_log {
	char *sql;
	char *params; /* nparams * PARAM_TEXT, or NULL without log_parameters */
	uint64_t ns;
	int64_t rows;
	int active; /* an execution started and was not logged yet */
};

/* Mask string literals when the statement handles a password. */
static int mentions_password(const char *sql)
{
	return strcasestr(sql, "password") || strcasestr(sql, "identified");
}

static void put_sql(struct strbuf *sb, const char *sql)
{
	if (!mentions_password(sql)) {
		sb_puts(sb, sql);
		return;
	}
	for (const char *p = sql; *p; p++) {
		if (*p != '\'') {
			sb_append(sb, p, 1);
			continue;
		}
		sb_puts(sb, "'***'");
		/* Skip to the closing quote ('' is an escaped quote). */
		for (p++; *p; p++) {
			if (*p == '\\' && p[1]) {
				p++;
			} else if (*p == '\'') {
				if (p[1] != '\'')
					break;
				p++;
			}
		}
		if (!*p)
			break;
	}
}

int stmtlog_attach(dal_stmt *s, const char *sql)
{
	struct stmt_log *l = calloc(1, sizeof *l);

	if (!l || !(l->sql = strdup(sql)))
		goto nomem;
	if (s->conn->repo->log_parameters && s->nparams &&
	    !(l->params = calloc(s->nparams, PARAM_TEXT)))
		goto nomem;
	s->log = l;
	return DAL_OK;
nomem:
	if (l)
		free(l->sql);
	free(l);
	return dal_error_set(&s->conn->err, DAL_ENOMEM, "HY001", 0, "out of memory");
}

void stmtlog_free(dal_stmt *s)
{
	if (s->log) {
		free(s->log->sql);
		free(s->log->params);
		free(s->log);
		s->log = NULL;
	}
}

void stmtlog_bind(dal_stmt *s, unsigned idx, const dal_value *v)
{
	char *out;
	const char *name;

	if (!s->log->params || idx < 1 || idx > s->nparams)
		return;
	out = s->log->params + (size_t)(idx - 1) * PARAM_TEXT;
	name = s->names ? s->names[idx - 1] : NULL;
	if (name && strcasestr(name, "pass")) {
		snprintf(out, PARAM_TEXT, "***");
		return;
	}
	switch (v->type) {
	case DAL_TYPE_NULL:
		snprintf(out, PARAM_TEXT, "NULL");
		break;
	case DAL_TYPE_INT64:
		snprintf(out, PARAM_TEXT, "%" PRId64, v->u.i);
		break;
	case DAL_TYPE_BOOL:
		snprintf(out, PARAM_TEXT, "%s", v->u.i ? "true" : "false");
		break;
	case DAL_TYPE_DOUBLE:
		snprintf(out, PARAM_TEXT, "%.17g", v->u.d);
		break;
	case DAL_TYPE_TEXT:
		if (v->u.b.len > PARAM_TEXT - 6)
			snprintf(out, PARAM_TEXT, "'%.*s...'", PARAM_TEXT - 6,
			         (const char *)v->u.b.ptr);
		else
			snprintf(out, PARAM_TEXT, "'%.*s'", (int)v->u.b.len,
			         (const char *)v->u.b.ptr);
		break;
	case DAL_TYPE_BLOB:
		snprintf(out, PARAM_TEXT, "<%zu bytes>", v->u.b.len);
		break;
	}
}

/* One line: "repo: 0.412 ms, 3 rows: SQL [1=42, 2='x']". */
static void emit(dal_repo *r, const char *sql, const char *params, unsigned nparams,
                 uint64_t ns, int64_t rows, int rc, const dal_error *err, const char *how)
{
	struct strbuf sb = {0};
	char *line;

	sb_printf(&sb, "%s: %.3f ms, ", r->name, ns / 1e6);
	if (rc == DAL_OK || rc == DAL_DONE || rc == DAL_ROW)
		sb_printf(&sb, "%" PRId64 " row%s%s: ", rows, rows == 1 ? "" : "s", how);
	else if (r->log_parameters && err)
		sb_printf(&sb, "failed (%s, SQLSTATE %.5s: %s): ", dal_code_name(rc), err->sqlstate,
		          err->message);
	else
		sb_printf(&sb, "failed (%s, SQLSTATE %.5s): ", dal_code_name(rc),
		          err ? err->sqlstate : "HY000");
	put_sql(&sb, sql);
	for (unsigned i = 0; params && i < nparams; i++)
		sb_printf(&sb, "%s%u=%s", i ? ", " : " [", i + 1,
		          params[(size_t)i * PARAM_TEXT] ? params + (size_t)i * PARAM_TEXT
		                                         : "(unbound)");
	if (params && nparams)
		sb_puts(&sb, "]");
	if ((line = sb_detach(&sb))) {
		dal_log_emit_line(DAL_LOG_INFO, line);
		free(line);
	}
}

void stmtlog_step(dal_stmt *s, int rc, uint64_t t0)
{
	struct stmt_log *l = s->log;

	l->ns += clock_ns() - t0;
	l->active = 1;
	if (rc == DAL_ROW) {
		l->rows++;
		return;
	}
	if (rc == DAL_DONE && !s->ncols)
		l->rows = dal_stmt_rows_affected(s);
	if (s->conn)
		emit(s->conn->repo, l->sql, l->params, s->nparams, l->ns, l->rows, rc, &s->err, "");
	l->ns = 0;
	l->rows = 0;
	l->active = 0;
}

void stmtlog_end(dal_stmt *s)
{
	struct stmt_log *l = s->log;

	if (l->active && s->conn)
		emit(s->conn->repo, l->sql, l->params, s->nparams, l->ns, l->rows, DAL_OK, NULL,
		     " (stopped: rows left unread)");
	l->ns = 0;
	l->rows = 0;
	l->active = 0;
}

void stmtlog_batch(dal_stmt *s, int rc, size_t nrows, int64_t affected, uint64_t t0)
{
	char how[64];

	if (!s->conn)
		return;
	/* The values of a batch are not shown: there are nrows of each. */
	snprintf(how, sizeof how, " (batch of %zu)", nrows);
	emit(s->conn->repo, s->log->sql, NULL, 0, clock_ns() - t0, affected, rc, &s->err, how);
}

void stmtlog_exec(dal_conn *c, const char *sql, int rc, int64_t affected, uint64_t t0)
{
	emit(c->repo, sql, NULL, 0, clock_ns() - t0, affected, rc, &c->err, "");
}

void dal_repo_set_statement_log(dal_repo *r, int statements, int parameters)
{
	if (!r)
		return;
	if (statements >= 0)
		r->log_statements = statements != 0;
	if (parameters >= 0)
		r->log_parameters = parameters != 0;
}
