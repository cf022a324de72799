/*
 * Prepared statements: placeholder rewriting at prepare time, typed binds
 * fanned out to backend positions, stepping, and column getters with type
 * conversion.
 *
 * Fetch-path invariant: after prepare, nothing on the step/column path
 * allocates. Number-to-text conversions write into a scratch area allocated
 * with the statement (ncols * STMT_SCRATCH bytes), so that a getter can
 * never fail for want of memory.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "layer.h"
#include "loader.h"
#include "placeholder.h"
#include "stmtlog.h"

static void link_stmt(dal_conn *c, dal_stmt *s)
{
	s->next = c->stmts;
	if (c->stmts)
		c->stmts->prev = s;
	c->stmts = s;
}

static void unlink_stmt(dal_stmt *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		s->conn->stmts = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
}

/* ---- zombies ------------------------------------------------------------ */

/*
 * A statement whose connection was released (or whose repository closed)
 * keeps its handle until dal_stmt_close(), so that closing in any order is
 * safe. Its slots are these: every call reports the misuse instead of
 * touching a connection that now belongs to someone else.
 */
static int zombie_error(dal_error *err)
{
	return dal_error_set(err, DAL_EMISUSE, "HY010", 0,
	                     "the statement's connection was released (dal_conn_release() "
	                     "or dal_repo_close()); only dal_stmt_close() is allowed");
}

static int z_bind(dal_bstmt *h, unsigned pos, const dal_value *v, dal_error *err)
{
	(void)h, (void)pos, (void)v;
	return zombie_error(err);
}

static int z_call(dal_bstmt *h, dal_error *err)
{
	(void)h;
	return zombie_error(err);
}

static void z_finalize(dal_bstmt *h)
{
	(void)h;
}

static unsigned z_count(dal_bstmt *h)
{
	(void)h;
	return 0;
}

static const char *z_name(dal_bstmt *h, unsigned col)
{
	(void)h, (void)col;
	return NULL;
}

static void z_value(dal_bstmt *h, unsigned col, dal_value *out)
{
	(void)h, (void)col;
	out->type = DAL_TYPE_NULL;
}

static int64_t z_affected(dal_bstmt *h)
{
	(void)h;
	return 0;
}

static int z_batch(dal_bstmt *h, struct dal_batch *b, dal_error *err)
{
	(void)h, (void)b;
	return zombie_error(err);
}

static const struct stmt_ops zombie_ops = {
	.bind = {z_bind, NULL},
	.step = {z_call, NULL},
	.reset = {z_call, NULL},
	.finalize = {z_finalize, NULL},
	.column_count = {z_count, NULL},
	.column_name = {z_name, NULL},
	.column_value = {z_value, NULL},
	.rows_affected = {z_affected, NULL},
	.execute_batch = {z_batch, NULL},
	.bind_static = {z_bind, NULL},
};

/* Finalize s's backend statement and turn s into a zombie. */
static void orphan(dal_stmt *s)
{
	if (s->log)
		stmtlog_end(s); /* an execution cut short by the release */
	s->ops.finalize.fn(s->ops.finalize.h);
	s->ops = zombie_ops;
	s->conn = NULL;
	s->state = STMT_READY; /* so that step and bind reach the zombie slots */
	s->ncols = 0;
}

void stmt_orphan_all(dal_conn *c)
{
	while (c->stmts) {
		dal_stmt *s = c->stmts;
		unlink_stmt(s);
		orphan(s);
	}
}

/* ---- lifecycle ---------------------------------------------------------- */

