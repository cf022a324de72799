/*
 * Repositories: resolving settings, loading the backend, connecting with
 * retries and backoff, installing the telemetry decorator, and the
 * connection-level calls (exec, ping, transactions).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "loader.h"
#include "settings.h"
#include "telemetry.h"

const char *dal_version(void)
{
	return DAL_VERSION_STRING;
}

/* Options that apply to the loaded backend: URL query options (backend
 * NULL) and [name.<x>] sections where x is the backend's name or alias. */
static int collect_options(const struct dal_settings *s, const struct loaded_plugin *lp,
                           dal_option **out, size_t *n)
{
	dal_option *opts = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!s->n_options)
		return DAL_OK;
	opts = calloc(s->n_options, sizeof *opts);
	if (!opts)
		return DAL_ENOMEM;
	for (size_t i = 0; i < s->n_options; i++) {
		const struct setting_option *o = &s->options[i];
		if (o->backend && !loader_matches(lp, o->backend)) {
			dal_log_emit(DAL_LOG_DEBUG, "%s: [%s.%s] ignored: repository '%s' uses %s",
			             o->origin, s->name, o->backend, s->name, lp->reg.name);
			continue;
		}
		opts[k].key = o->key;
		opts[k].value = o->value;
		opts[k].origin = o->origin;
		k++;
	}
	*out = opts;
	*n = k;
	return DAL_OK;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Delay before retry `attempt` (1-based): retry_delay * 2^(attempt-1) with
 * +-25% jitter, so that clients restarted together do not reconnect in step. */
static unsigned backoff_ms(unsigned retry_delay_s, unsigned attempt)
{
	unsigned long long base = (unsigned long long)retry_delay_s * 1000u;
	unsigned shift = attempt - 1 < 16 ? attempt - 1 : 16;
	unsigned long long ms = base << shift;
	unsigned long long span;

	if (ms > 300000)
		ms = 300000; /* cap a single wait at 5 minutes */
	span = ms / 2;
	if (span)
		ms = ms - ms / 4 + (unsigned long long)random() % (span + 1);
	return (unsigned)ms;
}

static int connect_with_retries(dal_repo *r, const struct dal_settings *s,
                                struct core_connect_params *cp, dal_error *err)
{
	unsigned attempts = (r->plugin->reg.capabilities & DAL_CAP_EMBEDDED) ? 1 : s->max_retries + 1;
	int rc = DAL_ECONNECT;

	for (unsigned a = 1; a <= attempts; a++) {
		rc = r->drv->connect(&cp->pub, &r->conn, err);
		if (rc == DAL_OK) {
			if (a > 1)
				dal_log_emit(DAL_LOG_INFO, "%s: connected on attempt %u of %u", r->name,
				             a, attempts);
			return DAL_OK;
		}
		if (!dal_code_is_transient(rc) || a == attempts)
			break;
		{
			unsigned ms = backoff_ms(s->retry_delay, a);
			dal_log_emit(DAL_LOG_WARN, "%s: connect attempt %u of %u failed (%s: %s); "
			             "retrying in %u ms",
			             r->name, a, attempts, dal_code_name(rc), err->message, ms);
			sleep_ms(ms);
		}
	}
	if (attempts > 1 && dal_code_is_transient(rc)) {
		char msg[DAL_ERROR_MESSAGE_SIZE];
		memcpy(msg, err->message, sizeof msg);
		snprintf(err->message, sizeof err->message, "%.*s (gave up after %u attempts)",
		         (int)(sizeof err->message - 40), msg, attempts);
	}
	return rc;
}

