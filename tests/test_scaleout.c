/*
 * Check suite for read/write routing without a cluster (core/route.c,
 * docs/scale-out.md): the replicas and max_replica_lag settings from every
 * source and their errors; on the single test servers (DAL_TEST_MYSQL_URL,
 * DAL_TEST_PGSQL_URL), the replica pool, the fallback to the primary when
 * no replica answers, the node a connection reached, and the per-node
 * figures. The real clusters are test_cluster.c's.
 */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dal/dal.h>

#include "settings.h"
#include "testutil.h"

static int resolve(const dal_config *cfg, const char *name, const char *url,
                   struct dal_settings *s, dal_error *e)
{
	return settings_resolve(cfg, name, url, settings_is_default(cfg, name), s, e);
}

START_TEST(test_scaleout_replicas_from_ini_url_and_env)
{
	dal_config *cfg = tu_config_parse("[main]\ntype = pgsql\nhost = p1\npassword = x\n"
	                                  "replicas = r1:5433, r2\nmax_replica_lag = 2.5\n");
	struct dal_settings s;
	dal_error e;

	ck_assert_msg(resolve(cfg, NULL, NULL, &s, &e) == DAL_OK, "%s", e.message);
	ck_assert_str_eq(s.value[SK_REPLICAS], "r1:5433, r2");
	ck_assert_str_eq(s.source[SK_REPLICAS], "t.ini:5");
	ck_assert_uint_eq(s.max_replica_lag_ms, 2500);
	settings_free(&s);

	setenv("DB_REPLICAS", "envr:6000", 1);
	setenv("DB_MAX_REPLICA_LAG", "0.5", 1);
	ck_assert_msg(resolve(cfg, NULL, NULL, &s, &e) == DAL_OK, "%s", e.message);
	ck_assert_str_eq(s.value[SK_REPLICAS], "envr:6000");
	ck_assert_uint_eq(s.max_replica_lag_ms, 500);
	settings_free(&s);
	unsetenv("DB_REPLICAS");
	unsetenv("DB_MAX_REPLICA_LAG");

	ck_assert_msg(resolve(NULL, NULL, "postgresql://u:pw@p1/db?replicas=u1:7000,u2"
	                      "&max_replica_lag=1", &s, &e) == DAL_OK, "%s", e.message);
	ck_assert_str_eq(s.value[SK_REPLICAS], "u1:7000,u2");
	ck_assert_uint_eq(s.max_replica_lag_ms, 1000);
	settings_free(&s);
	dal_config_free(cfg);
}
END_TEST

