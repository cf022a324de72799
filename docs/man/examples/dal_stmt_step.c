#include <dal/dal.h>
#include <stdio.h>

/* Read every row, telling the end of the rows from a failure. */
static int print_rows(dal_conn *c, const char *sql)
{
	dal_stmt *st;
	int rc;

	if (dal_stmt_prepare(c, sql, &st) != DAL_OK) {
		fprintf(stderr, "%s\n", dal_conn_error(c)->message);
		return -1;
	}
	while ((rc = dal_stmt_step(st)) == DAL_ROW)
		printf("%lld\n", (long long)dal_stmt_column_int64(st, 0));
	if (rc != DAL_DONE)
		fprintf(stderr, "%s [%s]\n", dal_stmt_error(st)->message,
		        dal_stmt_error(st)->sqlstate);
	dal_stmt_close(st);
	return rc == DAL_DONE ? 0 : -1;
}

int main(void)
{
	dal_repo *repo;
	dal_conn *c;
	dal_error err;
	int rc = 1;

	if (dal_repo_open_url(&repo, "sqlite::memory:", &err) != DAL_OK)
		return 1;
	if (dal_conn_acquire(repo, &c, &err) == DAL_OK) {
		rc = print_rows(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
		                   "SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n") != 0;
		dal_conn_release(c);
	}
	dal_repo_close(repo);
	return rc;
}