static int open_resolved(dal_repo **out, const struct dal_settings *s, dal_error *err)
{
	const struct loaded_plugin *lp;
	struct core_connect_params cp;
	dal_option *opts = NULL;
	size_t nopts = 0;
	dal_repo *r;
	int rc;

	memset(&cp, 0, sizeof cp);
	if ((rc = loader_find(s->type, s->plugin_dir, &lp, err)) != DAL_OK)
		return rc;
	r = calloc(1, sizeof *r);
	if (!r || !(r->name = strdup(s->name ? s->name : "main"))) {
		free(r);
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
	}
	r->plugin = lp;
	if (collect_options(s, lp, &opts, &nopts) != DAL_OK) {
		rc = dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
		goto fail;
	}
	if (s->telemetry) {
		r->tel = telemetry_new(&lp->reg.driver, r->name, lp->reg.name, s->slow_query_ms,
		                       s->latency_buckets, s->n_latency_buckets);
		if (!r->tel) {
			rc = dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
			goto fail;
		}
		r->drv = telemetry_table(r->tel);
	} else {
		r->drv = &lp->reg.driver;
	}
	cp.tel = r->tel;
	cp.pub.struct_size = sizeof cp.pub;
	cp.pub.repo_name = r->name;
	cp.pub.path = s->path;
	cp.pub.host = s->value[SK_HOST];
	cp.pub.port = s->port;
	cp.pub.dbname = s->value[SK_NAME];
	cp.pub.user = s->value[SK_USER];
	cp.pub.password = s->password;
	cp.pub.connect_timeout = s->connect_timeout;
	cp.pub.read_timeout = s->read_timeout;
	cp.pub.write_timeout = s->write_timeout;
	cp.pub.options = opts;
	cp.pub.n_options = nopts;
	rc = connect_with_retries(r, s, &cp, err);
	free(opts);
	opts = NULL;
	if (rc != DAL_OK)
		goto fail;
	r->server_kind = r->drv->server_kind ? r->drv->server_kind(r->conn) : NULL;
	if (!r->server_kind)
		r->server_kind = lp->reg.name;
	if (r->tel && telemetry_set_target(r->tel, r->server_kind,
	                                   s->value[SK_NAME] ? s->value[SK_NAME] : s->path,
	                                   s->value[SK_HOST],
	                                   s->port ? s->port : lp->reg.default_port) != DAL_OK) {
		r->drv->disconnect(r->conn);
		rc = dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
		goto fail;
	}
	dal_error_clear(&r->err);
	*out = r;
	return DAL_OK;
fail:
	free(opts);
	telemetry_free(r->tel);
	free(r->name);
	free(r);
	return rc;
}

int dal_repo_open(dal_repo **out, const dal_config *cfg, const char *name,
                  const char *url, dal_error *err)
{
	struct dal_settings s;
	dal_error local;
	int rc;

	if (!err)
		err = &local;
	dal_error_clear(err);
	if (!out)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "dal_repo_open: out is NULL");
	*out = NULL;
	rc = settings_resolve(cfg, name, url, settings_is_default(cfg, name), &s, err);
	if (rc != DAL_OK)
		return rc;
	rc = open_resolved(out, &s, err);
	settings_free(&s);
	return rc;
}

int dal_repo_open_url(dal_repo **out, const char *url, dal_error *err)
{
	struct dal_settings s;
	dal_error local;
	int rc;

	if (!err)
		err = &local;
	dal_error_clear(err);
	if (!out)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "dal_repo_open_url: out is NULL");
	*out = NULL;
	if (!url)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "dal_repo_open_url: url is NULL");
	rc = settings_resolve(NULL, NULL, url, 0, &s, err);
	if (rc != DAL_OK)
		return rc;
	rc = open_resolved(out, &s, err);
	settings_free(&s);
	return rc;
}

void dal_repo_close(dal_repo *r)
{
	if (!r)
		return;
	while (r->stmts)
		dal_stmt_close(r->stmts);
	r->drv->disconnect(r->conn);
	telemetry_free(r->tel);
	free(r->name);
	free(r);
}

const dal_error *dal_repo_error(const dal_repo *r)
{
	static const dal_error none = {DAL_EMISUSE, "HY000", 0, "repository handle is NULL"};
	return r ? &r->err : &none;
}

const char *dal_repo_name(const dal_repo *r)
{
	return r ? r->name : NULL;
}

const char *dal_repo_backend(const dal_repo *r)
{
	return r ? r->plugin->reg.name : NULL;
}

const char *dal_repo_server_kind(const dal_repo *r)
{
	return r ? r->server_kind : NULL;
}

unsigned dal_repo_capabilities(const dal_repo *r)
{
	return r ? r->plugin->reg.capabilities : 0;
}

int dal_repo_telemetry_enabled(const dal_repo *r)
{
	return r && r->tel != NULL;
}

#define CHECK_REPO(r)                 \
	do {                          \
		if (!(r))             \
			return DAL_EMISUSE; \
		(r)->err.code = DAL_OK; \
	} while (0)