/* Each bad value: DAL_ECONFIG naming the key and where it came from. */
START_TEST(test_scaleout_bad_replicas_refused)
{
	static const struct {
		const char *ini, *want1, *want2;
	} cases[] = {
		{"[main]\ntype = sqlite\npath = x.db\nreplicas = r1\n", "t.ini:4",
		 "file database, which has no replicas"},
		{"[main]\ntype = pgsql\nhost = p\npassword = x\nreplicas = r1:99999\n", "t.ini:5",
		 "replicas"},
		{"[main]\ntype = pgsql\nhost = p\npassword = x\nreplicas = ,\n", "t.ini:5",
		 "replicas"},
		{"[main]\ntype = pgsql\nhost = p\npassword = x\nmax_replica_lag = soon\n", "t.ini:5",
		 "max_replica_lag"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		dal_config *cfg = tu_config_parse(cases[i].ini);
		struct dal_settings s;
		dal_error e;

		ck_assert_int_eq(resolve(cfg, NULL, NULL, &s, &e), DAL_ECONFIG);
		ck_assert_msg(tu_contains(e.message, cases[i].want1) &&
		              tu_contains(e.message, cases[i].want2), "case %zu: %s", i, e.message);
		dal_config_free(cfg);
	}
}
END_TEST

/* Without replicas, read-only checkouts are ordinary ones; misuse is
 * refused; a file database has no server address. */
START_TEST(test_scaleout_sqlite_without_replicas)
{
	dal_repo *r;
	dal_conn *c;
	dal_error e;
	dal_pool_node nodes[4];
	size_t n = 9;

	ck_assert_int_eq(dal_repo_open_url(&r, "sqlite::memory:", &e), DAL_OK);
	ck_assert_int_eq(dal_conn_acquire_ro(r, NULL, &e), DAL_EMISUSE);
	ck_assert_int_eq(dal_conn_acquire_ro(NULL, &c, &e), DAL_EMISUSE);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(dal_conn_acquire_ro(r, &c, &e), DAL_OK);
	ck_assert_ptr_null(dal_conn_server_address(c, NULL));
	ck_assert_int_eq(dal_conn_exec(c, "CREATE TABLE t (a)", NULL), DAL_OK);
	dal_conn_release(c);
	ck_assert_int_eq(dal_repo_pool_nodes(r, nodes, 4, NULL), DAL_EMISUSE);
	ck_assert_int_eq(dal_repo_pool_nodes(r, NULL, 4, &n), DAL_EMISUSE);
	ck_assert_int_eq(dal_repo_pool_nodes(r, nodes, 4, &n), DAL_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(nodes[0].replica_pool, 0);
	ck_assert_uint_ge(nodes[0].acquired, 1);
	dal_repo_close(r);
}
END_TEST

/* ---- on the single test servers ------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const url_vars[] = {"DAL_TEST_MYSQL_URL", "DAL_TEST_PGSQL_URL"};

static unsigned warnings;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_sink(dal_log_level level, const char *msg, void *ud)
{
	(void)ud;
	pthread_mutex_lock(&log_lock);
	if (level == DAL_LOG_WARN && strstr(msg, "no usable replica"))
		warnings++;
	pthread_mutex_unlock(&log_lock);
}

/* The "host:port" of a URL "scheme://user:pw@host:port/db". */
static void url_hostport(const char *url, char *out, size_t size)
{
	const char *at = strchr(url, '@'), *slash = at ? strchr(at, '/') : NULL;

	ck_assert_ptr_nonnull(slash);
	snprintf(out, size, "%.*s", (int)(slash - at - 1), at + 1);
}

static dal_repo *open_with(const char *base, const char *query)
{
	char *u;
	dal_repo *r;
	dal_error e;

	ck_assert(asprintf(&u, "%s%s%s", base, strchr(base, '?') ? "&" : "?", query) > 0);
	ck_assert_msg(dal_repo_open(&r, NULL, NULL, u, &e) == DAL_OK, "%s", e.message);
	free(u);
	return r;
}

/* replicas = the same server: read-only checkouts come from the replica
 * pool, and the figures tell the two pools apart. */
START_TEST(test_scaleout_replica_pool_serves_reads)
{
	const char *base = getenv(url_vars[_i]);
	char hp[128], q[256];
	dal_pool_node nodes[4];
	dal_pool_stats ps;
	unsigned port;
	size_t n = 0;
	dal_repo *r;
	dal_conn *c, *c2;
	dal_error e;
	int ro = -1, rw = -1;

	if (!base || !*base) {
		printf("SKIP: %s unset\n", url_vars[_i]);
		return;
	}
	url_hostport(base, hp, sizeof hp);
	snprintf(q, sizeof q, "replicas=%s&pool_size=2", hp);
	r = open_with(base, q);
	ck_assert_int_eq(dal_conn_acquire(r, &c, &e), DAL_OK);
	ck_assert_msg(dal_conn_acquire_ro(r, &c2, &e) == DAL_OK, "%s", e.message);
	ck_assert_str_eq(dal_conn_server_address(c2, &port), "127.0.0.1");
	ck_assert_uint_eq(port, (unsigned)strtoul(strrchr(hp, ':') + 1, NULL, 10));
	dal_conn_release(c2);
	dal_conn_release(c);
	ck_assert_int_eq(dal_repo_pool_nodes(r, nodes, 4, &n), DAL_OK);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(nodes[i].port, port);
		ck_assert_uint_eq(nodes[i].open, 1);
		ck_assert_uint_eq(nodes[i].acquired, 1);
		if (nodes[i].replica_pool)
			ro = (int)i;
		else
			rw = (int)i;
	}
	ck_assert(ro >= 0 && rw >= 0);
	/* The exports name each node and pool. */
	{
		char buf[65536], want[160];
		long len = dal_repo_metrics_format(r, DAL_METRICS_PROMETHEUS, buf, sizeof buf);

		ck_assert_int_gt(len, 0);
		snprintf(want, sizeof want, "server_address=\"127.0.0.1\",server_port=\"%u\","
		         "dal_pool=\"replicas\"} 1", port);
		ck_assert_msg(tu_contains(buf, want), "no %s in the Prometheus text", want);
		len = dal_repo_metrics_format(r, DAL_METRICS_JSON, buf, sizeof buf);
		ck_assert_int_gt(len, 0);
		snprintf(want, sizeof want, "\"server.port\":%u,\"pool\":\"replicas\",\"open\":1,"
		         "\"acquired\":1", port);
		ck_assert_msg(tu_contains(buf, want), "no %s in the JSON", want);
	}
	/* The repository's pool figures count both pools. */
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_eq(ps.idle, 2);
	ck_assert_uint_eq(ps.acquired, 2);
	dal_repo_close(r);
}
END_TEST

/* No replica answers: reads go to the primary at once, with one warning,
 * and the replicas are left alone for a second. */
START_TEST(test_scaleout_dead_replica_falls_back_to_primary)
{
	const char *base = getenv(url_vars[_i]);
	dal_pool_node nodes[4];
	size_t n = 0;
	dal_repo *r;
	dal_conn *c;
	dal_error e;
	double t0;

	if (!base || !*base) {
		printf("SKIP: %s unset\n", url_vars[_i]);
		return;
	}
	/* Port 1 on loopback: nothing listens, the connect is refused. */
	r = open_with(base, "replicas=127.0.0.1:1&max_retries=3&retry_delay=1");
	dal_log_set(log_sink, NULL);
	warnings = 0;
	t0 = now_s();
	ck_assert_msg(dal_conn_acquire_ro(r, &c, &e) == DAL_OK, "%s", e.message);
	/* No connect retries for a replica: the fallback is immediate. */
	ck_assert_msg(now_s() - t0 < 0.9, "fallback took %.2f s", now_s() - t0);
	ck_assert_int_eq(dal_conn_exec(c, "SELECT 1", NULL), DAL_OK);
	dal_conn_release(c);
	ck_assert_int_eq(dal_conn_acquire_ro(r, &c, &e), DAL_OK);
	dal_conn_release(c);
	ck_assert_uint_eq(warnings, 1); /* the second read did not try again */
	ck_assert_int_eq(dal_repo_pool_nodes(r, nodes, 4, &n), DAL_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(nodes[0].replica_pool, 0);
	ck_assert_uint_eq(nodes[0].acquired, 2);
	/* More than the second: the pool reads a coarse clock (a tick or more
	 * behind on a loaded machine), and a 1.000 s sleep lost that race in a
	 * CI run. */
	usleep(1300 * 1000);
	ck_assert_int_eq(dal_conn_acquire_ro(r, &c, &e), DAL_OK);
	dal_conn_release(c);
	ck_assert_uint_eq(warnings, 2); /* tried again after a second */
	dal_log_set(NULL, NULL);
	dal_repo_close(r);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	/* The cases resolve server repositories (replicas are for servers). */
	if (!tu_backends_built("mysql pgsql"))
		return 77; /* automake's SKIP: an only-SQLite build */
	s = suite_create("scaleout");
	tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_scaleout_replicas_from_ini_url_and_env);
	tcase_add_test(tc, test_scaleout_bad_replicas_refused);
	tcase_add_test(tc, test_scaleout_sqlite_without_replicas);
	tcase_add_loop_test(tc, test_scaleout_replica_pool_serves_reads, 0, 2);
	tcase_add_loop_test(tc, test_scaleout_dead_replica_falls_back_to_primary, 0, 2);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
