/*
 * Repositories: resolving settings, loading the backend, building the table
 * stack (layers over the plugin), making connections with retries and
 * backoff for the pool, and the repository's lifetime. The pool decides
 * when connections are made and closed (pool.c); connection-level calls
 * are in conn.c.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "internal.h"
#include "migrate_int.h"
#include "layer.h"
#include "loader.h"
#include "pool.h"
#include "settings.h"
#include "telemetry.h"

const char *dal_version(void)
{
	return DAL_VERSION_STRING;
}

/* Options that apply to the loaded backend: URL query options (backend
 * NULL) and [name.<x>] sections where x is the backend's name or alias.
 * The strings stay owned by s. */
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

/* "host:port" (or the file) of r, for log lines; never a password. */
static void target_of(const dal_repo *r, char *buf, size_t size)
{
	const struct dal_settings *s = r->settings;

	if (r->plugin->reg.kind == DAL_KIND_FILE)
		snprintf(buf, size, "%s", s->path ? s->path : "?");
	else if (s->value[SK_HOST] && strchr(s->value[SK_HOST], ','))
		snprintf(buf, size, "%s", s->value[SK_HOST]);
	else
		snprintf(buf, size, "%s:%u", s->value[SK_HOST] ? s->value[SK_HOST] : "localhost",
		         s->port);
}

int repo_connect(dal_repo *r, uint64_t deadline_ms, dal_conn **out, dal_error *err)
{
	const struct dal_settings *s = r->settings;
	unsigned attempts = (r->plugin->reg.capabilities & DAL_CAP_EMBEDDED) ? 1 : s->max_retries + 1;
	const struct dal_driver *d = layer_connector(r->top);
	struct dal_connect_params cp;
	dal_bconn *conn = NULL;
	dal_conn *c;
	char target[300];
	unsigned a;
	int rc = DAL_ECONNECT;

	*out = NULL;
	if (!(c = calloc(1, sizeof *c)))
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
	memset(&cp, 0, sizeof cp);
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
	cp.options = r->options;
	cp.n_options = r->n_options;
	cp.statement_timeout_ms = s->statement_timeout_ms;
	target_of(r, target, sizeof target);
	for (a = 1; a <= attempts; a++) {
		unsigned ms;

		rc = d->connect(d, &cp, &conn, err);
		if (rc == DAL_OK)
			break;
		/* Authentication and configuration errors never get better. */
		if (!dal_code_is_transient(rc) || a == attempts) {
			/* With retries configured, every attempt gets its line; a
			 * single attempt's failure is the returned error alone. */
			if (attempts > 1)
				dal_log_emit(DAL_LOG_WARN, "%s: connect attempt %u of %u to %s at %s failed "
				             "(%s: %s); %s", r->name, a, attempts, r->plugin->reg.name,
				             target, dal_code_name(rc), err->message,
				             dal_code_is_transient(rc) ? "giving up"
				                                       : "not retried: not transient");
			break;
		}
		ms = backoff_ms(s->retry_delay_ms, s->retry_max_delay_ms, a);
		if (deadline_ms && clock_coarse_ms() + ms > deadline_ms) {
			dal_log_emit(DAL_LOG_WARN, "%s: connect attempt %u of %u to %s at %s failed "
			             "(%s: %s); no time left for another before pool_timeout",
			             r->name, a, attempts, r->plugin->reg.name, target,
			             dal_code_name(rc), err->message);
			break;
		}
		dal_log_emit(DAL_LOG_WARN, "%s: connect attempt %u of %u to %s at %s failed "
		             "(%s: %s); retrying in %u ms",
		             r->name, a, attempts, r->plugin->reg.name, target, dal_code_name(rc),
		             err->message, ms);
		sleep_ms(ms);
	}
	if (rc != DAL_OK) {
		if (a > 1 && dal_code_is_transient(rc)) {
			char msg[DAL_ERROR_MESSAGE_SIZE];
			memcpy(msg, err->message, sizeof msg);
			snprintf(err->message, sizeof err->message, "%.*s (gave up after %u attempts)",
			         (int)(sizeof err->message - 40), msg, a);
		}
		free(c);
		return rc;
	}
	if (a > 1)
		dal_log_emit(DAL_LOG_INFO, "%s: connected to %s at %s on attempt %u of %u", r->name,
		             r->plugin->reg.name, target, a, attempts);
	conn_ops_resolve(&c->ops, d, conn);
	c->repo = r;
	c->created_ms = clock_coarse_ms();
	dal_error_clear(&c->err);
	*out = c;
	return DAL_OK;
}

void repo_disconnect(dal_conn *c)
{
	stmt_orphan_all(c);
	stmt_cache_clear(c);
	c->ops.disconnect.fn(c->ops.disconnect.h);
	free(c);
}

/*
 * Build the table stack, bottom up: the plugin's table, the fault-injection
 * layer when tests asked for one, then telemetry (outermost, so that it
 * sees injected failures exactly as the application does).
 */
