/*
 * Private to the copy layer (copy.c, copy_rows.c, copy_schema.c,
 * copy_sum.c, copy_util.c): the table description, the type classes of
 * docs/copy.md, and small helpers. The layer uses only the public API
 * (<dal/dal.h>, <dal/copy.h>) and the core's string buffer: no other core
 * internals, so that it works for any backend, a third party's included.
 */
#ifndef DAL_COPY_INT_H
#define DAL_COPY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <dal/copy.h>
#include <dal/dal.h>
#include <dal/dialect.h>

#include "strbuf.h"

/*
 * Type classes: what a column holds, independent of the backend. They
 * decide the target's column type (copy_schema.c), how a value is bound,
 * and the canonical form a checksum hashes (copy_sum.c).
 */
enum copy_class {
	CC_INT,       /* 64-bit signed integers */
	CC_DOUBLE,    /* IEEE double */
	CC_BOOL,
	CC_TEXT,      /* UTF-8 text (len: declared length or 0) */
	CC_BLOB,
	CC_NUMERIC,   /* exact decimals, copied as text (prec, scale or 0) */
	CC_TIMESTAMP, /* date and time without time zone */
	CC_DATE,
	CC_TSTZ       /* with time zone: TIMESTAMPTZ on PostgreSQL, text elsewhere */
};

struct copy_col {
	char *name;
	enum copy_class cls;
	long len;          /* CC_TEXT: declared length, 0 for none */
	int prec, scale;   /* CC_NUMERIC: 0 for none */
	int notnull;
};

struct copy_table {
	char *name;
	struct copy_col *cols;
	unsigned ncols;
	unsigned *pk;      /* column indexes, in primary key order */
	unsigned npk;      /* 0: no primary key */
};

/* The SQL the layer builds goes into a struct strbuf (strbuf.h): on
 * allocation failure it keeps failed set and every later call does nothing.
 * copy_quote() appends ident quoted with the repository's declared
 * identifier quotes, the closing quote doubled inside. */
void copy_quote(struct strbuf *b, const char *quote, const char *ident);

/* Fill *err: code and message (printf-style); sqlstate "HY000". Returns
 * code. err may be NULL. */
int copy_err(dal_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/* Fill *err from cause (a connection's or statement's error), its message
 * prefixed with the context. Returns cause's code (DAL_EBACKEND if none). */
int copy_err_from(dal_error *err, const dal_error *cause, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* The repository's SQL facts (<dal/dialect.h>), or an empty set (every
 * member NULL) when its plugin declares none: each member then takes the
 * standard SQL the header names. Never NULL. */
const struct dal_sql_facts *copy_facts(const dal_repo *repo);
uint64_t copy_now_ns(void);

/* copy_schema.c */
/* The base tables of the connection's database (views excluded), sorted by
 * name; *names is a NULL-terminated malloc'd array (copy_names_free()). */
int copy_list_tables(dal_conn *c, char ***names, size_t *n, dal_error *err);
void copy_names_free(char **names);
/* Describe table: columns in order, their classes, the primary key.
 * DAL_ENOTFOUND when there is no such table. */
int copy_describe(dal_conn *c, const char *table, struct copy_table *t,
                  dal_error *err);
void copy_table_free(struct copy_table *t);
/* CREATE TABLE for t in the types the plugin of c's repository declares. */
int copy_create(dal_conn *c, const struct copy_table *t, dal_error *err);

/* copy_sum.c: a table's row count and checksum (see dal_copy_checksum()),
 * the columns read as t describes them. */
int copy_table_sum(dal_conn *c, const struct copy_table *t, int64_t *rows,
                   uint64_t *sum, dal_error *err);

/* copy_rows.c: copy the rows of t (see copy.c for the state). */
struct copy_run;
int copy_rows(struct copy_run *run, const struct copy_table *t, unsigned index,
              dal_error *err);

#endif
