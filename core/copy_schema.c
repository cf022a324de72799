/*
 * The copy layer's view of a schema: which tables a database has, what
 * their columns hold (a type class of copy_int.h, from the declared type)
 * and their primary keys, read from the catalog; and the CREATE TABLE
 * that gives a target the same columns in its own types (the mapping
 * table of docs/copy.md). The catalog queries and the type names are the
 * ones the plugin declares (<dal/dialect.h>: catalog, columns, type_*);
 * where it declares none, the SQL standard's information_schema and type
 * names. Public API only.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "copy_int.h"

/* ------------------------------------------------------------------------ */
/* Reading the catalog                                                       */
/* ------------------------------------------------------------------------ */

/* What a plugin that declares no catalog or columns query gets: the SQL
 * standard's information_schema, in the shapes of <dal/dialect.h>. */
static const char std_tables[] =
	"SELECT 'table', table_schema, table_name FROM information_schema.tables "
	"WHERE table_schema = CURRENT_SCHEMA AND table_type = 'BASE TABLE'";
static const char std_columns[] =
	"SELECT c.column_name, c.data_type, CASE WHEN c.is_nullable = 'NO' THEN 1 ELSE 0 END, "
	"c.character_maximum_length, c.numeric_precision, c.numeric_scale, "
	"(SELECT k.ordinal_position FROM information_schema.table_constraints t "
	"JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name "
	"AND k.constraint_schema = t.constraint_schema AND k.table_name = t.table_name "
	"WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema "
	"AND t.table_name = c.table_name AND k.column_name = c.column_name) "
	"FROM information_schema.columns c WHERE c.table_schema = CURRENT_SCHEMA "
	"AND c.table_name = ? ORDER BY c.ordinal_position";

static const char *or_std(const char *declared, const char *standard)
{
	return declared ? declared : standard;
}

static int prepare(dal_conn *c, const char *sql, dal_stmt **st, const char *what,
                   dal_error *err)
{
	if (dal_stmt_prepare(c, sql, st) != DAL_OK)
		return copy_err_from(err, dal_conn_error(c), "copy: %s", what);
	return DAL_OK;
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

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int copy_list_tables(dal_conn *c, char ***out, size_t *nout, dal_error *err)
{
	const struct dal_sql_facts *f = copy_facts(dal_conn_repo(c));
	char **names = NULL;
	size_t n = 0, cap = 0;
	dal_stmt *st = NULL;
	int rc;

	rc = prepare(c, or_std(f->catalog, std_tables), &st, "listing the tables", err);
	if (rc != DAL_OK)
		return rc;
	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		const char *kind = dal_stmt_column_text(st, 0, NULL);
		const char *name = dal_stmt_column_text(st, 2, NULL);

		if (!kind || strcmp(kind, "table") != 0 || !name ||
		    strcmp(name, DAL_COPY_STATE_TABLE) == 0)
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
	/* Byte order, the same on every backend whatever its collation. */
	qsort(names, n, sizeof *names, cmp_name);
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
static enum copy_class classify(const char *declared, uint32_t flags)
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
	/* Free types (SQLite's affinity): no declared type holds anything
	 * (kept as text); other free text gets NUMERIC affinity. Elsewhere:
	 * json, uuid, enum, ... as text. */
	if ((flags & DAL_SQL_FREE_TYPES) && t[0])
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
                   uint32_t flags)
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
	col->cls = classify(decl, flags);
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

/* The key positions read so far, to order the key by. */
struct keypos {
	unsigned col, pos;
};

static int cmp_keypos(const void *a, const void *b)
{
	const struct keypos *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Read the columns query's rows (the shape of <dal/dialect.h>'s
 * `columns`) into t, the primary key ordered by position. */
static int read_columns(dal_conn *c, const struct dal_sql_facts *f, struct copy_table *t,
                        dal_error *err)
{
	struct keypos *keys = NULL;
	size_t cap = 0, nkeys = 0, kcap = 0;
	dal_stmt *st;
	int rc;

	rc = prepare(c, or_std(f->columns, std_columns), &st, "reading the columns", err);
	if (rc != DAL_OK)
		return rc;
	/* A bind that failed would read no columns: "no such table". */
	if ((rc = dal_stmt_bind_text(st, 1, t->name, -1)) != DAL_OK)
		goto failed;
	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		const char *name = dal_stmt_column_text(st, 0, NULL);
		const char *decl = dal_stmt_column_text(st, 1, NULL);
		int64_t pos = dal_stmt_column_int64(st, 6);

		if (!name)
			continue;
		if (add_col(t, &cap, name, decl ? decl : "", (long)dal_stmt_column_int64(st, 3),
		            (long)dal_stmt_column_int64(st, 4), (long)dal_stmt_column_int64(st, 5),
		            dal_stmt_column_int64(st, 2) != 0, f->flags))
			goto nomem;
		if (pos > 0 && pos <= 4096) {
			if (grow((void **)&keys, &kcap, nkeys, sizeof *keys))
				goto nomem;
			keys[nkeys].col = t->ncols - 1;
			keys[nkeys++].pos = (unsigned)pos;
		}
	}
	if (rc != DAL_DONE) {
failed:
		rc = copy_err_from(err, dal_stmt_error(st), "copy: reading the columns of %s",
		                   t->name);
		dal_stmt_close(st);
		free(keys);
		return rc;
	}
	dal_stmt_close(st);
	st = NULL;
	if (nkeys)
		qsort(keys, nkeys, sizeof *keys, cmp_keypos);
	for (size_t k = 0; k < nkeys; k++)
		if (add_pk(t, (int)keys[k].col))
			goto nomem;
	free(keys);
	return DAL_OK;
nomem:
	if (st)
		dal_stmt_close(st);
	free(keys);
	return copy_err(err, DAL_ENOMEM, "copy: out of memory");
}

