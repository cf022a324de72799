/*
 * `dal health`: a health check for containers and scripts. It opens the
 * repository, acquires a connection, makes one round trip, notes how the
 * connection is encrypted (dal_conn_tls()) and reads the pool's figures,
 * and it ends within its time limit whatever the database
 * does. Two measures keep that bound:
 *
 *  - The repository is opened with max_retries = 0 and connect, read and
 *    write timeouts of at most the limit less one second, laid over the
 *    user's settings through the layers the tool already uses (the -u URL,
 *    else DB_URL, DB_MAX_RETRIES and the INI section; see apply_limits()),
 *    so that a refused or silent server is reported by the driver itself,
 *    with its own message, without a single retry.
 *  - The check runs in a worker thread; the main thread waits for it with a
 *    deadline on the monotonic clock. When the deadline passes first (a
 *    driver that rounds its timeout up, a name lookup that hangs, a server
 *    that accepted the TCP connection and never speaks), the main thread
 *    prints "unhealthy: DAL_ETIMEOUT" and ends the process with _exit(),
 *    leaving the worker where it is stuck: nothing is torn down under it.
 *
 * health is the only command of its invocation (dal.c enforces it), so it
 * never shares the chain's repository or connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dal/plugin.h>

#include "cli.h"

/* What dal_config_describe() said about the settings that matter here. */
struct described {
	char name[128], type[64], host[256], port[16], path[512];
	char max_retries[16], max_retries_src[128];
	char connect_timeout[16], connect_timeout_src[128];
	int nomem;
};

struct health {
	struct cli *cli;
	unsigned timeout_s;    /* the hard limit */
	unsigned io_timeout_s; /* connect, read and write timeouts for the driver */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Written by the worker and read by the main thread, under mu. */
	int done;              /* the worker has finished: the fields are final */
	const char *phase;     /* what the worker is doing, for the timeout message */
	int rc;                /* DAL_OK when healthy */
	dal_error err;
	char repo[128], backend[64], kind[64], target[600];
	/* How the connection is encrypted: "TLSv1.3 ..." or "" when it is not;
	 * tls_known is 0 until a connection is pinged, and for an embedded
	 * database (no connection to encrypt). */
	char tls[128];
	int tls_known;
	double latency_ms;
	dal_pool_stats pool;
	int have_pool;
};

/* ------------------------------------------------------------------------ */
/* Settings                                                                  */
/* ------------------------------------------------------------------------ */

static void keep(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v ? v : "");
}

static void on_setting(const char *key, const char *value, const char *source,
                       void *userdata)
{
	struct described *d = userdata;

	if (strcmp(key, "repository") == 0)
		keep(d->name, sizeof d->name, value);
	else if (strcmp(key, "type") == 0)
		keep(d->type, sizeof d->type, value);
	else if (strcmp(key, "host") == 0)
		keep(d->host, sizeof d->host, value);
	else if (strcmp(key, "port") == 0)
		keep(d->port, sizeof d->port, value);
	else if (strcmp(key, "path") == 0)
		keep(d->path, sizeof d->path, value);
	else if (strcmp(key, "max_retries") == 0) {
		keep(d->max_retries, sizeof d->max_retries, value);
		keep(d->max_retries_src, sizeof d->max_retries_src, source);
	} else if (strcmp(key, "connect_timeout") == 0) {
		keep(d->connect_timeout, sizeof d->connect_timeout, value);
		keep(d->connect_timeout_src, sizeof d->connect_timeout_src, source);
	}
}

/* Where the repository is: the file of a file database, else host:port (a
 * host list or a socket directory as given). Never holds a password: these
 * settings come from dal_config_describe(), which masks it. */
static void target_of(const struct described *d, char *buf, size_t size)
{
	if (d->path[0] && !d->host[0])
		snprintf(buf, size, "%s", d->path);
	else if (strchr(d->host, ',') || d->host[0] == '/' || !d->port[0])
		snprintf(buf, size, "%s", d->host[0] ? d->host : "localhost");
	else
		snprintf(buf, size, "%s:%s", d->host[0] ? d->host : "localhost", d->port);
}

/* url with `query` added to its query string (before any '#', which the
 * URL parser rejects anyway with its own message); malloc'd, or NULL. */
static char *url_with_query(const char *url, const char *query)
{
	size_t n = strcspn(url, "#");
	const char *sep = memchr(url, '?', n) ? "&" : "?";
	char *out;

	if (n > 0 && (url[n - 1] == '?' || url[n - 1] == '&'))
		sep = "";
	if (asprintf(&out, "%.*s%s%s%s", (int)n, url, sep, query, url + n) < 0)
		return NULL;
	return out;
}

