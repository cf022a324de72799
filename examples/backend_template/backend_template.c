/*
 * backend_template: a complete, minimal libdal backend to copy when writing
 * your own. It is built against the installed SDK only (<dal/plugin.h>,
 * `pkg-config libdal-plugin`) and passes dal-conformance on the
 * capabilities it declares.
 *
 * Its database engine is SQLite (libsqlite3): the part you replace is the
 * calls into the client library; the shape stays. What it shows:
 *
 *   - the registration: type "template" (alias "tmpl", both URL schemes), a
 *     file-kind backend (template:///path/to/file.db), its capabilities,
 *     its SQL dialect, the dialect's SQL facts (<dal/dialect.h>: what
 *     migrations, db-reset and copy need) and its options;
 *   - the twelve required slots of struct dal_driver, begin/commit/rollback
 *     (which DAL_CAP_TRANSACTIONS promises), exec (optional: without it the
 *     core runs dal_conn_exec() through prepare/step, and telemetry counts
 *     it as prepare and execute, not as exec) and server_version;
 *   - options parsed with the kit's dal_options_parse(), errors reported
 *     with dal_error_set() and a SQLSTATE whose category the kit decides
 *     (dal_sqlstate_category());
 *   - no allocation on the fetch path: column_value() hands out pointers
 *     into the engine's own row buffer.
 *
 * What it leaves out on purpose, each an optional slot that stays NULL and
 * a capability left undeclared (dal-conformance then reports those cases
 * "not applicable"): several statements in one exec
 * (DAL_CAP_MULTI_STATEMENT), last_insert_id (DAL_CAP_LAST_INSERT_ID),
 * cancel (DAL_CAP_CANCEL), tls_info (DAL_CAP_TLS), server_kind (the
 * plugin's name is used).
 *
 * docs/writing-a-backend.md walks through this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include <dal/plugin.h>

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/* Keys of [<repo>.template] in the INI file, or ?key=value in the URL. */
enum { O_BUSY_TIMEOUT, O_FOREIGN_KEYS, O__COUNT };

static const struct dal_option_spec option_specs[O__COUNT] = {
	[O_BUSY_TIMEOUT] = {"busy_timeout", DAL_OPTION_INT, "5000", NULL, 0, 3600000,
	                    "milliseconds to wait for a lock held by another connection"},
	[O_FOREIGN_KEYS] = {"foreign_keys", DAL_OPTION_BOOL, "on", NULL, 0, 0,
	                    "enforce foreign keys"},
};

/* ------------------------------------------------------------------------ */
/* Objects                                                                   */
/* ------------------------------------------------------------------------ */

/* A connection: used by one thread at a time (the core guarantees it). */
struct dal_bconn {
	sqlite3 *db;
};

/* A statement of one connection. */
struct dal_bstmt {
	struct dal_bconn *conn;
	sqlite3_stmt *st;
	unsigned nparams, ncols;
	char **names;       /* copied at prepare: valid until finalize */
	uint64_t boolcols;  /* columns declared BOOLEAN (the first 64) */
	int64_t changes;    /* rows affected by the last execution */
	int pending_reset;  /* stepped to DONE or an error: reset before binding */
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Report the engine's last error on db as a libdal error: a SQLSTATE, from
 * which the kit derives the portable category (DAL_ECONSTRAINT for class
 * 23, DAL_ESYNTAX for 42, DAL_ENOTFOUND for 42S02...), the engine's own
 * code as the native code, and its message prefixed with what was being
 * done. A real client library usually hands you the SQLSTATE directly.
 */
static int report(dal_error *err, sqlite3 *db, int rc, const char *what)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	const char *state = "HY000";
	int code;

	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		state = rc == SQLITE_CONSTRAINT_NOTNULL      ? "23502"
		        : rc == SQLITE_CONSTRAINT_FOREIGNKEY ? "23503"
		        : rc == SQLITE_CONSTRAINT_UNIQUE ||
		                  rc == SQLITE_CONSTRAINT_PRIMARYKEY
		                ? "23505"
		                : "23000";
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		state = "40001";
		break;
	case SQLITE_NOMEM:
		state = "HY001";
		break;
	case SQLITE_CANTOPEN:
		state = "08001";
		break;
	case SQLITE_READONLY:
		state = "25006";
		break;
	case SQLITE_TOOBIG:
	case SQLITE_MISMATCH:
		state = "22000";
		break;
	case SQLITE_ERROR:
		/* SQLite has no SQLSTATE: its messages are stable enough. */
		if (strncmp(msg, "no such table", 13) == 0)
			state = "42S02";
		else if (strncmp(msg, "no such column", 14) == 0)
			state = "42S22";
		else if (strstr(msg, "syntax error") || strstr(msg, "incomplete input"))
			state = "42601";
		break;
	}
	code = dal_sqlstate_category(state);
	return dal_error_set(err, code, state, rc, "%s: %s", what, msg);
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