int dal_repo_ping(dal_repo *r, int64_t *latency_ns)
{
	struct timespec a, b;
	int rc;

	CHECK_REPO(r);
	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = r->drv->ping(r->conn, &r->err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (latency_ns)
		*latency_ns = (int64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec);
	return rc;
}

int dal_repo_exec(dal_repo *r, const char *sql, int64_t *affected)
{
	int64_t n = 0;
	int rc;

	CHECK_REPO(r);
	if (!sql)
		return dal_error_set(&r->err, DAL_EMISUSE, NULL, 0, "dal_repo_exec: sql is NULL");
	if (r->drv->exec) {
		rc = r->drv->exec(r->conn, sql, &n, &r->err);
	} else {
		dal_stmt *st;
		rc = dal_stmt_prepare(r, sql, &st);
		if (rc == DAL_OK) {
			while ((rc = dal_stmt_step(st)) == DAL_ROW)
				;
			if (rc == DAL_DONE) {
				rc = DAL_OK;
				n = dal_stmt_rows_affected(st);
			} else {
				error_copy(&r->err, &st->err);
			}
			dal_stmt_close(st);
		}
	}
	if (affected)
		*affected = rc == DAL_OK ? n : 0;
	return rc;
}

int dal_repo_begin(dal_repo *r)
{
	int rc;

	CHECK_REPO(r);
	if (!r->drv->begin)
		return dal_error_set(&r->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "backend %s does not support transactions", r->plugin->reg.name);
	if (r->in_txn)
		return dal_error_set(&r->err, DAL_EMISUSE, "25001", 0,
		                     "a transaction is already open on repository '%s' "
		                     "(nested transactions are not supported)", r->name);
	rc = r->drv->begin(r->conn, &r->err);
	if (rc == DAL_OK)
		r->in_txn = 1;
	return rc;
}

static int end_txn(dal_repo *r, int commit)
{
	int rc;

	CHECK_REPO(r);
	if (!(commit ? r->drv->commit : r->drv->rollback))
		return dal_error_set(&r->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "backend %s does not support transactions", r->plugin->reg.name);
	if (!r->in_txn)
		return dal_error_set(&r->err, DAL_EMISUSE, "25000", 0,
		                     "%s without an open transaction on repository '%s'",
		                     commit ? "commit" : "rollback", r->name);
	rc = commit ? r->drv->commit(r->conn, &r->err) : r->drv->rollback(r->conn, &r->err);
	/* A failed COMMIT ends the transaction on every supported server. */
	r->in_txn = 0;
	return rc;
}

int dal_repo_commit(dal_repo *r)
{
	return end_txn(r, 1);
}

int dal_repo_rollback(dal_repo *r)
{
	return end_txn(r, 0);
}

int dal_repo_last_insert_id(dal_repo *r, int64_t *out)
{
	CHECK_REPO(r);
	if (!out)
		return dal_error_set(&r->err, DAL_EMISUSE, NULL, 0, "dal_repo_last_insert_id: out is NULL");
	if (!r->drv->last_insert_id)
		return dal_error_set(&r->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "backend %s has no last insert id; use INSERT ... RETURNING",
		                     r->plugin->reg.name);
	return r->drv->last_insert_id(r->conn, out, &r->err);
}

int dal_repo_stats(const dal_repo *r, dal_op op, dal_op_stats *out)
{
	if (!out)
		return DAL_EMISUSE;
	memset(out, 0, sizeof *out);
	if (!r || (unsigned)op >= DAL_OP__COUNT)
		return DAL_EMISUSE;
	if (!r->tel)
		return DAL_EUNSUPPORTED;
	telemetry_get(r->tel, op, out);
	return DAL_OK;
}

int dal_repo_trace_set(dal_repo *r, const dal_trace_hooks *hooks, void *userdata)
{
	if (!r)
		return DAL_EMISUSE;
	if (!r->tel)
		return dal_error_set(&r->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "telemetry is off for repository '%s': no trace hooks", r->name);
	telemetry_set_hooks(r->tel, hooks, userdata);
	return DAL_OK;
}

void dal_repo_stats_reset(dal_repo *r)
{
	if (r && r->tel)
		telemetry_reset(r->tel);
}