int dal_stmt_prepare(dal_conn *c, const char *sql, dal_stmt **out)
{
	const struct dal_plugin *reg;
	struct ph_result ph;
	dal_bstmt *h = NULL;
	uint64_t hash = 0, t0;
	dal_stmt *s;
	int rc;

	if (!c)
		return DAL_EMISUSE;
	c->err.code = DAL_OK;
	if (!out)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "dal_stmt_prepare: out is NULL");
	*out = NULL;
	if (!sql)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "dal_stmt_prepare: sql is NULL");
	if (c->repo->cache_size) {
		hash = stmt_sql_hash(sql);
		if ((s = stmt_cache_take(c, sql, hash))) {
			link_stmt(c, s);
			if (c->repo->log_statements && stmtlog_attach(s, sql) != DAL_OK) {
				dal_stmt_close(s);
				return DAL_ENOMEM;
			}
			*out = s;
			return DAL_OK;
		}
	}
	reg = &c->repo->plugin->reg;
	rc = ph_rewrite(sql, reg->param_style, reg->syntax, &ph, &c->err);
	if (rc != DAL_OK)
		return rc;
	s = calloc(1, sizeof *s);
	if (!s) {
		ph_free(&ph);
		return dal_error_set(&c->err, DAL_ENOMEM, "HY001", 0, "out of memory");
	}
	__atomic_store_n(&c->cancel_pending, 0, __ATOMIC_RELAXED);
	t0 = c->repo->log_statements ? clock_ns() : 0;
	rc = c->ops.prepare.fn(c->ops.prepare.h, ph.sql, ph.len, ph.npos, &h, &c->err);
	if (rc != DAL_OK) {
		ph_free(&ph);
		free(s);
		rc = conn_canceled(c, rc, &c->err);
		if (c->repo->log_statements)
			stmtlog_exec(c, sql, rc, 0, t0);
		if (code_loses_connection(rc))
			c->broken = 1;
		return rc;
	}
	s->conn = c;
	s->nparams = ph.nparams;
	s->npos = ph.npos;
	s->pos_param = ph.pos_param;
	s->names = ph.names;
	ph.pos_param = NULL;
	ph.names = NULL;
	ph.nparams = 0;
	ph_free(&ph);
	stmt_ops_resolve(&s->ops, c->ops.prepare.d, h);
	s->ncols = s->ops.column_count.fn(s->ops.column_count.h);
	if (s->ncols && !(s->scratch = malloc((size_t)s->ncols * STMT_SCRATCH))) {
		s->ops.finalize.fn(s->ops.finalize.h);
		free(s->pos_param);
		if (s->names)
			for (unsigned i = 0; i < s->nparams; i++)
				free(s->names[i]);
		free(s->names);
		free(s);
		return dal_error_set(&c->err, DAL_ENOMEM, "HY001", 0, "out of memory");
	}
	s->state = STMT_READY;
	s->ddl = stmt_sql_is_ddl(sql, 0);
	/* Kept for the cache; without memory for the key it is simply not
	 * cached. */
	if (c->repo->cache_size && !s->ddl && (s->sql = strdup(sql))) {
		s->sql_hash = hash;
		s->epoch = __atomic_load_n(&c->repo->schema_epoch, __ATOMIC_RELAXED);
	}
	dal_error_clear(&s->err);
	link_stmt(c, s);
	if (c->repo->log_statements && stmtlog_attach(s, sql) != DAL_OK) {
		dal_stmt_close(s);
		return DAL_ENOMEM;
	}
	*out = s;
	return DAL_OK;
}

void dal_stmt_close(dal_stmt *s)
{
	if (!s)
		return;
	if (s->log) {
		stmtlog_end(s);
		stmtlog_free(s);
	}
	if (s->conn) {
		unlink_stmt(s);
		if (stmt_cache_put(s))
			return;
		s->ops.finalize.fn(s->ops.finalize.h);
	}
	stmt_free(s);
}

void stmt_free(dal_stmt *s)
{
	if (s->names)
		for (unsigned i = 0; i < s->nparams; i++)
			free(s->names[i]);
	free(s->names);
	free(s->pos_param);
	free(s->scratch);
	free(s->sql);
	free(s);
}

const dal_error *dal_stmt_error(const dal_stmt *s)
{
	static const dal_error none = {DAL_EMISUSE, "HY000", 0, "statement handle is NULL"};
	return s ? &s->err : &none;
}

unsigned dal_stmt_param_count(const dal_stmt *s)
{
	return s ? s->nparams : 0;
}

unsigned dal_stmt_param_index(const dal_stmt *s, const char *name)
{
	if (!s || !name)
		return 0;
	if (*name == ':')
		name++;
	for (unsigned i = 0; i < s->nparams; i++)
		if (s->names[i] && strcmp(s->names[i], name) == 0)
			return i + 1;
	return 0;
}

/* ---- binding ------------------------------------------------------------ */

static int bind_value(dal_stmt *s, unsigned idx, const dal_value *v);