static int build_stack(dal_repo *r, const struct fault_rule *faults, size_t n_faults,
                       dal_error *err)
{
	const struct loaded_plugin *lp = r->plugin;
	const struct dal_settings *s = r->settings;

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

void repo_free(dal_repo *r)
{
	if (!r)
		return;
	pool_free(r->pool);
	telemetry_free(r->tel);
	fault_free(r->fault);
	free(r->options);
	if (r->settings) {
		settings_free(r->settings);
		free(r->settings);
	}
	free(r->server_kind);
	free(r->name);
	free(r);
}

/* A file-kind path that names no file (":memory:"): the backend's own name
 * for a database that lives inside one connection. */
static int private_database(const dal_repo *r)
{
	const char *p = r->settings->path;
	return r->plugin->reg.kind == DAL_KIND_FILE && p && p[0] == ':';
}

/* auto_migrate = on: apply pending migrations now (migrate_auto.c), keyed
 * by what identifies the database, so that each is checked once per
 * process. */
static int auto_migrate(dal_repo *r, dal_error *err)
{
	const struct dal_settings *s = r->settings;
	char *target;
	int rc;

	if (asprintf(&target, "%s|%s|%u|%s", s->path ? s->path : "",
	             s->value[SK_HOST] ? s->value[SK_HOST] : "", s->port,
	             s->value[SK_NAME] ? s->value[SK_NAME] : "") < 0)
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
	rc = mig_auto(r, target, err);
	free(target);
	return rc;
}

/* Takes ownership of *s (moved into the repository). */
static int open_resolved(dal_repo **out, struct dal_settings *s, const struct fault_rule *faults,
                         size_t n_faults, dal_error *err)
{
	const struct loaded_plugin *lp = s->plugin;
	dal_conn *first = NULL;
	dal_repo *r;
	const char *kind;
	int rc;

	r = calloc(1, sizeof *r);
	if (!r || !(r->name = strdup(s->name ? s->name : "main")) ||
	    !(r->settings = malloc(sizeof *r->settings))) {
		if (r)
			free(r->name);
		free(r);
		settings_free(s);
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
	}
	*r->settings = *s;
	memset(s, 0, sizeof *s);
	r->plugin = lp;
	r->cache_size = r->settings->statement_cache_size;
	if (collect_options(r->settings, lp, &r->options, &r->n_options) != DAL_OK ||
	    !(r->pool = pool_new(r->settings, private_database(r)))) {
		rc = dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
		goto fail;
	}
	if ((rc = build_stack(r, faults, n_faults, err)) != DAL_OK)
		goto fail;
	/* The first connection is made now, so that a wrong address or
	 * password is reported by the open, and then pooled. */
	if ((rc = repo_connect(r, 0, &first, err)) != DAL_OK)
		goto fail;
	kind = first->ops.server_kind.fn ? first->ops.server_kind.fn(first->ops.server_kind.h) : NULL;
	if (!(r->server_kind = strdup(kind ? kind : lp->reg.name)) ||
	    (r->tel && telemetry_set_target(r->tel, r->server_kind,
	                                    r->settings->value[SK_NAME] ? r->settings->value[SK_NAME]
	                                                                : r->settings->path,
	                                    r->settings->value[SK_HOST],
	                                    r->settings->port ? r->settings->port
	                                                      : lp->reg.default_port) != DAL_OK)) {
		repo_disconnect(first);
		rc = dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
		goto fail;
	}
	pool_add_idle(r->pool, first);
	if (r->settings->auto_migrate && (rc = auto_migrate(r, err)) != DAL_OK) {
		dal_repo_close(r);
		return rc;
	}
	*out = r;
	return DAL_OK;
fail:
	repo_free(r);
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
	return open_resolved(out, &s, faults, n_faults, err);
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
	return open_resolved(out, &s, NULL, 0, err);
}

void dal_repo_close(dal_repo *r)
{
	if (r && pool_close(r))
		repo_free(r);
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

unsigned dal_repo_syntax(const dal_repo *r)
{
	return r ? r->plugin->reg.syntax : 0;
}

int dal_repo_telemetry_enabled(const dal_repo *r)
{
	return r && r->tel != NULL;
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
		return DAL_EUNSUPPORTED;
	telemetry_set_hooks(r->tel, hooks, userdata);
	return DAL_OK;
}

void dal_repo_stats_reset(dal_repo *r)
{
	if (!r)
		return;
	if (r->tel)
		telemetry_reset(r->tel);
	pool_reset_stats(r->pool);
}

const char *dal_repo_dialect(const dal_repo *r)
{
	return r ? r->plugin->reg.dialect : NULL;
}

const char *dal_repo_ident_quote(const dal_repo *r)
{
	return r ? r->plugin->reg.ident_quote : NULL;
}

const char *dal_repo_migrations_dir(const dal_repo *r)
{
	return r ? r->settings->migrations : NULL;
}
