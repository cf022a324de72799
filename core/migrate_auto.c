/*
 * auto_migrate = on: the pending migrations of a repository are applied
 * when it is opened (repo.c calls mig_auto() once the first connection is
 * pooled), once per process and database: later opens of the same target
 * with the same directory skip the check. The migration itself takes the
 * same lock as `dal migrate up`, so processes starting together are safe;
 * within a process, this mutex makes concurrent opens wait for the first.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_int.h"

static int auto_off; /* dal_auto_migrate_set(0) */
static pthread_mutex_t auto_lock = PTHREAD_MUTEX_INITIALIZER;
static char **done;  /* keys of the targets migrated by this process */
static size_t n_done;

static int is_done(const char *key)
{
	for (size_t i = 0; i < n_done; i++)
		if (strcmp(done[i], key) == 0)
			return 1;
	return 0;
}

void dal_auto_migrate_set(int on)
{
	__atomic_store_n(&auto_off, !on, __ATOMIC_RELAXED);
}

int mig_auto(dal_repo *repo, const char *target, dal_error *err)
{
	const char *dir = dal_repo_migrations_dir(repo);
	dal_migrator *m = NULL;
	char *key = NULL;
	int rc;

	if (__atomic_load_n(&auto_off, __ATOMIC_RELAXED))
		return DAL_OK;
	if (asprintf(&key, "%s\n%s\n%s", dal_repo_backend(repo), target ? target : "",
	             dir ? dir : "") < 0)
		return mig_error(err, DAL_ENOMEM, "out of memory");
	pthread_mutex_lock(&auto_lock);
	if (is_done(key)) {
		pthread_mutex_unlock(&auto_lock);
		free(key);
		return DAL_OK;
	}
	rc = dal_migrator_open(&m, repo, NULL, err);
	if (rc == DAL_OK)
		rc = dal_migrator_up(m, -1, NULL, err);
	dal_migrator_close(m);
	if (rc == DAL_OK) {
		char **d = realloc(done, (n_done + 1) * sizeof *done);
		/* Out of memory here only costs a second check later. */
		if (d) {
			done = d;
			done[n_done++] = key;
			key = NULL;
		}
	} else {
		char what[200];

		snprintf(what, sizeof what, "repository '%s': auto_migrate", dal_repo_name(repo));
		mig_prefix(err, what, err->message);
	}
	pthread_mutex_unlock(&auto_lock);
	free(key);
	return rc;
}