static inline __attribute__((always_inline)) int
bind_with(dal_stmt *s, unsigned idx, const dal_value *v,
          int (*fn)(dal_bstmt *, unsigned, const dal_value *, dal_error *), dal_bstmt *h)
{
	int rc = DAL_OK;

	s->err.code = DAL_OK;
	if (idx < 1 || idx > s->nparams)
		return dal_error_set(&s->err, DAL_EMISUSE, "07009", 0,
		                     "parameter index %u out of range: the statement has %u "
		                     "parameter%s (indexes start at 1)",
		                     idx, s->nparams, s->nparams == 1 ? "" : "s");
	/* Binding while rows are still unread would throw them away without
	 * a word: refused. Binding after the statement finished (DONE, or a
	 * failed step) starts the next execution, as in the usual
	 * bind-step-bind-step loop. */
	if (s->state == STMT_ROW)
		return dal_error_set(&s->err, DAL_EMISUSE, "HY010", 0,
		                     "bind: parameter %u: the statement has unread rows; "
		                     "read them or call dal_stmt_reset() first", idx);
	if (s->state != STMT_READY) {
		if ((rc = s->ops.reset.fn(s->ops.reset.h, &s->err)) != DAL_OK)
			return rc;
		s->state = STMT_READY;
	}
	if (s->log)
		stmtlog_bind(s, idx, v);
	if (!s->pos_param)
		return fn(h, idx, v, &s->err);
	for (unsigned p = 0; p < s->npos && rc == DAL_OK; p++)
		if (s->pos_param[p] == idx)
			rc = fn(h, p + 1, v, &s->err);
	return rc;
}

int dal_stmt_bind_null(dal_stmt *s, unsigned idx)
{
	dal_value v = {.type = DAL_TYPE_NULL};
	return bind_value(s, idx, &v);
}

int dal_stmt_bind_int64(dal_stmt *s, unsigned idx, int64_t x)
{
	dal_value v = {.type = DAL_TYPE_INT64, .u.i = x};
	return bind_value(s, idx, &v);
}

int dal_stmt_bind_double(dal_stmt *s, unsigned idx, double x)
{
	dal_value v = {.type = DAL_TYPE_DOUBLE, .u.d = x};
	return bind_value(s, idx, &v);
}

int dal_stmt_bind_bool(dal_stmt *s, unsigned idx, int x)
{
	dal_value v = {.type = DAL_TYPE_BOOL, .u.i = x != 0};
	return bind_value(s, idx, &v);
}

/* Zero-copy binds: the backend's bind_static when it has one (then the
 * caller's lifetime rule in dal.h lets it keep the pointer), else the
 * copying bind. Zombies have both slots. */
static int bind_static(dal_stmt *s, unsigned idx, const dal_value *v)
{
	if (!s)
		return DAL_EMISUSE;
	if (s->ops.bind_static.fn)
		return bind_with(s, idx, v, s->ops.bind_static.fn, s->ops.bind_static.h);
	return bind_value(s, idx, v);
}

/* Text and blob values, bound by copy or (zero_copy) by bind_static(). A
 * NULL text binds NULL, as does a NULL blob with a nonzero len (with len 0
 * it is the empty blob). */
static inline __attribute__((always_inline)) int
bind_text_as(dal_stmt *s, unsigned idx, const char *str, ptrdiff_t len, int zero_copy)
{
	dal_value v = {.type = DAL_TYPE_TEXT};

	if (!str)
		return dal_stmt_bind_null(s, idx);
	v.u.b.ptr = str;
	v.u.b.len = len < 0 ? strlen(str) : (size_t)len;
	return zero_copy ? bind_static(s, idx, &v) : bind_value(s, idx, &v);
}

static inline __attribute__((always_inline)) int
bind_blob_as(dal_stmt *s, unsigned idx, const void *p, size_t len, int zero_copy)
{
	dal_value v = {.type = DAL_TYPE_BLOB};

	if (!p && len)
		return dal_stmt_bind_null(s, idx);
	v.u.b.ptr = p ? p : "";
	v.u.b.len = len;
	return zero_copy ? bind_static(s, idx, &v) : bind_value(s, idx, &v);
}

int dal_stmt_bind_text(dal_stmt *s, unsigned idx, const char *str, ptrdiff_t len)
{
	return bind_text_as(s, idx, str, len, 0);
}

int dal_stmt_bind_blob(dal_stmt *s, unsigned idx, const void *p, size_t len)
{
	return bind_blob_as(s, idx, p, len, 0);
}