static int tp_connect(const struct dal_driver *self, const struct dal_connect_params *p,
                      dal_bconn **out, dal_error *err)
{
	struct dal_option_value opt[O__COUNT];
	struct dal_bconn *c;
	char sql[64];
	int rc;

	(void)self; /* a plugin keeps no per-repository state in its table */
	/* Unknown keys and bad values are DAL_ECONFIG, naming their origin. */
	if ((rc = dal_options_parse(p, "template", option_specs, O__COUNT, opt, err)) != DAL_OK)
		return rc;
	/* The core gives a path for a file-kind backend: the URL's, the INI
	 * file's, or the registration's default_path, made absolute. */
	if (!p->path)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0, "%s: no database file",
		                     p->repo_name);
	if (!(c = calloc(1, sizeof *c)))
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "connect: out of memory");
	/* NOMUTEX: a connection is used by one thread at a time. */
	rc = sqlite3_open_v2(p->path, &c->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		/* Never print p->password (a server backend has one). */
		rc = report(err, c->db, rc, "cannot open the database");
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, (int)opt[O_BUSY_TIMEOUT].i);
	snprintf(sql, sizeof sql, "PRAGMA foreign_keys = %s", opt[O_FOREIGN_KEYS].i ? "ON" : "OFF");
	if ((rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL)) != SQLITE_OK) {
		rc = report(err, c->db, rc, "connect");
		goto fail;
	}
	*out = c;
	return DAL_OK;
fail:
	sqlite3_close(c->db);
	free(c);
	return rc; /* *out untouched, nothing leaked */
}

static void tp_disconnect(dal_bconn *c)
{
	/* Every statement is finalized by now: close cannot be refused. */
	sqlite3_close(c->db);
	free(c);
}

static int tp_ping(dal_bconn *c, dal_error *err)
{
	/* An embedded database is alive while open; a server backend sends
	 * its cheapest round trip here and reports DAL_ECONNECT on a lost
	 * connection. */
	int rc = sqlite3_exec(c->db, "SELECT 1", NULL, NULL, NULL);

	return rc == SQLITE_OK ? DAL_OK : report(err, c->db, rc, "ping");
}

/* One statement without parameters; its rows, if any, are discarded. */
static int tp_exec(dal_bconn *c, const char *sql, int64_t *affected, dal_error *err)
{
	sqlite3_stmt *st = NULL;
	const char *tail;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, &tail);

	*affected = 0;
	if (rc != SQLITE_OK)
		return report(err, c->db, rc, "exec");
	tail += strspn(tail, " \t\r\n;");
	if (*tail || !st) {
		sqlite3_finalize(st);
		return dal_error_set(err, DAL_ESYNTAX, "42601", 0, "exec: %s (at '%.20s')",
		                     st ? "more than one statement" : "no statement", tail);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		rc = report(err, c->db, rc, "exec");
		sqlite3_finalize(st);
		return rc;
	}
	if (!sqlite3_stmt_readonly(st))
		*affected = sqlite3_changes64(c->db);
	sqlite3_finalize(st);
	return DAL_OK;
}

/* Static: valid as long as the plugin is loaded. */
static const char *tp_server_version(dal_bconn *c)
{
	(void)c;
	return sqlite3_libversion();
}

static int run(dal_bconn *c, const char *sql, dal_error *err)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? DAL_OK : report(err, c->db, rc, sql);
}

static int tp_begin(dal_bconn *c, dal_error *err)
{
	return run(c, "BEGIN", err);
}

static int tp_commit(dal_bconn *c, dal_error *err)
{
	return run(c, "COMMIT", err);
}

static int tp_rollback(dal_bconn *c, dal_error *err)
{
	return run(c, "ROLLBACK", err);
}

/* ------------------------------------------------------------------------ */
/* Statements                                                                */
/* ------------------------------------------------------------------------ */

static void stmt_free(struct dal_bstmt *s)
{
	sqlite3_finalize(s->st);
	if (s->names)
		for (unsigned i = 0; i < s->ncols; i++)
			free(s->names[i]);
	free(s->names);
	free(s);
}