/* Read a whole text file; malloc'd, or NULL with errno set. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *p = realloc(buf, cap = cap ? 2 * cap : 8192);

			if (!p) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		int e = errno;

		free(buf);
		fclose(f);
		errno = e ? e : EIO;
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/*
 * Lay max_retries = 0 and the timeouts over the repository's settings, at
 * the top of the precedence it is resolved with:
 *  - with -u, the URL's query string (the URL outranks everything);
 *  - else DB_URL (or DATABASE_URL) in this process's environment when set,
 *    DB_MAX_RETRIES, and the repository's INI section, which gets the keys
 *    appended: *cfg_out is the configuration re-read with them (the
 *    configuration file, or no file, plus one section at the end).
 * The environment is read for the default repository only; changing it
 * for another is harmless. name: the resolved repository name.
 */
static int apply_limits(struct health *h, const dal_config *cfg, const char *name,
                        dal_config **cfg_out, char **url_out, dal_error *err)
{
	struct cli *cli = h->cli;
	const char *path, *var, *v;
	char query[160];
	char *file = NULL, *text = NULL, *u;
	int rc;

	*cfg_out = NULL;
	*url_out = NULL;
	snprintf(query, sizeof query,
	         "max_retries=0&connect_timeout=%u&read_timeout=%u&write_timeout=%u",
	         h->io_timeout_s, h->io_timeout_s, h->io_timeout_s);
	if (cli->url) {
		if (!(*url_out = url_with_query(cli->url, query)))
			goto nomem;
		return DAL_OK;
	}

	var = "DB_URL";
	if (!(v = getenv(var)) || !*v) {
		var = "DATABASE_URL";
		v = getenv(var);
	}
	if (v && *v) {
		if (!(u = url_with_query(v, query)))
			goto nomem;
		rc = setenv(var, u, 1);
		explicit_bzero(u, strlen(u)); /* it may hold a password */
		free(u);
		if (rc != 0)
			goto nomem;
	}
	if (setenv("DB_MAX_RETRIES", "0", 1) != 0)
		goto nomem;

	path = dal_config_path(cfg);
	if (path && !(file = slurp(path))) {
		int e = errno;

		if (e == ENOMEM)
			goto nomem;
		dal_error_set(err, DAL_ECONFIG, NULL, 0, "cannot read config file '%s': %s",
		              path, strerror(e));
		return DAL_ECONFIG;
	}
	rc = asprintf(&text, "%s\n[%s]\nmax_retries = 0\nconnect_timeout = %u\n"
	              "read_timeout = %u\nwrite_timeout = %u\n", file ? file : "", name,
	              h->io_timeout_s, h->io_timeout_s, h->io_timeout_s);
	if (file) {
		explicit_bzero(file, strlen(file));
		free(file);
	}
	if (rc < 0)
		goto nomem;
	/* Its warnings were logged when the file was first read; the keys
	 * added would only repeat as "set again". */
	cli->mute_log = 1;
	rc = dal_config_parse(cfg_out, text, path, err);
	cli->mute_log = 0;
	explicit_bzero(text, strlen(text));
	free(text);
	return rc;
nomem:
	dal_error_set(err, DAL_ENOMEM, NULL, 0, "out of memory");
	return DAL_ENOMEM;
}

/* ------------------------------------------------------------------------ */
/* The check (worker thread)                                                 */
/* ------------------------------------------------------------------------ */

static void set_phase(struct health *h, const char *phase)
{
	pthread_mutex_lock(&h->mu);
	h->phase = phase;
	pthread_mutex_unlock(&h->mu);
}

