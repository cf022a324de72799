/*
 * backend_sqlite: prepared statements. Prepare (one statement only, column
 * names copied), bind, step (with and without statement_timeout), reset,
 * finalize and the rows affected. Column reads are decode.c's.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sqlite_int.h"

/* 1 if [p, end) holds nothing but whitespace and semicolons. */
static int blank(const char *p, const char *end)
{
	for (; p < end && *p; p++)
		if (!strchr(" \t\r\n\f\v;", *p))
			return 0;
	return 1;
}

static int is_bool_decl(const char *decl)
{
	return decl && (strcasecmp(decl, "BOOLEAN") == 0 || strcasecmp(decl, "BOOL") == 0);
}

/*
 * SQLite's column-name pointers die when the statement is re-prepared after
 * a schema change, and sqlite3_column_name() may allocate; the contract
 * wants names that stay valid until finalize and a getter that cannot fail.
 * So all names are copied at prepare, into one block: the pointer array
 * followed by the strings. DAL_ENOMEM when SQLite or malloc runs out.
 */
static int copy_names(struct dal_bstmt *s, dal_error *err)
{
	size_t size = s->ncols * sizeof(char *);
	char *p;

	if (!s->ncols)
		return DAL_OK;
	for (unsigned i = 0; i < s->ncols; i++) {
		const char *n = sqlite3_column_name(s->st, (int)i);
		if (!n)
			return dal_error_set(err, DAL_ENOMEM, "HY001", SQLITE_NOMEM,
			                     "prepare: out of memory reading column names");
		size += strlen(n) + 1;
	}
	if (!(s->names = malloc(size)))
		return dal_error_set(err, DAL_ENOMEM, "HY001", SQLITE_NOMEM,
		                     "prepare: out of memory copying column names");
	p = (char *)(s->names + s->ncols);
	for (unsigned i = 0; i < s->ncols; i++) {
		const char *n = sqlite3_column_name(s->st, (int)i);
		size_t l = strlen(n) + 1;

		memcpy(p, n, l);
		s->names[i] = p;
		p += l;
	}
	return DAL_OK;
}

int sqb_prepare(dal_bconn *c, const char *sql, size_t len,
                          unsigned nparams, dal_bstmt **out, dal_error *err)
{
	const char *tail = NULL, *end = sql + len;
	sqlite3_stmt *st = NULL;
	struct dal_bstmt *s;
	int rc, n;

	if (len > INT_MAX)
		return dal_error_set(err, DAL_EDATA, "54000", SQLITE_TOOBIG,
		                     "prepare: SQL of %zu bytes is too long", len);
	/* Outside a transaction this connection may hold a schema another
	 * connection has changed since: SQLite would compile against it and
	 * only re-prepare at the first step, after column_count() and the
	 * names were taken. A statement that reads the schema table checks
	 * the cookie first, and reloads the schema when it changed. */
	if (sqlite3_get_autocommit(c->db) && (rc = sqb_schema_check(c, err)) != DAL_OK)
		return rc;
	rc = sqlite3_prepare_v3(c->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT,
	                        &st, &tail);
	if (rc != SQLITE_OK)
		return sq_report(err, c, rc, "prepare");
	if (!st)
		return dal_error_set(err, DAL_ESYNTAX, "42601", 0,
		                     "prepare: the SQL holds no statement (empty or only comments)");

	/* SQLite compiles only the first statement; refuse to drop the rest
	 * silently. A tail of comments compiles to no statement and is fine. */
	if (tail && !blank(tail, end)) {
		sqlite3_stmt *next = NULL;
		size_t off = (size_t)(tail - sql);

		rc = sqlite3_prepare_v2(c->db, tail, (int)(end - tail), &next, NULL);
		if (rc != SQLITE_OK) {
			rc = sq_report(err, c, rc, "prepare (second statement)");
			sqlite3_finalize(st);
			return rc;
		}
		if (next) {
			sqlite3_finalize(next);
			sqlite3_finalize(st);
			return dal_error_set(err, DAL_ESYNTAX, "42601", 0,
			                     "prepare: the SQL holds more than one statement "
			                     "(the second starts at offset %zu); use "
			                     "dal_repo_exec() for scripts", off);
		}
	}

	n = sqlite3_bind_parameter_count(st);
	if ((unsigned)n != nparams) {
		sqlite3_finalize(st);
		return dal_error_set(err, DAL_EMISUSE, "07001", 0,
		                     "prepare: SQLite sees %d parameter(s) where %u were "
		                     "expected (only ? and :name markers are supported, "
		                     "not ?NNN, @name or $name)", n, nparams);
	}

	s = calloc(1, sizeof *s);
	if (!s) {
		sqlite3_finalize(st);
		return dal_error_set(err, DAL_ENOMEM, "HY001", SQLITE_NOMEM,
		                     "prepare: out of memory");
	}
	s->conn = c;
	s->st = st;
	s->ncols = (unsigned)sqlite3_column_count(st);
	s->nparams = nparams;
	s->state = ST_READY;
	s->timed = c->stmt_timeout_ms != 0;
	/* SQLite has no boolean storage class; a column declared BOOLEAN is
	 * reported as DAL_TYPE_BOOL so that it reads the same as on servers. */
	for (unsigned i = 0; i < s->ncols && i < 64; i++)
		if (is_bool_decl(sqlite3_column_decltype(st, (int)i)))
			s->boolcols |= (uint64_t)1 << i;
	if ((rc = copy_names(s, err)) != DAL_OK) {
		sqlite3_finalize(st);
		free(s);
		return rc;
	}
	*out = s;
	return DAL_OK;
}

