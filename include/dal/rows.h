/*
 * libdal row helpers: the row operations every application writes (insert
 * returning the generated key, get/update/delete by key, count, exists,
 * bulk insert, upsert, paginated lists), written once, correctly for each
 * backend's dialect as its plugin declares it.
 *
 * Rules every function here follows:
 *  - Values are always bound as parameters, never spliced into SQL.
 *  - Identifiers (tables, columns) are validated and quoted with the
 *    backend's identifier quotes (dal_ident_quote()): any name works,
 *    reserved words and mixed case included, and no name can inject SQL.
 *  - They work on a dal_conn of the caller (its thread, its transaction)
 *    and use only the public API, so they work for any backend plugin.
 *  - Errors are reported in dal_conn_error(c), like other calls on c.
 *  - Nothing is buffered: lists return a statement to step through.
 *
 * Dialect facts come from the plugin's declaration: identifier quotes
 * (ident_quote), DAL_CAP_RETURNING (the generated key comes back with
 * INSERT ... RETURNING) or else DAL_CAP_LAST_INSERT_ID, and the upsert form
 * (DAL_CAP_UPSERT_CONFLICT: INSERT ... ON CONFLICT (key) DO UPDATE;
 * DAL_CAP_UPSERT_DUPLICATE: INSERT ... ON DUPLICATE KEY UPDATE). Pages use
 * LIMIT ? OFFSET ?, which every shipped backend understands.
 */
#ifndef DAL_ROWS_H
#define DAL_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include <dal/dal.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A value to bind. For TEXT, len -1 means NUL-terminated. The bytes are
 * only read during the call. */
typedef struct dal_param {
	dal_type type;
	union {
		int64_t i;  /* INT64, BOOL (0/1) */
		double d;   /* DOUBLE */
		struct {
			const void *ptr;
			ptrdiff_t len;
		} b;        /* TEXT, BLOB */
	} u;
} dal_param;

/* A column and its value. */
typedef struct dal_field {
	const char *name;
	dal_param v;
} dal_field;

/* Literal helpers (C99 compound literals). */
#define DAL_PARAM_NULL ((dal_param){DAL_TYPE_NULL, {0}})
#define DAL_PARAM_INT64(x) ((dal_param){DAL_TYPE_INT64, {.i = (x)}})
#define DAL_PARAM_DOUBLE(x) ((dal_param){DAL_TYPE_DOUBLE, {.d = (x)}})
#define DAL_PARAM_BOOL(x) ((dal_param){DAL_TYPE_BOOL, {.i = (x) ? 1 : 0}})
#define DAL_PARAM_TEXT(s) ((dal_param){DAL_TYPE_TEXT, {.b = {(s), -1}}})
#define DAL_PARAM_BLOB(p, n) ((dal_param){DAL_TYPE_BLOB, {.b = {(p), (ptrdiff_t)(n)}}})
#define DAL_FIELD_NULL(n) ((dal_field){(n), DAL_PARAM_NULL})
#define DAL_FIELD_INT64(n, x) ((dal_field){(n), DAL_PARAM_INT64(x)})
#define DAL_FIELD_DOUBLE(n, x) ((dal_field){(n), DAL_PARAM_DOUBLE(x)})
#define DAL_FIELD_BOOL(n, x) ((dal_field){(n), DAL_PARAM_BOOL(x)})
#define DAL_FIELD_TEXT(n, s) ((dal_field){(n), DAL_PARAM_TEXT(s)})
#define DAL_FIELD_BLOB(n, p, len) ((dal_field){(n), DAL_PARAM_BLOB(p, len)})

/* Longest identifier part accepted, in bytes (PostgreSQL's limit). */
#define DAL_IDENT_MAX 63

/*
 * Validate ident and write it quoted for repo's backend into buf[size]
 * ("users" -> "\"users\"" on PostgreSQL and SQLite, "`users`" on MySQL).
 * A '.' separates the parts of a qualified name ("audit.events"), each part
 * quoted on its own. Each part must be 1 to DAL_IDENT_MAX bytes with no
 * control character and neither of the backend's quote characters.
 * Returns DAL_OK, DAL_EMISUSE for a name that is not valid (err says why,
 * naming it), or DAL_ENOMEM when buf is too small (the result is never
 * truncated). err may be NULL.
 */
DAL_API int dal_ident_quote(const dal_repo *repo, const char *ident, char *buf, size_t size,
                            dal_error *err);

/* Bind p to parameter idx of stmt (dal_stmt_bind_*() by type). */
DAL_API int dal_stmt_bind_param(dal_stmt *stmt, unsigned idx, const dal_param *p);

/*
 * INSERT INTO table (fields' names) VALUES (?, ...). When id is not NULL,
 * *id gets the key the database generated for the new row, in column
 * key_column: with DAL_CAP_RETURNING through INSERT ... RETURNING
 * key_column, else with DAL_CAP_LAST_INSERT_ID through
 * dal_conn_last_insert_id() (the auto-increment or rowid key), else
 * DAL_EUNSUPPORTED. key_column may be NULL when id is NULL.
 * n must be at least 1.
 */
