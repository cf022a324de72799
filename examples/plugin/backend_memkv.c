/*
 * backend_memkv: an in-memory key/value store as a libdal backend, built the
 * way a third party builds one: out of tree, from the installed SDK header
 * <dal/plugin.h> alone. It is the template for writing a backend: connection
 * and statement structs, errors with a category and a SQLSTATE, options
 * declared in a table and checked by the SDK, a statement state machine, a
 * fetch path that does not allocate, and the registration at the end.
 * README.md next to it says how to install and use it; to build:
 *
 *   cc -shared -fPIC -fvisibility=hidden -o backend_memkv.so backend_memkv.c \
 *      $(pkg-config --cflags --libs libdal)
 *
 * Type "memkv", alias "kv" (both also URL schemes), kind DAL_KIND_FILE.
 * Storage is per connection: empty at connect, gone at disconnect. The path
 * (memkv:///NAME) only names the store in messages; connections never share
 * data, so there is no global mutable state (the core may use different
 * connections from different threads at once).
 *
 * The SQL subset; keywords in any case, ARG is a ? parameter or a 'string'
 * ('' inside is a quote), the comma and one trailing ';' are optional:
 *   SET key, value   (or PUT) store the pair: 1 row affected
 *   GET key          one row (key, value), or none
 *   DEL key          1 row affected, or 0 if there was no such key
 *   COUNT            one row (count)
 * A key is text; a value keeps the type it was bound with. Options (INI
 * section [repo.memkv], or URL ?key=value) are declared in option_specs.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dal/plugin.h>

#define HAS_BYTES(v) ((v)->type == DAL_TYPE_TEXT || (v)->type == DAL_TYPE_BLOB)

/* Values owned here: TEXT and BLOB bytes malloc'd, with a NUL after them. */
struct entry {
	dal_value key, val; /* key: TEXT, as first written */
};

struct dal_bconn {
	char *name; /* the path, for messages */
	long long max_keys;
	int case_fold;
	struct entry *e;
	size_t n, cap;
};

enum op { OP_SET, OP_GET, OP_DEL, OP_COUNT };
static const struct {
	const char *word;
	enum op op;
	unsigned nargs;
} statements[] = {
	{"SET", OP_SET, 2}, {"PUT", OP_SET, 2}, {"GET", OP_GET, 1},
	{"DEL", OP_DEL, 1}, {"COUNT", OP_COUNT, 0},
};
#define N_STATEMENTS (sizeof statements / sizeof statements[0])

struct dal_bstmt {
	struct dal_bconn *conn;
	enum op op;
	enum { ST_READY, ST_ROW, ST_DONE } state;
	unsigned nparams;
	unsigned param[2]; /* argument a: its 1-based ? number, or 0: lit[a] */
	dal_value lit[2];  /* owned */
	dal_value *params; /* [nparams], owned copies; NULL until bound */
	int64_t affected;
	/* The current row, copied out of the store at step so that it stays
	 * valid until the next step even if another statement changes the
	 * store. buf only grows: no allocation per row once rows fit. */
	dal_value row[2];
	char *buf;
	size_t bufcap;
};

static int nomem(dal_error *err)
{
	return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "memkv: out of memory");
}

/* *dst = v, owning a copy of its bytes. */
static int value_copy(dal_value *dst, const dal_value *v, dal_error *err)
{
	char *p;

	*dst = *v;
	if (!HAS_BYTES(v))
		return DAL_OK;
	if (!(p = malloc(v->u.b.len + 1)))
		return dst->type = DAL_TYPE_NULL, nomem(err);
	if (v->u.b.len)
		memcpy(p, v->u.b.ptr, v->u.b.len);
	p[v->u.b.len] = '\0';
	dst->u.b.ptr = p;
	return DAL_OK;
}

static void value_free(dal_value *v)
{
	if (HAS_BYTES(v))
		free((void *)v->u.b.ptr);
	v->type = DAL_TYPE_NULL;
}

/* ---- connections -------------------------------------------------------- */