int copy_describe(dal_conn *c, const char *table, struct copy_table *t, dal_error *err)
{
	const struct dal_sql_facts *f = copy_facts(dal_conn_repo(c));
	int rc;

	memset(t, 0, sizeof *t);
	if (!(t->name = strdup(table)))
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");
	rc = read_columns(c, f, t, err);
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

/* Text: "<type_varchar>(n)" for a declared length the backend keeps as
 * one, else its text type; keys of a backend that needs bounded key types
 * (type_text_key) within key_varchar_max. */
static void text_type(struct strbuf *b, const struct dal_sql_facts *f,
                      const struct copy_col *col, int key)
{
	const char *varchar = or_std(f->type_varchar, "VARCHAR");

	if (key && f->type_text_key) {
		if (col->len > 0 && (uint32_t)col->len <= f->key_varchar_max)
			sb_printf(b, "%s(%ld)", varchar, col->len);
		else
			sb_puts(b, f->type_text_key);
	} else if (col->len > 0 && col->cls == CC_TEXT &&
	           (!f->varchar_max || (uint32_t)col->len <= f->varchar_max))
		sb_printf(b, "%s(%ld)", varchar, col->len);
	else
		sb_puts(b, or_std(f->type_text, "TEXT"));
}

/* The column type of the mapping table of docs/copy.md, in the names the
 * plugin declares (the standard's where it declares none). */
static void column_type(struct strbuf *b, const struct dal_sql_facts *f,
                        const struct copy_col *col, int key)
{
	switch (col->cls) {
	case CC_INT:
		sb_puts(b, or_std(f->type_int64, "BIGINT"));
		return;
	case CC_DOUBLE:
		sb_puts(b, or_std(f->type_double, "DOUBLE PRECISION"));
		return;
	case CC_BOOL:
		sb_puts(b, or_std(f->type_boolean, "BOOLEAN"));
		return;
	case CC_TSTZ:
		/* Without a zoned type: the text the source prints, offset
		 * included. */
		if (f->type_timestamp_tz) {
			sb_puts(b, f->type_timestamp_tz);
			return;
		}
		text_type(b, f, col, key);
		return;
	case CC_TEXT:
		text_type(b, f, col, key);
		return;
	case CC_BLOB:
		sb_puts(b, key && f->type_blob_key ? f->type_blob_key : or_std(f->type_blob, "BLOB"));
		return;
	case CC_NUMERIC:
		if (col->prec)
			sb_printf(b, "%s(%d,%d)", or_std(f->type_decimal, "NUMERIC"), col->prec,
			          col->scale);
		else
			sb_puts(b, or_std(f->type_decimal_any, "NUMERIC"));
		return;
	case CC_TIMESTAMP:
		sb_puts(b, or_std(f->type_timestamp, "TIMESTAMP"));
		return;
	case CC_DATE:
		sb_puts(b, or_std(f->type_date, "DATE"));
		return;
	}
}

int copy_create(dal_conn *c, const struct copy_table *t, dal_error *err)
{
	const dal_repo *repo = dal_conn_repo(c);
	const struct dal_sql_facts *f = copy_facts(repo);
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
		column_type(&b, f, &t->cols[i], in_pk(t, i));
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
	sb_puts(&b, ")");
	if (f->create_table_suffix)
		sb_puts(&b, f->create_table_suffix);
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
