/*
 * A small but working backend with only the required slots of struct
 * dal_driver, for the tests of the core's fallbacks (tests/test_fallbacks.c).
 * Every optional slot -- exec, begin/commit/rollback, last_insert_id,
 * server_kind, server_version, cancel, tls_info -- is left NULL, so each
 * call on it takes the fallback documented in <dal/plugin.h>.
 *
 * A file-kind database ("minimal::memory:") that lives in its connection:
 * one table t of up to MIN_ROWS values of any type. It understands (keywords
 * in any case, blanks anywhere, an optional trailing ';'):
 *
 *   SELECT ?[, ?]...            one row echoing the bound values (p1, p2, ...)
 *   SELECT v FROM t             the table's values in order (column v)
 *   INSERT INTO t VALUES (?)    append the bound value (or an integer
 *                               literal: VALUES (42)); a full table fails
 *                               at step with DAL_ECONSTRAINT (23000)
 *   DELETE FROM t               empty it; rows affected: the rows deleted
 *
 * Anything else fails to prepare with DAL_ESYNTAX (42601). It takes no
 * options (an option is refused by dal_options_parse(), naming it).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/plugin.h>

#define MIN_ROWS 4
#define MIN_PARAMS 8

/* A value with its own copy of the bytes of a text or blob (NUL after). */
struct stored {
	dal_value v;
	char *bytes;
};

struct dal_bconn {
	struct stored rows[MIN_ROWS];
	unsigned n;
};

enum kind { K_ECHO, K_SCAN, K_INSERT, K_DELETE };

struct dal_bstmt {
	struct dal_bconn *conn;
	enum kind kind;
	unsigned nparams;
	struct stored params[MIN_PARAMS];
	int64_t literal; /* K_INSERT without a parameter */
	int started;     /* executed since prepare/reset */
	int done;
	unsigned pos;    /* K_ECHO: rows given; K_SCAN: next row */
	int64_t affected;
	char names[MIN_PARAMS][8];
};

static void stored_clear(struct stored *s)
{
	free(s->bytes);
	s->bytes = NULL;
	s->v.type = DAL_TYPE_NULL;
}

/* Copy v into *s (text and blobs by value, NUL-terminated). */
static int stored_set(struct stored *s, const dal_value *v, dal_error *err)
{
	char *copy = NULL;

	if (v->type == DAL_TYPE_TEXT || v->type == DAL_TYPE_BLOB) {
		if (!(copy = malloc(v->u.b.len + 1)))
			return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "minimal: out of memory");
		if (v->u.b.len)
			memcpy(copy, v->u.b.ptr, v->u.b.len);
		copy[v->u.b.len] = '\0';
	}
	stored_clear(s);
	s->v = *v;
	if (copy) {
		s->bytes = copy;
		s->v.u.b.ptr = copy;
	}
	return DAL_OK;
}

/* ---- connections ---- */

static int m_connect(const struct dal_driver *self, const struct dal_connect_params *p,
                     dal_bconn **out, dal_error *err)
{
	struct dal_option_value none[1];
	struct dal_bconn *c;
	int rc;

	(void)self;
	/* No options of its own: any option given is an error naming it. */
	if ((rc = dal_options_parse(p, "minimal", NULL, 0, none, err)) != DAL_OK)
		return rc;
	if (!(c = calloc(1, sizeof *c)))
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "minimal: out of memory");
	*out = c;
	return DAL_OK;
}

static void m_disconnect(dal_bconn *c)
{
	for (unsigned i = 0; i < c->n; i++)
		stored_clear(&c->rows[i]);
	free(c);
}

static int m_ping(dal_bconn *c, dal_error *err)
{
	(void)c;
	(void)err;
	return DAL_OK;
}

/* sql upper-cased without blanks and a trailing ';', into buf. */
static void normalise(const char *sql, size_t len, char *buf, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 1 < size; i++)
		if (!isspace((unsigned char)sql[i]))
			buf[k++] = (char)toupper((unsigned char)sql[i]);
	while (k && buf[k - 1] == ';')
		k--;
	buf[k] = '\0';
}

/* "?,?,?": the number of markers, or 0 if s is not such a list. */
static unsigned marker_list(const char *s)
{
	unsigned n = 0;

	for (;;) {
		if (*s++ != '?')
			return 0;
		n++;
		if (!*s)
			return n;
		if (*s++ != ',')
			return 0;
	}
}

