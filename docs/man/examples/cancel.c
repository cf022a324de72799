#include <dal/dal.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static void *stop_soon(void *arg)
{
	struct timespec t = {0, 200 * 1000 * 1000};

	nanosleep(&t, NULL);
	dal_conn_cancel(arg); /* the one call allowed from another thread */
	return NULL;
}

/* Stop a long statement from another thread (DAL_CAP_CANCEL). */
int main(void)
{
	dal_repo *repo;
	dal_conn *c;
	dal_error err;
	pthread_t t;
	int rc;

	if (dal_repo_open_url(&repo, "sqlite::memory:", &err) != DAL_OK ||
	    dal_conn_acquire(repo, &c, &err) != DAL_OK)
		return 1;
	if (!(dal_repo_capabilities(repo) & DAL_CAP_CANCEL))
		return 0;
	pthread_create(&t, NULL, stop_soon, c);
	rc = dal_conn_exec(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
	                      "FROM n WHERE i < 3000000000) SELECT count(*) FROM n", NULL);
	pthread_join(t, NULL);
	printf("%s: %s\n", dal_code_name(rc), dal_conn_error(c)->message); /* DAL_ECANCELED */
	dal_conn_release(c);
	dal_repo_close(repo);
	return rc == DAL_ECANCELED ? 0 : 1;
}