static int tp_prepare(dal_bconn *c, const char *sql, size_t len, unsigned nparams,
                      dal_bstmt **out, dal_error *err)
{
	struct dal_bstmt *s = calloc(1, sizeof *s);
	const char *tail;
	int rc;

	if (!s)
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "prepare: out of memory");
	s->conn = c;
	rc = sqlite3_prepare_v2(c->db, sql, (int)len + 1, &s->st, &tail);
	if (rc != SQLITE_OK) {
		rc = report(err, c->db, rc, "prepare");
		goto fail;
	}
	/* One statement per prepare: the core hands over the SQL as the
	 * application wrote it (placeholders rewritten only). */
	tail += strspn(tail, " \t\r\n;");
	if (*tail) {
		rc = dal_error_set(err, DAL_ESYNTAX, "42601", 0,
		                   "prepare: more than one statement (at '%.20s')", tail);
		goto fail;
	}
	if (!s->st) {
		rc = dal_error_set(err, DAL_ESYNTAX, "42601", 0, "prepare: no statement");
		goto fail;
	}
	/* The core counted the placeholders; the engine must agree. */
	s->nparams = nparams;
	if ((unsigned)sqlite3_bind_parameter_count(s->st) != nparams) {
		rc = dal_error_set(err, DAL_ESYNTAX, "42601", 0,
		                   "prepare: %u parameters expected, the engine sees %d", nparams,
		                   sqlite3_bind_parameter_count(s->st));
		goto fail;
	}
	s->ncols = (unsigned)sqlite3_column_count(s->st);
	if (s->ncols && !(s->names = calloc(s->ncols, sizeof *s->names))) {
		rc = dal_error_set(err, DAL_ENOMEM, "HY001", 0, "prepare: out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < s->ncols; i++) {
		const char *name = sqlite3_column_name(s->st, (int)i);
		const char *decl = sqlite3_column_decltype(s->st, (int)i);

		if (!name || !(s->names[i] = strdup(name))) {
			rc = dal_error_set(err, DAL_ENOMEM, "HY001", 0, "prepare: out of memory");
			goto fail;
		}
		/* The engine stores booleans as integers: the declared type
		 * says which columns to report as DAL_TYPE_BOOL. */
		if (i < 64 && decl && (!strcasecmp(decl, "BOOLEAN") || !strcasecmp(decl, "BOOL")))
			s->boolcols |= (uint64_t)1 << i;
	}
	*out = s;
	return DAL_OK;
fail:
	stmt_free(s);
	return rc;
}

static int tp_bind(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err)
{
	int rc;

	if (pos < 1 || pos > s->nparams)
		return dal_error_set(err, DAL_EMISUSE, "07009", 0,
		                     "bind: parameter %u is out of range (the statement has %u)", pos,
		                     s->nparams);
	if (s->pending_reset) {
		sqlite3_reset(s->st); /* keeps the other bindings */
		s->pending_reset = 0;
	}
	/* The value lives only during this call: SQLITE_TRANSIENT copies. */
	switch (v->type) {
	case DAL_TYPE_NULL:
		rc = sqlite3_bind_null(s->st, (int)pos);
		break;
	case DAL_TYPE_INT64:
	case DAL_TYPE_BOOL:
		rc = sqlite3_bind_int64(s->st, (int)pos, v->u.i);
		break;
	case DAL_TYPE_DOUBLE:
		rc = sqlite3_bind_double(s->st, (int)pos, v->u.d);
		break;
	case DAL_TYPE_TEXT:
		rc = sqlite3_bind_text64(s->st, (int)pos, v->u.b.ptr ? v->u.b.ptr : "", v->u.b.len,
		                         SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case DAL_TYPE_BLOB:
		rc = v->u.b.len ? sqlite3_bind_blob64(s->st, (int)pos, v->u.b.ptr, v->u.b.len,
		                                      SQLITE_TRANSIENT)
		                : sqlite3_bind_zeroblob(s->st, (int)pos, 0);
		break;
	default:
		return dal_error_set(err, DAL_EMISUSE, "HY004", 0, "bind: parameter %u: type %d",
		                     pos, (int)v->type);
	}
	return rc == SQLITE_OK ? DAL_OK : report(err, s->conn->db, rc, "bind");
}

static int tp_step(dal_bstmt *s, dal_error *err)
{
	int rc = sqlite3_step(s->st);

	if (rc == SQLITE_ROW)
		return DAL_ROW;
	s->pending_reset = 1;
	if (rc == SQLITE_DONE) {
		s->changes = sqlite3_stmt_readonly(s->st) ? 0 : sqlite3_changes64(s->conn->db);
		return DAL_DONE;
	}
	return report(err, s->conn->db, rc, "step");
}

static int tp_reset(dal_bstmt *s, dal_error *err)
{
	(void)err;
	/* sqlite3_reset() repeats the last step's error, already reported. */
	sqlite3_reset(s->st);
	s->pending_reset = 0;
	return DAL_OK;
}

static void tp_finalize(dal_bstmt *s)
{
	stmt_free(s);
}

static unsigned tp_column_count(dal_bstmt *s)
{
	return s->ncols;
}

static const char *tp_column_name(dal_bstmt *s, unsigned col)
{
	return s->names[col];
}

/* Pointers into the engine's current row: valid until the next step,
 * reset or finalize, as the contract allows. No allocation here. */
static void tp_column_value(dal_bstmt *s, unsigned col, dal_value *out)
{
	switch (sqlite3_column_type(s->st, (int)col)) {
	case SQLITE_INTEGER:
		out->u.i = sqlite3_column_int64(s->st, (int)col);
		out->type = DAL_TYPE_INT64;
		if (col < 64 && (s->boolcols >> col & 1)) {
			out->type = DAL_TYPE_BOOL;
			out->u.i = out->u.i != 0;
		}
		break;
	case SQLITE_FLOAT:
		out->type = DAL_TYPE_DOUBLE;
		out->u.d = sqlite3_column_double(s->st, (int)col);
		break;
	case SQLITE_TEXT:
		/* text, then bytes: the length of the UTF-8 form; NUL-terminated. */
		out->u.b.ptr = sqlite3_column_text(s->st, (int)col);
		out->u.b.len = (size_t)sqlite3_column_bytes(s->st, (int)col);
		out->type = out->u.b.ptr ? DAL_TYPE_TEXT : DAL_TYPE_NULL;
		break;
	case SQLITE_BLOB:
		out->type = DAL_TYPE_BLOB;
		out->u.b.ptr = sqlite3_column_blob(s->st, (int)col);
		out->u.b.len = (size_t)sqlite3_column_bytes(s->st, (int)col);
		if (!out->u.b.ptr)
			out->u.b.ptr = "";
		break;
	default:
		out->type = DAL_TYPE_NULL;
		break;
	}
}

static int64_t tp_rows_affected(dal_bstmt *s)
{
	return s->changes;
}

/* ------------------------------------------------------------------------ */
/* Registration                                                              */
/* ------------------------------------------------------------------------ */

static const struct dal_driver template_driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	.connect = tp_connect,
	.disconnect = tp_disconnect,
	.ping = tp_ping,
	.exec = tp_exec,
	.prepare = tp_prepare,
	.begin = tp_begin,
	.commit = tp_commit,
	.rollback = tp_rollback,
	.server_version = tp_server_version,
	.bind = tp_bind,
	.step = tp_step,
	.reset = tp_reset,
	.finalize = tp_finalize,
	.column_count = tp_column_count,
	.column_name = tp_column_name,
	.column_value = tp_column_value,
	.rows_affected = tp_rows_affected,
};