static int m_prepare(dal_bconn *c, const char *sql, size_t len, unsigned nparams,
                     dal_bstmt **out, dal_error *err)
{
	struct dal_bstmt *s;
	char n[256], *end;
	enum kind kind;
	int64_t literal = 0;

	normalise(sql, len, n, sizeof n);
	if (strncmp(n, "SELECT", 6) == 0 && marker_list(n + 6) &&
	    marker_list(n + 6) == nparams && nparams <= MIN_PARAMS)
		kind = K_ECHO;
	else if (strcmp(n, "SELECTVFROMT") == 0 && nparams == 0)
		kind = K_SCAN;
	else if (strcmp(n, "DELETEFROMT") == 0 && nparams == 0)
		kind = K_DELETE;
	else if (strcmp(n, "INSERTINTOTVALUES(?)") == 0 && nparams == 1)
		kind = K_INSERT;
	else if (strncmp(n, "INSERTINTOTVALUES(", 18) == 0 && nparams == 0 &&
	         (errno = 0, literal = strtoll(n + 18, &end, 10), end != n + 18) &&
	         errno == 0 && strcmp(end, ")") == 0)
		kind = K_INSERT;
	else
		return dal_error_set(err, DAL_ESYNTAX, "42601", 1,
		                     "minimal: cannot run '%.200s' (SELECT ?, SELECT v FROM t, "
		                     "INSERT INTO t VALUES (?), DELETE FROM t)", sql);
	if (!(s = calloc(1, sizeof *s)))
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "minimal: out of memory");
	s->conn = c;
	s->kind = kind;
	s->nparams = nparams;
	s->literal = literal;
	for (unsigned i = 0; i < MIN_PARAMS; i++)
		snprintf(s->names[i], sizeof s->names[i], "p%u", i + 1);
	*out = s;
	return DAL_OK;
}

/* ---- statements ---- */

static int m_bind(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err)
{
	if (pos < 1 || pos > s->nparams)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "minimal: no parameter %u", pos);
	return stored_set(&s->params[pos - 1], v, err);
}

static int m_step(dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	int rc;

	if (s->done)
		return DAL_DONE;
	if (!s->started) {
		s->started = 1;
		s->pos = 0;
		s->affected = 0;
		switch (s->kind) {
		case K_INSERT:
			if (c->n == MIN_ROWS)
				return dal_error_set(err, DAL_ECONSTRAINT, "23000", 2,
				                     "minimal: table t is full (%d rows)", MIN_ROWS);
			if (s->nparams) {
				rc = stored_set(&c->rows[c->n], &s->params[0].v, err);
				if (rc != DAL_OK)
					return rc;
			} else {
				c->rows[c->n].v.type = DAL_TYPE_INT64;
				c->rows[c->n].v.u.i = s->literal;
			}
			c->n++;
			s->affected = 1;
			s->done = 1;
			return DAL_DONE;
		case K_DELETE:
			for (unsigned i = 0; i < c->n; i++)
				stored_clear(&c->rows[i]);
			s->affected = c->n;
			c->n = 0;
			s->done = 1;
			return DAL_DONE;
		default:
			break;
		}
	}
	if (s->kind == K_ECHO ? s->pos < 1 : s->pos < c->n) {
		s->pos++;
		return DAL_ROW;
	}
	s->done = 1;
	return DAL_DONE;
}

static int m_reset(dal_bstmt *s, dal_error *err)
{
	(void)err;
	s->started = 0;
	s->done = 0;
	s->pos = 0;
	return DAL_OK;
}

static void m_finalize(dal_bstmt *s)
{
	for (unsigned i = 0; i < MIN_PARAMS; i++)
		stored_clear(&s->params[i]);
	free(s);
}

static unsigned m_column_count(dal_bstmt *s)
{
	return s->kind == K_ECHO ? s->nparams : s->kind == K_SCAN ? 1 : 0;
}

static const char *m_column_name(dal_bstmt *s, unsigned col)
{
	return s->kind == K_SCAN ? "v" : s->names[col];
}

static void m_column_value(dal_bstmt *s, unsigned col, dal_value *out)
{
	if (s->kind == K_ECHO)
		*out = s->params[col].v;
	else
		*out = s->conn->rows[s->pos - 1].v;
}

static int64_t m_rows_affected(dal_bstmt *s)
{
	return s->affected;
}

/* ---- registration ---- */

static const struct dal_driver driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	.connect = m_connect,
	.disconnect = m_disconnect,
	.ping = m_ping,
	.prepare = m_prepare,
	.bind = m_bind,
	.step = m_step,
	.reset = m_reset,
	.finalize = m_finalize,
	.column_count = m_column_count,
	.column_name = m_column_name,
	.column_value = m_column_value,
	.rows_affected = m_rows_affected,
	/* Every optional slot NULL: the core's fallbacks answer. */
};

static const struct dal_plugin registration = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "minimal",
	.version = "1.0.0",
	.description = "test backend with the required slots only",
	.capabilities = DAL_CAP_EMBEDDED,
	.kind = DAL_KIND_FILE,
	.param_style = DAL_PARAM_QMARK,
	.ident_quote = "\"\"",
	.driver = &driver,
};

DAL_PLUGIN_ENTRY(backend_minimal)
{
	return dal_plugin_accept(core_abi, &registration, err);
}