int dal_stmt_bind_text_static(dal_stmt *s, unsigned idx, const char *str, ptrdiff_t len)
{
	return bind_text_as(s, idx, str, len, 1);
}

int dal_stmt_bind_blob_static(dal_stmt *s, unsigned idx, const void *p, size_t len)
{
	return bind_blob_as(s, idx, p, len, 1);
}

static int bind_value(dal_stmt *s, unsigned idx, const dal_value *v)
{
	if (!s)
		return DAL_EMISUSE;
	return bind_with(s, idx, v, s->ops.bind.fn, s->ops.bind.h);
}

static unsigned named_index(dal_stmt *s, const char *name)
{
	unsigned i = dal_stmt_param_index(s, name);

	if (!i && s)
		dal_error_set(&s->err, DAL_EMISUSE, "07009", 0,
		              "the statement has no parameter named ':%s'",
		              name ? (*name == ':' ? name + 1 : name) : "(null)");
	return i;
}

int dal_stmt_bind_named_int64(dal_stmt *s, const char *name, int64_t v)
{
	unsigned i = named_index(s, name);
	return i ? dal_stmt_bind_int64(s, i, v) : DAL_EMISUSE;
}

int dal_stmt_bind_named_text(dal_stmt *s, const char *name, const char *str, ptrdiff_t len)
{
	unsigned i = named_index(s, name);
	return i ? dal_stmt_bind_text(s, i, str, len) : DAL_EMISUSE;
}

/* ---- execution ---------------------------------------------------------- */

int dal_stmt_step(dal_stmt *s)
{
	uint64_t t0 = 0;
	int rc;

	if (!s)
		return DAL_EMISUSE;
	if (s->state >= STMT_DONE) {
		if (s->state == STMT_DONE)
			return DAL_DONE;
		return dal_error_set(&s->err, DAL_EMISUSE, "HY010", 0,
		                     "the statement's last step failed; reset it (or bind "
		                     "again) before stepping again");
	}
	s->err.code = DAL_OK;
	/* A cancel asked before this execution started is not for it. */
	if (s->state == STMT_READY && s->conn) {
		__atomic_store_n(&s->conn->cancel_pending, 0, __ATOMIC_RELAXED);
		s->batched = 0;
	}
	if (s->log)
		t0 = clock_ns();
	rc = s->ops.step.fn(s->ops.step.h, &s->err);
	if (s->log)
		stmtlog_step(s, rc, t0);
	if (rc == DAL_ROW) {
		s->state = STMT_ROW;
		return rc;
	}
	if (__builtin_expect(s->ddl, 0) && s->conn)
		stmt_schema_changed(s->conn->repo);
	if (rc == DAL_DONE) {
		s->state = STMT_DONE;
		return rc;
	}
	s->state = STMT_FAILED;
	/* A statement that failed for something other than its data (one a
	 * schema change made stale, say) is not kept for reuse. */
	if (s->sql && rc != DAL_ECONSTRAINT && rc != DAL_EDATA && rc != DAL_EBUSY) {
		free(s->sql);
		s->sql = NULL;
	}
	if (s->conn) {
		rc = conn_canceled(s->conn, rc, &s->err);
		/* The server is gone: the connection will not be pooled again,
		 * and the statement is not re-run (it may have been a write). */
		if (code_loses_connection(rc))
			s->conn->broken = 1;
		/* The connection's last error covers its statements too (the
		 * transaction runner reads it). */
		error_copy(&s->conn->err, &s->err);
	}
	return rc;
}

int dal_stmt_reset(dal_stmt *s)
{
	int rc;

	if (!s)
		return DAL_EMISUSE;
	s->err.code = DAL_OK;
	if (s->log)
		stmtlog_end(s);
	rc = s->ops.reset.fn(s->ops.reset.h, &s->err);
	s->state = STMT_READY;
	return rc;
}

int64_t dal_stmt_rows_affected(const dal_stmt *s)
{
	if (!s)
		return 0;
	if (s->batched)
		return s->batch_affected;
	return s->ops.rows_affected.fn(s->ops.rows_affected.h);
}

unsigned dal_stmt_column_count(const dal_stmt *s)
{
	return s ? s->ncols : 0;
}