static void *health_worker(void *arg)
{
	struct health *h = arg;
	struct cli *cli = h->cli;
	struct described d = { 0 }, lim = { 0 };
	dal_config *cfg = NULL, *cfg2 = NULL;
	dal_repo *repo = NULL;
	dal_conn *conn = NULL;
	dal_pool_stats ps = { 0 };
	dal_error err = { 0 };
	char *url = NULL, target[sizeof h->target];
	const char *kind;
	int64_t ns = 0;
	int rc, have_pool = 0;

	set_phase(h, "reading the configuration");
	if ((rc = dal_config_load(&cfg, cli->config_path, &err)) != DAL_OK)
		goto out;
	if ((rc = dal_config_describe(cfg, cli->repo_name, cli->url, on_setting, &d,
	                              &err)) != DAL_OK)
		goto out;
	target_of(&d, target, sizeof target);
	pthread_mutex_lock(&h->mu);
	keep(h->repo, sizeof h->repo, d.name);
	keep(h->backend, sizeof h->backend, d.type);
	keep(h->target, sizeof h->target, target);
	pthread_mutex_unlock(&h->mu);

	if ((rc = apply_limits(h, cfg, d.name, &cfg2, &url, &err)) != DAL_OK)
		goto out;
	/* Say what the limits became, and from where (dal -v health). */
	if ((rc = dal_config_describe(cfg2 ? cfg2 : cfg, cli->repo_name, url ? url : cli->url,
	                              on_setting, &lim, &err)) != DAL_OK)
		goto out;
	{
		char line[512];

		snprintf(line, sizeof line, "health: limit %u s; max_retries %s (%s), "
		         "connect_timeout %s s (%s)", h->timeout_s, lim.max_retries,
		         lim.max_retries_src, lim.connect_timeout, lim.connect_timeout_src);
		cli_log(cli, DAL_LOG_DEBUG, line);
	}

	set_phase(h, "connecting");
	if ((rc = dal_repo_open(&repo, cfg2 ? cfg2 : cfg, cli->repo_name, url ? url : cli->url,
	                        &err)) != DAL_OK)
		goto out;
	pthread_mutex_lock(&h->mu);
	keep(h->backend, sizeof h->backend, dal_repo_backend(repo));
	kind = dal_repo_server_kind(repo);
	keep(h->kind, sizeof h->kind, kind && *kind ? kind : "unknown");
	pthread_mutex_unlock(&h->mu);

	set_phase(h, "acquiring a connection");
	if ((rc = dal_conn_acquire(repo, &conn, &err)) != DAL_OK)
		goto out;
	set_phase(h, "pinging");
	if ((rc = dal_conn_ping(conn, &ns)) != DAL_OK) {
		err = *dal_conn_error(conn);
		goto out;
	}
	if (!(dal_repo_capabilities(repo) & DAL_CAP_EMBEDDED)) {
		const char *tls = dal_conn_tls(conn);

		pthread_mutex_lock(&h->mu);
		keep(h->tls, sizeof h->tls, tls);
		h->tls_known = 1;
		pthread_mutex_unlock(&h->mu);
	}
	/* Read while this connection is held: it counts as used. */
	have_pool = dal_repo_pool_stats(repo, &ps) == DAL_OK;
out:
	if (rc != DAL_OK && !err.code)
		err.code = rc;
	set_phase(h, "closing");
	dal_conn_release(conn);
	dal_repo_close(repo);
	dal_config_free(cfg);
	dal_config_free(cfg2);
	if (url) {
		explicit_bzero(url, strlen(url));
		free(url);
	}
	pthread_mutex_lock(&h->mu);
	h->rc = rc;
	h->err = err;
	h->latency_ms = (double)ns / 1e6;
	h->pool = ps;
	h->have_pool = have_pool;
	h->done = 1;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* The report (main thread)                                                  */
/* ------------------------------------------------------------------------ */

/* A JSON string, or null for an empty one; s already cleaned. */
static void json_or_null(const char *s)
{
	if (s && *s)
		json_string(stdout, s, strlen(s));
	else
		fputs("null", stdout);
}

/* Print the outcome in h (mu held or the worker finished). */
static void report(const struct health *h, int json)
{
	const struct cli *cli = h->cli;
	char msg[2 * DAL_ERROR_MESSAGE_SIZE], target[sizeof h->target + 64];
	char repo[sizeof h->repo + 64], backend[sizeof h->backend + 64];
	char kind[sizeof h->kind + 64], tls[sizeof h->tls + 64];
	int code = h->err.code ? h->err.code : DAL_EBACKEND;

	if (cli->quiet)
		return;
	/* Names and places come from the settings, already without a
	 * password; cleaned anyway, as every line the tool prints. */
	cli_clean(cli, h->repo, repo, sizeof repo);
	cli_clean(cli, h->backend, backend, sizeof backend);
	cli_clean(cli, h->kind, kind, sizeof kind);
	cli_clean(cli, h->target, target, sizeof target);
	cli_clean(cli, h->tls, tls, sizeof tls);
	if (h->rc != DAL_OK)
		cli_clean(cli, h->err.message[0] ? h->err.message : dal_strerror(code), msg,
		          sizeof msg);
	if (!json) {
		if (h->rc == DAL_OK) {
			printf("healthy: %s %s at %s, ping %.3f ms, pool %u/%u used", backend,
			       kind, target, h->latency_ms, h->pool.used, h->pool.max);
			if (h->tls_known)
				printf(", tls: %s", tls[0] ? tls : "none");
			putchar('\n');
		} else
			printf("unhealthy: %s: %s\n", dal_code_name(code), msg);
		return;
	}
	printf("{\"status\":\"%s\",\"repository\":", h->rc == DAL_OK ? "healthy" : "unhealthy");
	json_or_null(repo);
	fputs(",\"backend\":", stdout);
	json_or_null(backend);
	fputs(",\"server_kind\":", stdout);
	json_or_null(kind);
	fputs(",\"target\":", stdout);
	json_or_null(target);
	if (h->rc == DAL_OK) {
		printf(",\"latency_ms\":%.3f,\"pool\":", h->latency_ms);
		if (h->have_pool)
			json_pool(stdout, &h->pool);
		else
			fputs("null", stdout);
	} else {
		fputs(",\"latency_ms\":null,\"pool\":null", stdout);
	}
	/* encrypted: true or false; with tls, the protocol and cipher (null
	 * when not encrypted). Both null when not known: unhealthy, or an
	 * embedded database. */
	if (h->rc == DAL_OK && h->tls_known) {
		printf(",\"encrypted\":%s,\"tls\":", tls[0] ? "true" : "false");
		json_or_null(tls);
	} else {
		fputs(",\"encrypted\":null,\"tls\":null", stdout);
	}
	printf(",\"timeout_s\":%u,\"error\":", h->timeout_s);
	if (h->rc == DAL_OK) {
		fputs("null", stdout);
	} else {
		printf("{\"code\":\"%s\",\"message\":", dal_code_name(code));
		json_string(stdout, msg, strlen(msg));
		fputs(",\"sqlstate\":", stdout);
		if (h->err.sqlstate[0] && strcmp(h->err.sqlstate, "00000") != 0 &&
		    strcmp(h->err.sqlstate, "HY000") != 0)
			json_string(stdout, h->err.sqlstate, strnlen(h->err.sqlstate, 5));
		else
			fputs("null", stdout);
		fputc('}', stdout);
	}
	fputs("}\n", stdout);
}

int cmd_health(struct cli *cli, const struct command *cmd)
{
	struct health h = { .cli = cli, .timeout_s = cmd->timeout_s };
	pthread_condattr_t ca;
	struct timespec deadline;
	pthread_t worker;
	int rc = 0;

	/* The driver's own timeouts a second short of the limit, so that its
	 * message (refused, timed out) usually arrives before the limit. */
	h.io_timeout_s = h.timeout_s > 1 ? h.timeout_s - 1 : 1;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)h.timeout_s;
	pthread_mutex_init(&h.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h.cv, &ca);
	pthread_condattr_destroy(&ca);

	if ((rc = pthread_create(&worker, NULL, health_worker, &h)) != 0) {
		h.rc = DAL_ENOMEM;
		dal_error_set(&h.err, DAL_ENOMEM, NULL, 0, "cannot start the check's thread: %s",
		              strerror(rc));
		report(&h, cmd->format == FMT_JSON);
		return EXIT_RUNTIME;
	}
	pthread_mutex_lock(&h.mu);
	while (!h.done) {
		/* ETIMEDOUT, or a failure to wait: either way, no more waiting. */
		if ((rc = pthread_cond_timedwait(&h.cv, &h.mu, &deadline)) != 0)
			break;
	}
	if (!h.done) {
		/* The worker is stuck (it cannot change h while mu is held):
		 * report, and end the process without waiting for it or
		 * tearing down anything it may be using. */
		h.rc = DAL_ETIMEOUT;
		if (h.target[0])
			dal_error_set(&h.err, DAL_ETIMEOUT, NULL, 0,
			              "no answer from %s at %s within %u s (while %s)",
			              h.backend[0] ? h.backend : "the database", h.target,
			              h.timeout_s, h.phase ? h.phase : "starting");
		else
			dal_error_set(&h.err, DAL_ETIMEOUT, NULL, 0,
			              "no result within %u s (while %s)", h.timeout_s,
			              h.phase ? h.phase : "starting");
		report(&h, cmd->format == FMT_JSON);
		fflush(stdout);
		_exit(EXIT_RUNTIME);
	}
	pthread_mutex_unlock(&h.mu);
	pthread_join(worker, NULL);
	pthread_cond_destroy(&h.cv);
	pthread_mutex_destroy(&h.mu);
	report(&h, cmd->format == FMT_JSON);
	return h.rc == DAL_OK ? EXIT_OK : EXIT_RUNTIME;
}
