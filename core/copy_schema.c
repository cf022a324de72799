/*
 * The copy layer's view of a schema: which tables a database has, what
 * their columns hold (a type class of copy_int.h, from the declared type)
 * and their primary keys, read from the catalog; and the CREATE TABLE
 * that gives a target the same columns in its own types (the mapping
 * table of docs/copy.md). Catalogs: SQLite's sqlite_master and
 * pragma_table_info(), information_schema everywhere else (the standard
 * one, which MySQL, MariaDB and PostgreSQL share). Public API only.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "copy_int.h"

/* ------------------------------------------------------------------------ */
/* Reading the catalog                                                       */
/* ------------------------------------------------------------------------ */

/* The current database (MySQL) or schema (standard SQL), for catalog
 * queries. */
static const char *schema_expr(enum copy_dialect d)
{
	return d == CD_MYSQL ? "DATABASE()" : "CURRENT_SCHEMA";
}

static int prepare(dal_conn *c, const char *sql, dal_stmt **st, const char *what,
                   dal_error *err)
{
	if (dal_stmt_prepare(c, sql, st) != DAL_OK)
		return copy_err_from(err, dal_conn_error(c), "copy: %s", what);
	return DAL_OK;
}

/* Prepare the SQL built in sql, then free it (also when building it ran
 * out of memory). */