enum { O_MAX_KEYS, O_CASE_FOLD, O__COUNT };
static const struct dal_option_spec option_specs[O__COUNT] = {
	[O_MAX_KEYS] = {"max_keys", DAL_OPTION_INT, "1000", NULL, 1, 1000000,
	                "most keys a store holds; a SET of one more is DAL_EDATA"},
	[O_CASE_FOLD] = {"case_fold", DAL_OPTION_BOOL, "off", NULL, 0, 0,
	                 "compare keys ignoring ASCII case"},
};

static int memkv_connect(const struct dal_driver *self, const struct dal_connect_params *p,
                         dal_bconn **out, dal_error *err)
{
	struct dal_option_value v[O__COUNT];
	struct dal_bconn *c;
	int rc;

	(void)self;
	/* An unknown key or a bad value: DAL_ECONFIG naming the key and origin. */
	if ((rc = dal_options_parse(p, "memkv", option_specs, O__COUNT, v, err)) != DAL_OK)
		return rc;
	if (!(c = calloc(1, sizeof *c)) || !(c->name = strdup(p->path ? p->path : "?"))) {
		free(c);
		return nomem(err);
	}
	c->max_keys = v[O_MAX_KEYS].i;
	c->case_fold = (int)v[O_CASE_FOLD].i;
	*out = c;
	return DAL_OK;
}

static void memkv_disconnect(dal_bconn *c)
{
	for (size_t i = 0; i < c->n; i++) {
		value_free(&c->e[i].key);
		value_free(&c->e[i].val);
	}
	free(c->e);
	free(c->name);
	free(c);
}

static int memkv_ping(dal_bconn *c, dal_error *err)
{
	(void)c, (void)err;
	return DAL_OK; /* nothing to reach */
}

static int equal_fold(const char *a, const char *b, size_t len)
{
	while (len && tolower((unsigned char)*a) == tolower((unsigned char)*b))
		a++, b++, len--;
	return len == 0;
}

/* The index of key k (TEXT), or c->n. A linear search: it is an example. */
static size_t find(const struct dal_bconn *c, const dal_value *k)
{
	size_t i, len = k->u.b.len;

	for (i = 0; i < c->n; i++) {
		const char *a = c->e[i].key.u.b.ptr;

		if (c->e[i].key.u.b.len == len &&
		    (c->case_fold ? equal_fold(a, k->u.b.ptr, len) : !memcmp(a, k->u.b.ptr, len)))
			break;
	}
	return i;
}

/* ---- statements: prepare and bind --------------------------------------- */

