#include <dal/dal.h>
#include <stdio.h>

/* Every type, bound by position and by name, and read back with the
 * column getters. */
int main(void)
{
	static const unsigned char bytes[] = {0x00, 0xff, 0x10};
	dal_repo *repo;
	dal_conn *c;
	dal_stmt *st;
	dal_error err;
	size_t len;

	if (dal_repo_open_url(&repo, "sqlite::memory:", &err) != DAL_OK ||
	    dal_conn_acquire(repo, &c, &err) != DAL_OK)
		return 1;
	dal_conn_exec(c, "CREATE TABLE v (n INTEGER, i INTEGER, d REAL, t TEXT, b BLOB, "
	                 "ok BOOLEAN, who TEXT)", NULL);
	if (dal_stmt_prepare(c, "INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, :who)", &st) != DAL_OK)
		return 1;
	printf("%u parameters, :who is %u\n", dal_stmt_param_count(st),
	       dal_stmt_param_index(st, "who"));
	dal_stmt_bind_null(st, 1);
	dal_stmt_bind_int64(st, 2, INT64_MAX);
	dal_stmt_bind_double(st, 3, 0.1);
	dal_stmt_bind_text(st, 4, "héllo", -1); /* -1: NUL-terminated */
	dal_stmt_bind_blob(st, 5, bytes, sizeof bytes);
	dal_stmt_bind_bool(st, 6, 1);
	dal_stmt_bind_named_text(st, "who", "ada", -1);
	if (dal_stmt_step(st) != DAL_DONE)
		fprintf(stderr, "%s\n", dal_stmt_error(st)->message);
	printf("%lld row(s) inserted\n", (long long)dal_stmt_rows_affected(st));
	dal_stmt_reset(st); /* run it again, changing one binding */
	dal_stmt_bind_named_int64(st, "who", 42);
	dal_stmt_step(st);
	dal_stmt_close(st);

	if (dal_stmt_prepare(c, "SELECT n, i, d, t, b, ok, who FROM v", &st) != DAL_OK)
		return 1;
	while (dal_stmt_step(st) == DAL_ROW) {
		const unsigned char *b = dal_stmt_column_blob(st, 4, &len);

		printf("%s is %s; ", dal_stmt_column_name(st, 0),
		       dal_stmt_column_is_null(st, 0) ? "NULL" : "set");
		printf("%lld %g %s %zu bytes (first %02x) %s; ",
		       (long long)dal_stmt_column_int64(st, 1), dal_stmt_column_double(st, 2),
		       dal_stmt_column_text(st, 3, NULL), len, b ? b[0] : 0,
		       dal_stmt_column_bool(st, 5) ? "true" : "false");
		/* who holds text, then an integer: the type says which */
		if (dal_stmt_column_type(st, 6) == DAL_TYPE_INT64)
			printf("who = %lld (%u columns)\n", (long long)dal_stmt_column_int64(st, 6),
			       dal_stmt_column_count(st));
		else
			printf("who = %s (%u columns)\n", dal_stmt_column_text(st, 6, NULL),
			       dal_stmt_column_count(st));
	}
	dal_stmt_close(st);
	dal_conn_release(c);
	dal_repo_close(repo);
	return 0;
}
