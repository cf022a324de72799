#include <dal/dal.h>
#include <stdio.h>

/* Prepare once, run many times with new bindings. */
int main(void)
{
	dal_repo *repo;
	dal_conn *c;
	dal_stmt *ins, *sel;
	dal_error err;

	if (dal_repo_open_url(&repo, "sqlite::memory:", &err) != DAL_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	if (dal_conn_acquire(repo, &c, &err) != DAL_OK) {
		fprintf(stderr, "%s\n", err.message);
		dal_repo_close(repo);
		return 1;
	}
	dal_conn_exec(c, "CREATE TABLE t (id INTEGER, name TEXT)", NULL);
	if (dal_stmt_prepare(c, "INSERT INTO t VALUES (?, :name)", &ins) != DAL_OK) {
		fprintf(stderr, "prepare: %s\n", dal_conn_error(c)->message);
		return 1;
	}
	for (int i = 1; i <= 3; i++) {
		dal_stmt_reset(ins);
		dal_stmt_bind_int64(ins, 1, i);
		dal_stmt_bind_named_text(ins, "name", i == 2 ? "two" : "other", -1);
		if (dal_stmt_step(ins) != DAL_DONE)
			fprintf(stderr, "insert: %s\n", dal_stmt_error(ins)->message);
	}
	dal_stmt_close(ins);

	if (dal_stmt_prepare(c, "SELECT name FROM t WHERE id = ?", &sel) == DAL_OK) {
		dal_stmt_bind_int64(sel, 1, 2);
		if (dal_stmt_step(sel) == DAL_ROW)
			printf("%s\n", dal_stmt_column_text(sel, 0, NULL));
		dal_stmt_close(sel);
	}
	dal_conn_release(c);
	dal_repo_close(repo);
	return 0;
}