/* Bind one value; text and blob bytes are copied (SQLITE_TRANSIENT) or
 * kept by pointer (SQLITE_STATIC: the caller's bytes outlive the binding). */
static inline int bind_one(struct dal_bstmt *s, unsigned pos, const dal_value *v,
                           sqlite3_destructor_type keep, dal_error *err)
{
	int rc;

	switch (v->type) {
	case DAL_TYPE_NULL:
		rc = sqlite3_bind_null(s->st, (int)pos);
		break;
	case DAL_TYPE_INT64:
		rc = sqlite3_bind_int64(s->st, (int)pos, v->u.i);
		break;
	case DAL_TYPE_BOOL:
		rc = sqlite3_bind_int64(s->st, (int)pos, v->u.i != 0);
		break;
	case DAL_TYPE_DOUBLE:
		rc = sqlite3_bind_double(s->st, (int)pos, v->u.d);
		break;
	case DAL_TYPE_TEXT:
		/* A NULL pointer would bind SQL NULL: keep "" distinct from NULL. */
		rc = sqlite3_bind_text64(s->st, (int)pos,
		                         v->u.b.ptr ? v->u.b.ptr : "",
		                         v->u.b.len, keep, SQLITE_UTF8);
		break;
	case DAL_TYPE_BLOB:
		if (v->u.b.len == 0)
			rc = sqlite3_bind_zeroblob(s->st, (int)pos, 0);
		else
			rc = sqlite3_bind_blob64(s->st, (int)pos, v->u.b.ptr,
			                         v->u.b.len, keep);
		break;
	default:
		return dal_error_set(err, DAL_EMISUSE, "HY004", 0,
		                     "bind: parameter %u has unknown type %d", pos,
		                     (int)v->type);
	}
	if (rc != SQLITE_OK) {
		char what[48];

		snprintf(what, sizeof what, "bind parameter %u", pos);
		return sq_report(err, s->conn, rc, what);
	}
	return DAL_OK;
}

static inline int bind_checked(dal_bstmt *s, unsigned pos, const dal_value *v,
                               sqlite3_destructor_type keep, dal_error *err)
{
	if (pos < 1 || pos > s->nparams)
		return dal_error_set(err, DAL_EMISUSE, "07009", SQLITE_RANGE,
		                     "bind: parameter %u is out of range (the statement "
		                     "has %u)", pos, s->nparams);
	if (s->state == ST_ROW)
		return dal_error_set(err, DAL_EMISUSE, "HY010", SQLITE_MISUSE,
		                     "bind: parameter %u: the statement has unread rows; "
		                     "reset it first", pos);
	/* After DONE or an error SQLite wants a reset before new bindings;
	 * reset keeps the bindings already made. */
	if (s->state != ST_READY) {
		sqlite3_reset(s->st);
		s->state = ST_READY;
	}
	return bind_one(s, pos, v, keep, err);
}

int sqb_bind(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err)
{
	return bind_checked(s, pos, v, SQLITE_TRANSIENT, err);
}

/* The caller keeps the bytes until pos is bound again or the statement is
 * finalized (plugin.h), which is SQLITE_STATIC's own rule. */
int sqb_bind_static(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err)
{
	return bind_checked(s, pos, v, SQLITE_STATIC, err);
}

/*
 * step(), in two copies: `timed` is a constant in each, so that the copy
 * for connections without statement_timeout is the plain code, and a
 * statement pays one flag test for the feature.
 */
