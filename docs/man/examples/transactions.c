#include <dal/dal.h>
#include <stdio.h>

/* A transaction by hand on one connection (dal_repo_transact() adds the
 * retries). */
int main(void)
{
	dal_repo *repo;
	dal_conn *c;
	dal_error err;
	int64_t id = 0, n = 0;

	if (dal_repo_open_url(&repo, "sqlite::memory:", &err) != DAL_OK ||
	    dal_conn_acquire(repo, &c, &err) != DAL_OK)
		return 1;
	dal_conn_exec(c, "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)", NULL);
	if (dal_conn_begin(c) != DAL_OK)
		return 1;
	if (dal_conn_exec(c, "INSERT INTO item (name) VALUES ('x')", &n) == DAL_OK &&
	    (dal_repo_capabilities(dal_conn_repo(c)) & DAL_CAP_LAST_INSERT_ID) &&
	    dal_conn_last_insert_id(c, &id) == DAL_OK)
		printf("inserted %lld row, id %lld\n", (long long)n, (long long)id);
	dal_conn_rollback(c); /* or dal_conn_commit(c) */
	dal_conn_begin(c);
	dal_conn_exec(c, "INSERT INTO item (name) VALUES ('y')", NULL);
	if (dal_conn_commit(c) != DAL_OK)
		fprintf(stderr, "commit: %s\n", dal_conn_error(c)->message);
	dal_conn_release(c);
	dal_repo_close(repo);
	return 0;
}