const char *dal_stmt_column_name(const dal_stmt *s, unsigned col)
{
	if (!s || col >= s->ncols)
		return NULL;
	return s->ops.column_name.fn(s->ops.column_name.h, col);
}

/* ---- column getters ----------------------------------------------------- */

/* Fetch column col of the current row; NULL type when there is none. */
static inline void get(dal_stmt *s, unsigned col, dal_value *v)
{
	if (!s || s->state != STMT_ROW || col >= s->ncols) {
		v->type = DAL_TYPE_NULL;
		return;
	}
	s->ops.column_value.fn(s->ops.column_value.h, col, v);
}

dal_type dal_stmt_column_type(dal_stmt *s, unsigned col)
{
	dal_value v;
	get(s, col, &v);
	return v.type;
}

int dal_stmt_column_is_null(dal_stmt *s, unsigned col)
{
	return dal_stmt_column_type(s, col) == DAL_TYPE_NULL;
}

int64_t dal_stmt_column_int64(dal_stmt *s, unsigned col)
{
	dal_value v;

	get(s, col, &v);
	switch (v.type) {
	case DAL_TYPE_INT64:
	case DAL_TYPE_BOOL:
		return v.u.i;
	case DAL_TYPE_DOUBLE:
		return (int64_t)v.u.d;
	case DAL_TYPE_TEXT:
		return strtoll(v.u.b.ptr, NULL, 10);
	default:
		return 0;
	}
}

double dal_stmt_column_double(dal_stmt *s, unsigned col)
{
	dal_value v;

	get(s, col, &v);
	switch (v.type) {
	case DAL_TYPE_DOUBLE:
		return v.u.d;
	case DAL_TYPE_INT64:
	case DAL_TYPE_BOOL:
		return (double)v.u.i;
	case DAL_TYPE_TEXT:
		return strtod(v.u.b.ptr, NULL);
	default:
		return 0.0;
	}
}

int dal_stmt_column_bool(dal_stmt *s, unsigned col)
{
	dal_value v;

	get(s, col, &v);
	switch (v.type) {
	case DAL_TYPE_INT64:
	case DAL_TYPE_BOOL:
		return v.u.i != 0;
	case DAL_TYPE_DOUBLE:
		return v.u.d != 0.0;
	case DAL_TYPE_TEXT: {
		const char *t = v.u.b.ptr;
		return t[0] == 't' || t[0] == 'T' || t[0] == 'y' || t[0] == 'Y' ||
		       (t[0] == 'o' && t[1] == 'n') || strtoll(t, NULL, 10) != 0;
	}
	default:
		return 0;
	}
}

static char *scratch(dal_stmt *s, unsigned col)
{
	return s->scratch + (size_t)col * STMT_SCRATCH;
}

const char *dal_stmt_column_text(dal_stmt *s, unsigned col, size_t *len)
{
	dal_value v;
	char *buf;
	int n;

	get(s, col, &v);
	switch (v.type) {
	case DAL_TYPE_TEXT:
	case DAL_TYPE_BLOB:
		if (len)
			*len = v.u.b.len;
		/* Backends NUL-terminate text; a blob is returned as its bytes. */
		return v.u.b.ptr;
	case DAL_TYPE_INT64:
	case DAL_TYPE_DOUBLE:
	case DAL_TYPE_BOOL:
		buf = scratch(s, col);
		if (v.type == DAL_TYPE_DOUBLE)
			n = snprintf(buf, STMT_SCRATCH, "%.17g", v.u.d);
		else if (v.type == DAL_TYPE_BOOL)
			n = snprintf(buf, STMT_SCRATCH, "%s", v.u.i ? "true" : "false");
		else
			n = snprintf(buf, STMT_SCRATCH, "%" PRId64, v.u.i);
		if (len)
			*len = (size_t)n;
		return buf;
	default:
		break;
	}
	if (len)
		*len = 0;
	return NULL;
}

const void *dal_stmt_column_blob(dal_stmt *s, unsigned col, size_t *len)
{
	dal_value v;

	get(s, col, &v);
	if (v.type == DAL_TYPE_TEXT || v.type == DAL_TYPE_BLOB) {
		if (len)
			*len = v.u.b.len;
		return v.u.b.len ? v.u.b.ptr : NULL;
	}
	if (v.type == DAL_TYPE_NULL) {
		if (len)
			*len = 0;
		return NULL;
	}
	return dal_stmt_column_text(s, col, len);
}