DAL_API int dal_row_insert(dal_conn *c, const char *table, const dal_field *fields, size_t n,
                           const char *key_column, int64_t *id);

/*
 * UPDATE table SET set... WHERE key... (key: nkey >= 1 equality conditions,
 * ANDed; a NULL value matches IS NULL). *affected (may be NULL) gets the
 * rows changed as the backend counts them (MySQL counts rows whose values
 * actually changed).
 */
DAL_API int dal_row_update(dal_conn *c, const char *table, const dal_field *key, size_t nkey,
                           const dal_field *set, size_t nset, int64_t *affected);

/* DELETE FROM table WHERE key... (nkey >= 1, as for dal_row_update()).
 * *affected (may be NULL) gets the rows deleted. */
DAL_API int dal_row_delete(dal_conn *c, const char *table, const dal_field *key, size_t nkey,
                           int64_t *affected);

/*
 * SELECT columns (NULL or ncols 0: every column) FROM table WHERE key...
 * Returns DAL_ROW with *out a statement standing on the row (read it with
 * dal_stmt_column_*(), close it with dal_stmt_close()), DAL_DONE with *out
 * NULL when no row matches, or an error (*out NULL). With several matching
 * rows, *out stands on one of them.
 */
DAL_API int dal_row_get(dal_conn *c, const char *table, const char *const *columns,
                        size_t ncols, const dal_field *key, size_t nkey, dal_stmt **out);

/* SELECT COUNT(*) FROM table [WHERE where...] (nwhere 0: every row). */
DAL_API int dal_row_count(dal_conn *c, const char *table, const dal_field *where,
                          size_t nwhere, int64_t *out);

/* *out = 1 if a row matches where (nwhere 0: any row), else 0; reads at
 * most one row (SELECT 1 ... LIMIT 1). */
DAL_API int dal_row_exists(dal_conn *c, const char *table, const dal_field *where,
                           size_t nwhere, int *out);

/*
 * Insert nrows rows into table: columns names the ncols columns, values
 * holds nrows * ncols values, row after row. The rows go through
 * dal_stmt_execute_batch() when each column's non-NULL values are of one
 * type, else one at a time through one prepared statement. All rows or
 * none: in one transaction, or inside c's transaction under a savepoint (a
 * nested unit, see dal_conn_begin()). A failure names the row ("row 3 of
 * 500"); a backend without DAL_CAP_TRANSACTIONS gets DAL_EUNSUPPORTED.
 * *inserted (may be NULL) gets the number of rows inserted.
 */
DAL_API int dal_row_insert_many(dal_conn *c, const char *table, const char *const *columns,
                                size_t ncols, const dal_param *values, size_t nrows,
                                int64_t *inserted);

/*
 * Insert the row, or update it when a row with the same key_columns
 * exists (they must carry a unique index or be the primary key). Every
 * field not in key_columns is updated. The form is the one the backend
 * declares (DAL_CAP_UPSERT_CONFLICT or DAL_CAP_UPSERT_DUPLICATE); without
 * either, DAL_EUNSUPPORTED. key_columns must each name one of the fields.
 * *affected (may be NULL) is as the backend counts (MySQL: 1 inserted,
 * 2 updated, 0 unchanged).
 */
DAL_API int dal_row_upsert(dal_conn *c, const char *table, const dal_field *fields, size_t n,
                           const char *const *key_columns, size_t nkey, int64_t *affected);

/* What to list, and which page (dal_row_list()). Zero-initialise, then set. */
typedef struct dal_list_opts {
	const char *const *columns; /* NULL or n_columns 0: every column */
	size_t n_columns;
	const dal_field *where;     /* equality filters, ANDed; may be NULL */
	size_t n_where;
	/* The order, required: columns whose values identify a row (end with
	 * the primary key), so that the order is total and pages are stable. */
	const char *const *order_by;
	size_t n_order;
	int descending;             /* every order column descending */
	int64_t limit;              /* rows per page, >= 1 */
	int64_t offset;             /* offset pagination: rows to skip */
	/* Keyset pagination: the order_by values of the last row of the
	 * previous page (n_order of them); the page starts after it. NULL:
	 * from the start. Cheaper than a large offset and stable while rows
	 * are inserted; do not combine with offset. */
	const dal_param *after;
	int want_total;             /* also count every row matching where */
} dal_list_opts;

/*
 * One page of rows: SELECT columns FROM table WHERE where [AND keyset]
 * ORDER BY order_by LIMIT limit OFFSET offset. On success *out is the
 * prepared, bound statement: step through it (rows are streamed) and
 * close it. With want_total, *total (not NULL then) gets the number of rows
 * matching where, counted first by a separate COUNT(*) on c (take c inside
 * a transaction for a total consistent with the page).
 */
DAL_API int dal_row_list(dal_conn *c, const char *table, const dal_list_opts *opts,
                         dal_stmt **out, int64_t *total);

#ifdef __cplusplus
}
#endif
#endif /* DAL_ROWS_H */
