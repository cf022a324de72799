#include <dal/dal.h>
#include <stdio.h>

/* A connection is one thread's between acquire and release; the repository
 * is shared. */
int main(void)
{
	dal_repo *repo;
	dal_conn *c;
	dal_error err;
	int64_t ns;

	if (dal_repo_open_url(&repo, "sqlite::memory:?pool_timeout=2", &err) != DAL_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	if (dal_conn_acquire(repo, &c, &err) != DAL_OK) {
		/* DAL_ETIMEOUT: every connection of the pool stayed in use. */
		fprintf(stderr, "%s: %s\n", dal_code_name(err.code), err.message);
		dal_repo_close(repo);
		return 1;
	}
	if (dal_conn_ping(c, &ns) == DAL_OK)
		printf("round trip %lld ns\n", (long long)ns);
	dal_conn_release(c); /* back to the pool; an open transaction is rolled back */
	dal_repo_close(repo);
	return 0;
}
