/*
 * backend_sqlite: result columns, the fetch path. column_value() hands out
 * pointers into SQLite's own row buffer; nothing is allocated per row.
 */
#include "sqlite_int.h"

unsigned sqb_column_count(dal_bstmt *s)
{
	return s->ncols;
}

/* The names copied at prepare (copy_names()). */
const char *sqb_column_name(dal_bstmt *s, unsigned col)
{
	return col < s->ncols ? s->names[col] : NULL;
}

/*
 * One sqlite3_column_value() per column, then the sqlite3_value_*() readers:
 * every sqlite3_column_*() call enters and leaves the connection's API
 * wrapper, so asking column_type() and then column_int64() (or text() and
 * bytes()) paid that two or three times per column. Reading an unprotected
 * sqlite3_value this way is safe only without concurrent use of the
 * connection, which the plugin contract guarantees (one thread per
 * connection; opened NOMUTEX).
 */
void sqb_column_value(dal_bstmt *s, unsigned col, dal_value *out)
{
	sqlite3_value *v = sqlite3_column_value(s->st, (int)col);

	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		out->u.i = (int64_t)sqlite3_value_int64(v);
		out->type = DAL_TYPE_INT64;
		if (col < 64 && (s->boolcols >> col & 1)) {
			out->type = DAL_TYPE_BOOL;
			out->u.i = out->u.i != 0;
		}
		return;
	case SQLITE_FLOAT:
		out->type = DAL_TYPE_DOUBLE;
		out->u.d = sqlite3_value_double(v);
		return;
	case SQLITE_TEXT:
		/* text before bytes: bytes then describes the UTF-8 form. */
		out->u.b.ptr = sqlite3_value_text(v);
		out->u.b.len = (size_t)sqlite3_value_bytes(v);
		/* NULL here means out of memory; there is no way to report it. */
		out->type = out->u.b.ptr ? DAL_TYPE_TEXT : DAL_TYPE_NULL;
		return;
	case SQLITE_BLOB:
		out->type = DAL_TYPE_BLOB;
		out->u.b.ptr = sqlite3_value_blob(v);
		out->u.b.len = (size_t)sqlite3_value_bytes(v);
		if (!out->u.b.ptr) /* an empty blob */
			out->u.b.ptr = "", out->u.b.len = 0;
		return;
	default:
		out->type = DAL_TYPE_NULL;
		return;
	}
}
