/*
 * Repositories: resolving settings, loading the backend, connecting with
 * retries and backoff, installing the telemetry layer, and the
 * connection-level calls (exec, ping, transactions).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "internal.h"
#include "layer.h"
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
                                const struct dal_connect_params *cp, dal_error *err)
{
	unsigned attempts = (r->plugin->reg.capabilities & DAL_CAP_EMBEDDED) ? 1 : s->max_retries + 1;
	const struct dal_driver *d = layer_connector(r->top);
	dal_bconn *conn = NULL;
	int rc = DAL_ECONNECT;

	for (unsigned a = 1; a <= attempts; a++) {
		rc = d->connect(d, cp, &conn, err);
		if (rc == DAL_OK) {
			if (a > 1)
				dal_log_emit(DAL_LOG_INFO, "%s: connected on attempt %u of %u", r->name,
				             a, attempts);
			conn_ops_resolve(&r->ops, d, conn);
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

static void free_layers(dal_repo *r)
{
	telemetry_free(r->tel);
	fault_free(r->fault);
	r->tel = NULL;
	r->fault = NULL;
}

/*
 * Build the table stack, bottom up: the plugin's table, the fault-injection
 * layer when tests asked for one, then telemetry (outermost, so that it
 * sees injected failures exactly as the application does).
 */
static int build_stack(dal_repo *r, const struct dal_settings *s,
                       const struct fault_rule *faults, size_t n_faults, dal_error *err)
{
	const struct loaded_plugin *lp = r->plugin;

	r->top = &lp->drv;
	if (n_faults) {
		if (!(r->fault = fault_new(r->top, faults, n_faults)))
			return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
		r->top = fault_table(r->fault);
	}
	if (s->telemetry) {
		r->tel = telemetry_new(r->top, r->name, lp->reg.name, s->slow_query_ms,
		                       s->latency_buckets, s->n_latency_buckets);
		if (!r->tel)
			return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
		r->top = telemetry_table(r->tel);
	}
	return DAL_OK;
}

static int open_resolved(dal_repo **out, const struct dal_settings *s,
                         const struct fault_rule *faults, size_t n_faults, dal_error *err)
{
	const struct loaded_plugin *lp = s->plugin;
	struct dal_connect_params cp;
	dal_option *opts = NULL;
	size_t nopts = 0;
	dal_repo *r;
	int rc;

	memset(&cp, 0, sizeof cp);
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
	if ((rc = build_stack(r, s, faults, n_faults, err)) != DAL_OK)
		goto fail;
	cp.struct_size = sizeof cp;
	cp.repo_name = r->name;
	cp.path = s->path;
	cp.host = s->value[SK_HOST];
	cp.port = s->port;
	cp.dbname = s->value[SK_NAME];
	cp.user = s->value[SK_USER];
	cp.password = s->password;
	cp.connect_timeout = s->connect_timeout;
	cp.read_timeout = s->read_timeout;
	cp.write_timeout = s->write_timeout;
	cp.options = opts;
	cp.n_options = nopts;
	rc = connect_with_retries(r, s, &cp, err);
	free(opts);
	opts = NULL;
	if (rc != DAL_OK)
		goto fail;
	r->server_kind = r->ops.server_kind.fn ? r->ops.server_kind.fn(r->ops.server_kind.h) : NULL;
	if (!r->server_kind)
		r->server_kind = lp->reg.name;
	if (r->tel && telemetry_set_target(r->tel, r->server_kind,
	                                   s->value[SK_NAME] ? s->value[SK_NAME] : s->path,
	                                   s->value[SK_HOST],
	                                   s->port ? s->port : lp->reg.default_port) != DAL_OK) {
		r->ops.disconnect.fn(r->ops.disconnect.h);
		rc = dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
		goto fail;
	}
	dal_error_clear(&r->err);
	*out = r;
	return DAL_OK;
fail:
	free(opts);
	free_layers(r);
	free(r->name);
	free(r);
	return rc;
}

/* dal_repo_open() and the internal variant with fault injection. */
int repo_open_faulty(dal_repo **out, const dal_config *cfg, const char *name, const char *url,
                     const struct fault_rule *faults, size_t n_faults, dal_error *err)
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
	if (!fault_rules_valid(faults, n_faults))
		return dal_error_set(err, DAL_EMISUSE, NULL, 0,
		                     "fault injection: bad rule (slot, nth >= 1, negative code, "
		                     "at most 8 rules)");
	rc = settings_resolve(cfg, name, url, settings_is_default(cfg, name), &s, err);
	if (rc != DAL_OK)
		return rc;
	rc = open_resolved(out, &s, faults, n_faults, err);
	settings_free(&s);
	return rc;
}

int dal_repo_open(dal_repo **out, const dal_config *cfg, const char *name,
                  const char *url, dal_error *err)
{
	return repo_open_faulty(out, cfg, name, url, NULL, 0, err);
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
	rc = open_resolved(out, &s, NULL, 0, err);
	settings_free(&s);
	return rc;
}

void dal_repo_close(dal_repo *r)
{
	if (!r)
		return;
	while (r->stmts)
		dal_stmt_close(r->stmts);
	r->ops.disconnect.fn(r->ops.disconnect.h);
	free_layers(r);
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
	rc = r->ops.ping.fn(r->ops.ping.h, &r->err);
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
	if (r->ops.exec.fn) {
		rc = r->ops.exec.fn(r->ops.exec.h, sql, &n, &r->err);
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
	if (!r->ops.begin.fn)
		return dal_error_set(&r->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "backend %s does not support transactions", r->plugin->reg.name);
	if (r->in_txn)
		return dal_error_set(&r->err, DAL_EMISUSE, "25001", 0,
		                     "a transaction is already open on repository '%s' "
		                     "(nested transactions are not supported)", r->name);
	rc = r->ops.begin.fn(r->ops.begin.h, &r->err);
	if (rc == DAL_OK)
		r->in_txn = 1;
	return rc;
}

static int end_txn(dal_repo *r, int commit)
{
	int rc;

	CHECK_REPO(r);
	if (!(commit ? r->ops.commit.fn : r->ops.rollback.fn))
		return dal_error_set(&r->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "backend %s does not support transactions", r->plugin->reg.name);
	if (!r->in_txn)
		return dal_error_set(&r->err, DAL_EMISUSE, "25000", 0,
		                     "%s without an open transaction on repository '%s'",
		                     commit ? "commit" : "rollback", r->name);
	rc = commit ? r->ops.commit.fn(r->ops.commit.h, &r->err)
	            : r->ops.rollback.fn(r->ops.rollback.h, &r->err);
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
	if (!r->ops.last_insert_id.fn)
		return dal_error_set(&r->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "backend %s has no last insert id; use INSERT ... RETURNING",
		                     r->plugin->reg.name);
	return r->ops.last_insert_id.fn(r->ops.last_insert_id.h, out, &r->err);
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