static const char *const template_aliases[] = {"tmpl", NULL};

/* The dialect's SQL facts (<dal/dialect.h>): what libdal's layers that
 * build their own SQL need to know, since libdal knows no dialect by name.
 * With them the backend gets migrations and `dal db-reset` (a lock and a
 * catalog) and a faithful `dal copy` (its tables, columns and type names).
 * Leave out what does not apply: each member says what a NULL means
 * (standard SQL, or a clear DAL_EUNSUPPORTED naming it). The engine being
 * SQLite, these are SQLite's. */
static const struct dal_sql_facts template_sql = {
	.struct_size = sizeof(struct dal_sql_facts),
	.flags = DAL_SQL_FREE_TYPES,
	/* No session locks in SQLite: each migration's transaction takes the
	 * write lock when it begins. */
	.lock = DAL_SQL_LOCK_TRANSACTION,
	.lock_begin = "BEGIN IMMEDIATE",
	.catalog = "SELECT type, 'main', name FROM main.sqlite_master "
	           "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
	.columns = "SELECT name, type, \"notnull\", NULL, NULL, NULL, pk "
	           "FROM pragma_table_info(?) ORDER BY cid",
	.type_int64 = "INTEGER",
	.type_double = "REAL",
};

static const struct dal_plugin template_registration = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "template",
	.aliases = template_aliases,
	.version = "0.1.0",
	.description = "template backend (SQLite " SQLITE_VERSION " as its engine)",
	/* Declare only what the slots above deliver: dal-conformance runs the
	 * cases of each declared capability. */
	.capabilities = DAL_CAP_TRANSACTIONS | DAL_CAP_TRANSACTIONAL_DDL | DAL_CAP_STREAMING |
	                DAL_CAP_EMBEDDED,
	.kind = DAL_KIND_FILE,
	.default_path = "template.db",
	.param_style = DAL_PARAM_QMARK,
	.syntax = DAL_SYNTAX_BACKTICK | DAL_SYNTAX_BRACKET_IDENT,
	.ident_quote = "\"\"",
	.options = option_specs,
	.n_options = O__COUNT,
	.driver = &template_driver,
	/* ABI 2.1: the dialect's name (what per-backend migration files may be
	 * named after) and its SQL facts. */
	.dialect = "template",
	.sql = &template_sql,
};

/* The one exported symbol, backend_template_LTX_dal_plugin_init. */
DAL_PLUGIN_ENTRY(backend_template)
{
	return dal_plugin_accept(core_abi, &template_registration, err);
}