static void memkv_finalize(dal_bstmt *s)
{
	value_free(&s->lit[0]);
	value_free(&s->lit[1]);
	for (unsigned i = 0; i < s->nparams; i++)
		value_free(&s->params[i]);
	free(s->params);
	free(s->buf);
	free(s);
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/* Parse sql[0..end) into s; the core has already turned :name into ?. */
static int parse(struct dal_bstmt *s, const char *sql, const char *end, dal_error *err)
{
	const char *p = skip_space(sql, end), *w = p;
	unsigned nq = 0, i, a;
	char *q;

	while (p < end && isalpha((unsigned char)*p))
		p++;
	for (i = 0; i < N_STATEMENTS; i++)
		if (strlen(statements[i].word) == (size_t)(p - w) &&
		    strncasecmp(statements[i].word, w, (size_t)(p - w)) == 0)
			break;
	if (p == w || i == N_STATEMENTS)
		return dal_error_set(err, DAL_ESYNTAX, "42601", 0,
		                     "memkv: unknown statement '%.*s' (expected SET, PUT, GET, "
		                     "DEL or COUNT)", (int)(p - w < 32 ? p - w : 32), w);
	s->op = statements[i].op;
	for (a = 0; a < statements[i].nargs; a++) {
		p = skip_space(p, end);
		if (a && p < end && *p == ',')
			p = skip_space(p + 1, end);
		if (p < end && *p == '?') {
			s->param[a] = ++nq;
			p++;
		} else if (p < end && *p == '\'') {
			if (!(q = malloc((size_t)(end - p))))
				return nomem(err);
			s->lit[a].type = DAL_TYPE_TEXT; /* owned by s from here on */
			s->lit[a].u.b.ptr = q;
			for (p++; p < end && (*p != '\'' || (p + 1 < end && p[1] == '\'')); p++) {
				if (*p == '\'')
					p++; /* the first of '' */
				*q++ = *p;
			}
			*q = '\0';
			s->lit[a].u.b.len = (size_t)(q - (const char *)s->lit[a].u.b.ptr);
			if (p++ == end)
				return dal_error_set(err, DAL_ESYNTAX, "42601", 0,
				                     "memkv: unterminated string in %s", statements[i].word);
		} else {
			return dal_error_set(err, DAL_ESYNTAX, "42601", 0,
			                     "memkv: %s takes %u argument(s), each ? or 'text'; "
			                     "argument %u is missing or bad at offset %zu",
			                     statements[i].word, statements[i].nargs, a + 1,
			                     (size_t)(p - sql));
		}
	}
	p = skip_space(p, end);
	if (p < end && *p == ';')
		p = skip_space(p + 1, end);
	if (p < end)
		return dal_error_set(err, DAL_ESYNTAX, "42601", 0,
		                     "memkv: unexpected '%.20s' after %s at offset %zu", p,
		                     statements[i].word, (size_t)(p - sql));
	if (nq != s->nparams) /* only if the registration's syntax flags are wrong */
		return dal_error_set(err, DAL_EMISUSE, "07001", 0,
		                     "memkv: %s has %u parameter(s), the core counted %u",
		                     statements[i].word, nq, s->nparams);
	return DAL_OK;
}

static int memkv_prepare(dal_bconn *c, const char *sql, size_t len, unsigned nparams,
                         dal_bstmt **out, dal_error *err)
{
	struct dal_bstmt *s = calloc(1, sizeof *s);
	int rc;

	if (!s || (nparams && !(s->params = calloc(nparams, sizeof *s->params)))) {
		free(s);
		return nomem(err);
	}
	s->conn = c;
	s->nparams = nparams;
	if ((rc = parse(s, sql, sql + len, err)) != DAL_OK) {
		memkv_finalize(s);
		return rc;
	}
	*out = s;
	return DAL_OK;
}

/* The core has checked 1 <= pos <= nparams. On failure the parameter is NULL. */
static int memkv_bind(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err)
{
	value_free(&s->params[pos - 1]);
	return value_copy(&s->params[pos - 1], v, err);
}

/* ---- statements: execution and rows ------------------------------------- */

static const dal_value *arg(const struct dal_bstmt *s, unsigned a)
{
	return s->param[a] ? &s->params[s->param[a] - 1] : &s->lit[a];
}

/* Make entry i the current row: key and value bytes (each with its NUL)
 * copied into buf. */
static int row_entry(struct dal_bstmt *s, size_t i, dal_error *err)
{
	const struct entry *e = &s->conn->e[i];
	size_t klen = e->key.u.b.len + 1, vlen = HAS_BYTES(&e->val) ? e->val.u.b.len + 1 : 0;
	char *p;

	if (klen + vlen > s->bufcap) {
		if (!(p = realloc(s->buf, 2 * (klen + vlen))))
			return nomem(err);
		s->buf = p;
		s->bufcap = 2 * (klen + vlen);
	}
	s->row[0] = e->key;
	s->row[1] = e->val;
	s->row[0].u.b.ptr = memcpy(s->buf, e->key.u.b.ptr, klen);
	if (vlen)
		s->row[1].u.b.ptr = memcpy(s->buf + klen, e->val.u.b.ptr, vlen);
	return DAL_ROW;
}

static int execute(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	dal_value key = *arg(s, 0), val;
	size_t i;
	int rc;

	if (s->op == OP_COUNT) {
		s->row[0].type = DAL_TYPE_INT64;
		s->row[0].u.i = (int64_t)c->n;
		return DAL_ROW;
	}
	if (key.type != DAL_TYPE_TEXT)
		return dal_error_set(err, DAL_EDATA, "22023", 0,
		                     "memkv '%s': a key must be text", c->name);
	i = find(c, &key);
	if (s->op == OP_GET)
		return i < c->n ? row_entry(s, i, err) : DAL_DONE;
	if (s->op == OP_DEL) {
		if (i < c->n) {
			value_free(&c->e[i].key);
			value_free(&c->e[i].val);
			memmove(&c->e[i], &c->e[i + 1], (c->n - i - 1) * sizeof *c->e);
			c->n--;
			s->affected = 1;
		}
		return DAL_DONE;
	}
	/* SET: whatever can fail comes before the store changes. */
	if (i == c->n && (long long)c->n >= c->max_keys)
		return dal_error_set(err, DAL_EDATA, "54000", 0,
		                     "memkv '%s': the store is full (max_keys = %lld)", c->name,
		                     c->max_keys);
	if (i == c->n && c->n == c->cap) {
		struct entry *e = realloc(c->e, (c->cap ? 2 * c->cap : 16) * sizeof *e);
		if (!e)
			return nomem(err);
		c->e = e;
		c->cap = c->cap ? 2 * c->cap : 16;
	}
	if ((rc = value_copy(&val, arg(s, 1), err)) != DAL_OK)
		return rc;
	if (i == c->n && (rc = value_copy(&c->e[i].key, &key, err)) != DAL_OK) {
		value_free(&val);
		return rc;
	}
	if (i == c->n)
		c->n++;
	else
		value_free(&c->e[i].val);
	c->e[i].val = val;
	s->affected = 1;
	return DAL_DONE;
}

static int memkv_step(dal_bstmt *s, dal_error *err)
{
	int rc;

	if (s->state != ST_READY) /* at most one row: then done */
		return s->state = ST_DONE, DAL_DONE;
	s->affected = 0;
	rc = execute(s, err);
	/* After an error too, nothing more until reset (the core stops too). */
	s->state = rc == DAL_ROW ? ST_ROW : ST_DONE;
	return rc;
}

static int memkv_reset(dal_bstmt *s, dal_error *err)
{
	(void)err;
	s->state = ST_READY; /* keeps the bindings */
	return DAL_OK;
}

static unsigned memkv_column_count(dal_bstmt *s)
{
	return s->op == OP_COUNT ? 1 : s->op == OP_GET ? 2 : 0;
}

static const char *memkv_column_name(dal_bstmt *s, unsigned col)
{
	if (col >= memkv_column_count(s))
		return NULL;
	return s->op == OP_COUNT ? "count" : col == 0 ? "key" : "value";
}

/* Called only after DAL_ROW, with col < column_count: no allocation. */
static void memkv_column_value(dal_bstmt *s, unsigned col, dal_value *out)
{
	*out = s->row[col];
}

static int64_t memkv_rows_affected(dal_bstmt *s)
{
	return s->affected;
}

/* ---- registration ------------------------------------------------------- */

static const char *const memkv_aliases[] = {"kv", NULL};

static const struct dal_driver memkv_driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	.connect = memkv_connect,
	.disconnect = memkv_disconnect,
	.ping = memkv_ping,
	.prepare = memkv_prepare, /* no exec slot: the core runs prepare + step */
	.bind = memkv_bind,
	.step = memkv_step,
	.reset = memkv_reset,
	.finalize = memkv_finalize,
	.column_count = memkv_column_count,
	.column_name = memkv_column_name,
	.column_value = memkv_column_value,
	.rows_affected = memkv_rows_affected,
};

static const struct dal_plugin memkv_registration = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "memkv",
	.aliases = memkv_aliases,
	.version = "1.0.0",
	.description = "in-memory key/value store (example third-party backend)",
	.capabilities = DAL_CAP_EMBEDDED,
	.kind = DAL_KIND_FILE,
	.default_path = "memkv", /* a name only: nothing is written to disk */
	.param_style = DAL_PARAM_QMARK,
	.syntax = 0, /* '...' strings, "..." identifiers and comments only */
	.options = option_specs,
	.n_options = O__COUNT,
	.driver = &memkv_driver,
};

/* The one exported symbol: backend_memkv_LTX_dal_plugin_init. */
DAL_PLUGIN_ENTRY(backend_memkv)
{
	return dal_plugin_accept(core_abi, &memkv_registration, err);
}