static int prepare_built(dal_conn *c, struct strbuf *sql, dal_stmt **st, const char *what,
                         dal_error *err)
{
	int rc = sql->failed ? copy_err(err, DAL_ENOMEM, "copy: out of memory")
	                     : prepare(c, sql->data, st, what, err);

	sb_free(sql);
	return rc;
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? 2 * *cap : 16;
	void *q = realloc(*p, ncap * size);

	if (!q)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

void copy_names_free(char **names)
{
	if (!names)
		return;
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

int copy_list_tables(dal_conn *c, char ***out, size_t *nout, dal_error *err)
{
	enum copy_dialect d = copy_dialect_of(dal_conn_repo(c));
	struct strbuf sql = { 0 };
	char **names = NULL;
	size_t n = 0, cap = 0;
	dal_stmt *st = NULL;
	int rc;

	if (d == CD_SQLITE)
		sb_puts(&sql, "SELECT name FROM sqlite_master WHERE type = 'table' "
		              "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
	else
		sb_printf(&sql, "SELECT table_name FROM information_schema.tables "
		                "WHERE table_schema = %s AND table_type = 'BASE TABLE' "
		                "ORDER BY table_name", schema_expr(d));
	rc = prepare_built(c, &sql, &st, "listing the tables", err);
	if (rc != DAL_OK)
		return rc;
	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		const char *name = dal_stmt_column_text(st, 0, NULL);

		if (!name || strcmp(name, DAL_COPY_STATE_TABLE) == 0)
			continue;
		if (grow((void **)&names, &cap, n + 1, sizeof *names) ||
		    !(names[n] = strdup(name))) {
			rc = copy_err(err, DAL_ENOMEM, "copy: out of memory");
			goto fail;
		}
		names[++n] = NULL;
	}
	if (rc != DAL_DONE) {
		rc = copy_err_from(err, dal_stmt_error(st), "copy: listing the tables");
		goto fail;
	}
	dal_stmt_close(st);
	if (!names && !(names = calloc(1, sizeof *names)))
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");
	*out = names;
	*nout = n;
	return DAL_OK;
fail:
	dal_stmt_close(st);
	copy_names_free(names);
	return rc;
}

/* Lower-case copy of s in buf[size]. */
static void lower(const char *s, char *buf, size_t size)
{
	size_t i = 0;

	for (; s && s[i] && i + 1 < size; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The numbers in "name(a)" or "name(a,b)": *a and *b, 0 when absent. */
static void type_args(const char *decl, long *a, long *b)
{
	const char *p = strchr(decl, '(');

	*a = *b = 0;
	if (!p)
		return;
	*a = strtol(p + 1, (char **)&p, 10);
	while (*p == ' ')
		p++;
	if (*p == ',')
		*b = strtol(p + 1, NULL, 10);
}

/*
 * The class of a declared type (any case; MySQL's column_type, the
 * standard's data_type, or SQLite's free text). Order matters: "interval"
 * and "point" contain "int", "datetime" contains "date".
 */
static enum copy_class classify(const char *declared, enum copy_dialect d)
{
	char t[128];

	lower(declared, t, sizeof t);
	if (strstr(t, "with time zone") || starts(t, "timestamptz"))
		return CC_TSTZ;
	if (strstr(t, "timestamp") || strstr(t, "datetime"))
		return CC_TIMESTAMP;
	if (strcmp(t, "date") == 0)
		return CC_DATE;
	if (strstr(t, "bool") || starts(t, "tinyint(1)") || starts(t, "bit(1)"))
		return CC_BOOL;
	if (starts(t, "interval") || strstr(t, "point"))
		return CC_TEXT;
	if (strstr(t, "int") || strstr(t, "serial"))
		return CC_INT;
	if (strstr(t, "double") || strstr(t, "float") || strstr(t, "real"))
		return CC_DOUBLE;
	if (strstr(t, "numeric") || strstr(t, "decimal") || strstr(t, "number"))
		return CC_NUMERIC;
	if (strstr(t, "blob") || strstr(t, "bytea") || strstr(t, "binary"))
		return CC_BLOB;
	if (strstr(t, "char") || strstr(t, "text") || strstr(t, "clob"))
		return CC_TEXT;
	/* SQLite: no declared type holds anything (kept as text); other free
	 * text gets NUMERIC affinity. Elsewhere: json, uuid, enum, ... as text. */
	if (d == CD_SQLITE && t[0])
		return CC_NUMERIC;
	return CC_TEXT;
}

void copy_table_free(struct copy_table *t)
{
	for (unsigned i = 0; i < t->ncols; i++)
		free(t->cols[i].name);
	free(t->cols);
	free(t->pk);
	free(t->name);
	memset(t, 0, sizeof *t);
}

static int add_col(struct copy_table *t, size_t *cap, const char *name,
                   const char *decl, long len, long prec, long scale, int notnull,
                   enum copy_dialect d)
{
	struct copy_col *col;
	long a, b;

	if (grow((void **)&t->cols, cap, t->ncols, sizeof *t->cols))
		return -1;
	col = &t->cols[t->ncols];
	memset(col, 0, sizeof *col);
	if (!(col->name = strdup(name)))
		return -1;
	t->ncols++;
	col->cls = classify(decl, d);
	col->notnull = notnull;
	type_args(decl, &a, &b);
	if (col->cls == CC_TEXT) {
		char low[32];

		lower(decl, low, sizeof low);
		/* A declared length only for char/varchar: MySQL reports one for
		 * every text type. */
		if (strstr(low, "char"))
			col->len = a ? a : len;
	} else if (col->cls == CC_NUMERIC) {
		col->prec = (int)(a ? a : prec);
		col->scale = (int)(a ? b : scale);
		if (col->prec < 1 || col->prec > 65 || col->scale < 0 ||
		    col->scale > col->prec)
			col->prec = col->scale = 0;
	}
	return 0;
}

static int find_col(const struct copy_table *t, const char *name)
{
	for (unsigned i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int add_pk(struct copy_table *t, int col)
{
	unsigned *p;

	if (col < 0)
		return 0;
	if (!(p = realloc(t->pk, (t->npk + 1) * sizeof *p)))
		return -1;
	t->pk = p;
	t->pk[t->npk++] = (unsigned)col;
	return 0;
}

/* SQLite: pragma_table_info() gives the columns and their place in the key. */
static int describe_sqlite(dal_conn *c, struct copy_table *t, dal_error *err)
{
	size_t cap = 0;
	unsigned pkpos[64];
	unsigned npos = 0;
	dal_stmt *st;
	int rc;

	rc = prepare(c, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) "
	                "ORDER BY cid", &st, "reading the columns", err);
	if (rc != DAL_OK)
		return rc;
	dal_stmt_bind_text(st, 1, t->name, -1);
	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		int64_t pk = dal_stmt_column_int64(st, 3);
		const char *decl = dal_stmt_column_text(st, 1, NULL);

		if (add_col(t, &cap, dal_stmt_column_text(st, 0, NULL), decl ? decl : "",
		            0, 0, 0, dal_stmt_column_int64(st, 2) != 0, CD_SQLITE))
			goto nomem;
		if (pk > 0 && pk <= 64 && npos < 64) {
			pkpos[pk - 1] = t->ncols - 1;
			npos = npos < pk ? (unsigned)pk : npos;
		}
	}
	if (rc != DAL_DONE) {
		rc = copy_err_from(err, dal_stmt_error(st), "copy: reading the columns of %s",
		                   t->name);
		dal_stmt_close(st);
		return rc;
	}
	dal_stmt_close(st);
	for (unsigned k = 0; k < npos; k++)
		if (add_pk(t, (int)pkpos[k]))
			goto nomem;
	return DAL_OK;
nomem:
	dal_stmt_close(st);
	return copy_err(err, DAL_ENOMEM, "copy: out of memory");
}

static int describe_info_schema(dal_conn *c, enum copy_dialect d, struct copy_table *t,
                                dal_error *err)
{
	struct strbuf sql = { 0 };
	size_t cap = 0;
	dal_stmt *st = NULL;
	int rc;

	/* MySQL's column_type carries the length and tinyint(1) (its BOOLEAN). */
	sb_printf(&sql, "SELECT column_name, %s, is_nullable, character_maximum_length, "
	                "numeric_precision, numeric_scale FROM information_schema.columns "
	                "WHERE table_schema = %s AND table_name = ? ORDER BY ordinal_position",
	          d == CD_MYSQL ? "column_type" : "data_type", schema_expr(d));
	rc = prepare_built(c, &sql, &st, "reading the columns", err);
	if (rc != DAL_OK)
		return rc;
	dal_stmt_bind_text(st, 1, t->name, -1);
	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		const char *decl = dal_stmt_column_text(st, 1, NULL);
		const char *nullable = dal_stmt_column_text(st, 2, NULL);

		if (add_col(t, &cap, dal_stmt_column_text(st, 0, NULL), decl ? decl : "",
		            (long)dal_stmt_column_int64(st, 3), (long)dal_stmt_column_int64(st, 4),
		            (long)dal_stmt_column_int64(st, 5),
		            nullable && strcmp(nullable, "NO") == 0, d)) {
			dal_stmt_close(st);
			return copy_err(err, DAL_ENOMEM, "copy: out of memory");
		}
	}
	if (rc != DAL_DONE) {
		rc = copy_err_from(err, dal_stmt_error(st), "copy: reading the columns of %s",
		                   t->name);
		dal_stmt_close(st);
		return rc;
	}
	dal_stmt_close(st);

	sb_printf(&sql, "SELECT k.column_name FROM information_schema.table_constraints c "
	                "JOIN information_schema.key_column_usage k "
	                "ON k.constraint_name = c.constraint_name "
	                "AND k.constraint_schema = c.constraint_schema "
	                "AND k.table_name = c.table_name "
	                "WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = %s "
	                "AND c.table_name = ? ORDER BY k.ordinal_position", schema_expr(d));
	rc = prepare_built(c, &sql, &st, "reading the primary key", err);
	if (rc != DAL_OK)
		return rc;
	dal_stmt_bind_text(st, 1, t->name, -1);
	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		const char *name = dal_stmt_column_text(st, 0, NULL);

		if (name && add_pk(t, find_col(t, name))) {
			dal_stmt_close(st);
			return copy_err(err, DAL_ENOMEM, "copy: out of memory");
		}
	}
	if (rc != DAL_DONE)
		rc = copy_err_from(err, dal_stmt_error(st),
		                   "copy: reading the primary key of %s", t->name);
	else
		rc = DAL_OK;
	dal_stmt_close(st);
	return rc;
}

int copy_describe(dal_conn *c, const char *table, struct copy_table *t, dal_error *err)
{
	enum copy_dialect d = copy_dialect_of(dal_conn_repo(c));
	int rc;

	memset(t, 0, sizeof *t);
	if (!(t->name = strdup(table)))
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");
	rc = d == CD_SQLITE ? describe_sqlite(c, t, err) : describe_info_schema(c, d, t, err);
	if (rc == DAL_OK && t->ncols == 0)
		rc = copy_err(err, DAL_ENOTFOUND, "copy: no table '%s' in %s", table,
		              dal_repo_name(dal_conn_repo(c)));
	if (rc != DAL_OK)
		copy_table_free(t);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Creating a table                                                          */
/* ------------------------------------------------------------------------ */

static int in_pk(const struct copy_table *t, unsigned col)
{
	for (unsigned k = 0; k < t->npk; k++)
		if (t->pk[k] == col)
			return 1;
	return 0;
}

/* MySQL: a key needs a bounded type; long VARCHARs count against its
 * 64 KiB row limit, so they become LONGTEXT. */
static void text_type(struct strbuf *b, enum copy_dialect d,
                      const struct copy_col *col, int key)
{
	if (d == CD_MYSQL) {
		if (key)
			sb_printf(b, "VARCHAR(%ld)", col->len > 0 && col->len <= 768 ? col->len : 255);
		else if (col->len > 0 && col->len <= 255)
			sb_printf(b, "VARCHAR(%ld)", col->len);
		else
			sb_puts(b, "LONGTEXT");
	} else if (col->len > 0 && col->cls == CC_TEXT)
		sb_printf(b, "VARCHAR(%ld)", col->len);
	else
		sb_puts(b, "TEXT");
}

/* The column type of the mapping table of docs/copy.md. */
static void column_type(struct strbuf *b, enum copy_dialect d,
                        const struct copy_col *col, int key)
{
	switch (col->cls) {
	case CC_INT:
		sb_puts(b, d == CD_SQLITE ? "INTEGER" : "BIGINT");
		return;
	case CC_DOUBLE:
		sb_puts(b, d == CD_SQLITE ? "REAL" : d == CD_MYSQL ? "DOUBLE" : "DOUBLE PRECISION");
		return;
	case CC_BOOL:
		sb_puts(b, "BOOLEAN");
		return;
	case CC_TSTZ:
		/* Elsewhere: the text the source prints, offset included. */
		if (d == CD_PGSQL) {
			sb_puts(b, "TIMESTAMP WITH TIME ZONE");
			return;
		}
		text_type(b, d, col, key);
		return;
	case CC_TEXT:
		text_type(b, d, col, key);
		return;
	case CC_BLOB:
		sb_puts(b, d == CD_PGSQL ? "BYTEA" : d == CD_MYSQL ? (key ? "VARBINARY(255)" : "LONGBLOB")
		                                               : "BLOB");
		return;
	case CC_NUMERIC:
		if (col->prec)
			sb_printf(b, "%s(%d,%d)", d == CD_MYSQL ? "DECIMAL" : "NUMERIC", col->prec,
			          col->scale);
		else
			sb_puts(b, d == CD_MYSQL ? "DECIMAL(65,30)" : "NUMERIC");
		return;
	case CC_TIMESTAMP:
		sb_puts(b, d == CD_MYSQL ? "DATETIME(6)" : d == CD_PGSQL ? "TIMESTAMP(6)" : "TIMESTAMP");
		return;
	case CC_DATE:
		sb_puts(b, "DATE");
		return;
	}
}

int copy_create(dal_conn *c, const struct copy_table *t, dal_error *err)
{
	const dal_repo *repo = dal_conn_repo(c);
	enum copy_dialect d = copy_dialect_of(repo);
	const char *q = dal_repo_ident_quote(repo);
	struct strbuf b = { 0 };
	int rc;

	sb_puts(&b, "CREATE TABLE ");
	copy_quote(&b, q, t->name);
	sb_puts(&b, " (");
	for (unsigned i = 0; i < t->ncols; i++) {
		sb_puts(&b, i ? ", " : "");
		copy_quote(&b, q, t->cols[i].name);
		sb_puts(&b, " ");
		column_type(&b, d, &t->cols[i], in_pk(t, i));
		if (t->cols[i].notnull)
			sb_puts(&b, " NOT NULL");
	}
	if (t->npk) {
		sb_puts(&b, ", PRIMARY KEY (");
		for (unsigned k = 0; k < t->npk; k++) {
			sb_puts(&b, k ? ", " : "");
			copy_quote(&b, q, t->cols[t->pk[k]].name);
		}
		sb_puts(&b, ")");
	}
	sb_puts(&b, d == CD_MYSQL ? ") DEFAULT CHARSET=utf8mb4" : ")");
	if (b.failed)
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");
	if (dal_conn_exec(c, b.data, NULL) != DAL_OK)
		rc = copy_err_from(err, dal_conn_error(c), "copy: creating table %s in %s",
		                   t->name, dal_repo_name(repo));
	else
		rc = DAL_OK;
	sb_free(&b);
	return rc;
}