static inline __attribute__((always_inline)) int step_body(struct dal_bstmt *s,
                                                            dal_error *err, int timed)
{
	int rc;

	switch (s->state) {
	case ST_DONE:
		return DAL_DONE;
	case ST_FAILED:
		return dal_error_set(err, DAL_EMISUSE, "HY010", SQLITE_MISUSE,
		                     "step: the last execution failed; reset the "
		                     "statement before stepping again");
	case ST_READY:
		s->total_before = sqlite3_total_changes64(s->conn->db);
		s->changes = 0;
		/* The statement starts executing: its time starts now, and
		 * covers every step up to its last row. */
		if (timed)
			s->deadline_ns = sqb_deadline_after(s->conn);
		break;
	case ST_ROW:
		break;
	}

	if (timed) {
		/* The progress handler reads the deadline of the statement
		 * being stepped, and only during the step. */
		struct dal_bconn *c = s->conn;

		c->deadline_ns = s->deadline_ns;
		c->timed_out = 0;
		rc = sqlite3_step(s->st);
		c->deadline_ns = 0;
	} else {
		rc = sqlite3_step(s->st);
	}
	if (rc == SQLITE_ROW) {
		s->state = ST_ROW;
		return DAL_ROW;
	}
	if (rc == SQLITE_DONE) {
		sqlite3 *db = s->conn->db;

		s->state = ST_DONE;
		/* See sqb_exec(): changes64 is stale after a non-DML statement. */
		if (sqlite3_total_changes64(db) != s->total_before)
			s->changes = (int64_t)sqlite3_changes64(db);
		return DAL_DONE;
	}
	s->state = ST_FAILED;
	return sq_report(err, s->conn, rc, "step");
}

static __attribute__((noinline)) int step_timed(struct dal_bstmt *s, dal_error *err)
{
	return step_body(s, err, 1);
}

int sqb_step(dal_bstmt *s, dal_error *err)
{
	if (__builtin_expect(s->timed, 0))
		return step_timed(s, err);
	return step_body(s, err, 0);
}

int sqb_reset(dal_bstmt *s, dal_error *err)
{
	(void)err;
	/* sqlite3_reset() only repeats the error of the last step, which step
	 * has already reported. */
	sqlite3_reset(s->st);
	s->state = ST_READY;
	return DAL_OK;
}

void sqb_finalize(dal_bstmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->st);
	free(s->names);
	free(s);
}
int64_t sqb_rows_affected(dal_bstmt *s)
{
	return s->changes;
}

/*
 * A batch: the prepared loop, bound without copies (the core's values stay
 * valid for the whole call), in a transaction (our own with autocommit,
 * else the core's). The bindings are cleared at the end, as the pointers
 * die with the call.
 */
int sqb_execute_batch(dal_bstmt *s, struct dal_batch *b, dal_error *err)
{
	dal_value small[16], *vals = small;
	int rc = DAL_OK;

	if (b->npos > 16 && !(vals = malloc(b->npos * sizeof *vals)))
		return dal_error_set(err, DAL_ENOMEM, "HY001", SQLITE_NOMEM,
		                     "batch: out of memory");
	if (b->autocommit && (rc = sqb_begin(s->conn, err)) != DAL_OK) {
		if (vals != small)
			free(vals);
		return rc;
	}
	for (size_t r = 0; r < b->nrows; r++) {
		b->row(b, r, vals);
		sqlite3_reset(s->st);
		s->state = ST_READY;
		for (unsigned p = 0; p < b->npos && rc == DAL_OK; p++)
			rc = bind_one(s, p + 1, &vals[p], SQLITE_STATIC, err);
		if (rc == DAL_OK && (rc = sqb_step(s, err)) == DAL_DONE) {
			b->affected += s->changes;
			rc = DAL_OK;
		} else if (rc == DAL_ROW) {
			rc = dal_error_set(err, DAL_EMISUSE, "HY010", 0,
			                   "batch: the statement returned a row");
		}
		if (rc != DAL_OK) {
			b->failed_row = r;
			break;
		}
	}
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	s->state = ST_READY;
	if (b->autocommit) {
		if (rc == DAL_OK) {
			if ((rc = sqb_commit(s->conn, err)) != DAL_OK)
				b->failed_row = DAL_BATCH_ROW_UNKNOWN;
		} else {
			dal_error ignored;
			sqb_rollback(s->conn, &ignored);
		}
	}
	if (vals != small)
		free(vals);
	return rc;
}
