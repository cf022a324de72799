#include <dal/dal.h>
#include <stdio.h>

/* What a repository and a connection say about themselves. */
int main(int argc, char **argv)
{
	dal_repo *repo;
	dal_conn *c;
	dal_error err;
	int64_t ns, n;

	printf("libdal %s\n", dal_version());
	if (dal_repo_open_url(&repo, argc > 1 ? argv[1] : "sqlite::memory:", &err) != DAL_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	printf("repository %s: backend %s, server %s, capabilities %#x, telemetry %s\n",
	       dal_repo_name(repo), dal_repo_backend(repo), dal_repo_server_kind(repo),
	       dal_repo_capabilities(repo), dal_repo_telemetry_enabled(repo) ? "on" : "off");
	/* One-shot calls take a pooled connection for the call. */
	if (dal_repo_ping(repo, &ns, &err) == DAL_OK)
		printf("ping %.3f ms\n", ns / 1e6);
	dal_repo_exec(repo, "CREATE TEMPORARY TABLE scratch (x)", &n, &err);
	if (dal_conn_acquire(repo, &c, &err) == DAL_OK) {
		const char *version = dal_conn_server_version(c), *tls = dal_conn_tls(c);

		if (dal_conn_ping(c, &ns) == DAL_OK)
			printf("server %s, tls %s, %.3f ms\n", version ? version : "?",
			       tls ? tls : "none", ns / 1e6);
		dal_conn_release(c);
	}
	dal_repo_close(repo);
	return 0;
}
