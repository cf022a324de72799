/*
 * Settings resolution, second half: defaults (the type's plugin says what a
 * file or server repository needs) and validation of every value into the
 * typed fields of struct dal_settings, with messages naming the source and
 * the key. The layers themselves are applied in settings.c.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cfgfile.h"
#include "internal.h"
#include "loader.h"
#include "resolver.h"

/* Strict unsigned decimal in [min, max]: no sign, no blanks, no suffix. */
static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out,
                      int *range_error)
{
	unsigned long long v = 0;

	*range_error = 0;
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return 0;
		if (v <= 0xFFFFFFFFull)
			v = v * 10 + (unsigned)(*p - '0');
	}
	if (v < min || v > max) {
		*range_error = 1;
		return 0;
	}
	*out = (unsigned)v;
	return 1;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"on", "true", "yes", "1", NULL};
	static const char *const no[] = {"off", "false", "no", "0", NULL};

	for (const char *const *p = yes; *p; p++)
		if (strcasecmp(s, *p) == 0)
			return *out = 1, 1;
	for (const char *const *p = no; *p; p++)
		if (strcasecmp(s, *p) == 0)
			return *out = 0, 1;
	return 0;
}

int res_bad_value(struct resolver *r, enum setting_key k, const char *why)
{
	return dal_error_set(r->err, DAL_ECONFIG, NULL, 0, "%s: %s = '%s' %s",
	                     r->s->source[k], res_key_names[k], r->s->value[k], why);
}

static int check_number(struct resolver *r, enum setting_key k, unsigned min,
                        unsigned max, unsigned *out)
{
	char why[80];
	int range;

	*out = 0;
	if (!r->s->value[k])
		return DAL_OK;
	if (parse_uint(r->s->value[k], min, max, out, &range))
		return DAL_OK;
	snprintf(why, sizeof why, "%s (expected %u..%u)",
	         range ? "is out of range" : "is not a number", min, max);
	return res_bad_value(r, k, why);
}

/*
 * A duration in seconds, decimals allowed ("5", "0.25", "1.5"), in
 * [0, max_s], stored in ms (rounded; a nonzero value never rounds to 0).
 * Strict like parse_uint(): no sign, no blanks, no unit suffix.
 */
static int check_duration(struct resolver *r, enum setting_key k, unsigned max_s,
                          unsigned *out_ms)
{
	const char *v = r->s->value[k];
	char why[96];
	double d;
	char *end;

	*out_ms = 0;
	if (!v)
		return DAL_OK;
	errno = 0;
	d = strtod(v, &end);
	if (end == v || *end || errno || !isdigit((unsigned char)v[0]) || !(d >= 0)) {
		snprintf(why, sizeof why, "is not a duration (seconds, e.g. 5 or 0.25)");
		return res_bad_value(r, k, why);
	}
	if (d > max_s) {
		snprintf(why, sizeof why, "is out of range (expected 0..%u seconds)", max_s);
		return res_bad_value(r, k, why);
	}
	*out_ms = (unsigned)(d * 1000 + 0.5);
	if (d > 0 && *out_ms == 0)
		*out_ms = 1;
	return DAL_OK;
}

/*
 * latency_buckets: histogram upper bounds in seconds, comma-separated,
 * strictly increasing, each in (0, 3600], at most DAL_HISTOGRAM_MAX_BUCKETS
 * ("0.0001, 0.00025, 0.0005, 0.001"). Fast local databases finish most
 * operations under OpenTelemetry's first default bound of 1 ms.
 */
static int check_buckets(struct resolver *r)
{
	const char *p = r->s->value[SK_LATENCY_BUCKETS];
	struct dal_settings *s = r->s;
	char why[160];

	s->n_latency_buckets = 0;
	if (!p || !*p)
		return DAL_OK;
	for (;;) {
		char *end;
		double v;

		while (*p == ' ' || *p == '\t')
			p++;
		if (s->n_latency_buckets == DAL_HISTOGRAM_MAX_BUCKETS) {
			snprintf(why, sizeof why, "has more than %d bounds",
			         DAL_HISTOGRAM_MAX_BUCKETS);
			goto bad;
		}
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno || !(v > 0 && v <= 3600)) {
			snprintf(why, sizeof why, "has a bad bound at '%.20s' (expected "
			         "seconds, 0 < x <= 3600, comma-separated)", p);
			goto bad;
		}
		if (s->n_latency_buckets && v <= s->latency_buckets[s->n_latency_buckets - 1]) {
			snprintf(why, sizeof why, "is not strictly increasing at '%.20s'", p);
			goto bad;
		}
		s->latency_buckets[s->n_latency_buckets++] = v;
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return DAL_OK;
		if (*p != ',') {
			snprintf(why, sizeof why, "has junk at '%.20s' (expected a comma)", p);
			goto bad;
		}
		p++;
	}
bad:
	s->n_latency_buckets = 0;
	return res_bad_value(r, SK_LATENCY_BUCKETS, why);
}

static int check_bool(struct resolver *r, enum setting_key k, int *out)
{
	if (!r->s->value[k] || parse_bool(r->s->value[k], out))
		return DAL_OK;
	return res_bad_value(r, k, "is not a boolean (use on/off, true/false, "
	                       "yes/no or 1/0)");
}

/* Relative paths from the INI file are relative to its directory; from
 * anywhere else (URL argument, environment) to the current directory. */
static char *absolute_path(struct resolver *r, enum setting_key k, const char *p)
{
	char cwd[PATH_MAX], *out;
	const char *base;

	/* A leading ':' marks a name the backend gives a meaning (SQLite's
	 * :memory:), not a file: never resolved against a directory. */
	if (p[0] == '/' || p[0] == ':')
		return strdup(p);
	/* Only a path written in the INI file is relative to that file; a
	 * default, the environment or a URL are relative to the current
	 * directory (an installed dal.ini sits where users cannot write). */
	if (r->rank[k] == R_INI && r->cfg) {
		base = r->cfg->basedir;
	} else {
		if (!getcwd(cwd, sizeof cwd))
			snprintf(cwd, sizeof cwd, "/");
		base = cwd;
	}
	if (asprintf(&out, "%s%s%s", base,
	             base[strlen(base) - 1] == '/' ? "" : "/", p) < 0)
		return NULL;
	return out;
}

/* Read a password file: the whole content, less one trailing newline. */
static int read_password_file(struct resolver *r, const char *path)
{
	enum { MAX = 64 * 1024 };
	char *buf;
	size_t n;
	FILE *f;
	int e = 0, not_regular = 0;

	f = open_regular_file(path, &not_regular);
	if (!f) {
		e = errno;
		if (not_regular)
			return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
			                     "%s: password_file '%s' is not a regular file (a FIFO, "
			                     "device or directory)", r->s->source[SK_PASSWORD_FILE],
			                     path);
		goto fail;
	}
	buf = malloc(MAX + 1);
	if (!buf) {
		fclose(f);
		return res_nomem(r->err);
	}
	n = fread(buf, 1, MAX + 1, f);
	if (ferror(f))
		e = errno ? errno : EIO;
	fclose(f);
	if (e || n > MAX || memchr(buf, '\0', n)) {
		explicit_bzero(buf, n);
		free(buf);
		if (!e)
			return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
			                     "%s: password_file '%s' %s",
			                     r->s->source[SK_PASSWORD_FILE], path,
			                     n > MAX ? "is larger than 64 KiB"
			                             : "contains a NUL byte");
		goto fail;
	}
	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	r->s->password = buf;
	return DAL_OK;
fail:
	return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
	                     "%s: password_file '%s': cannot read: %s",
	                     r->s->source[SK_PASSWORD_FILE], path, strerror(e));
}

int res_apply_defaults(struct resolver *r)
{
	struct dal_settings *s = r->s;
	const struct dal_plugin *reg;
	int rc = DAL_OK;

	/* The configured default type (configure --with-default-type, passed
	 * in by core/Makefile.am) is the only backend name the core holds. */
	if (!s->value[SK_TYPE])
		rc = res_set(r, SK_TYPE, DAL_DEFAULT_TYPE, "default", R_DEFAULT);
	if (rc != DAL_OK)
		return rc;
	s->type = strdup(s->value[SK_TYPE]);
	if (!s->type)
		return res_nomem(r->err);
	for (char *p = s->type; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!loader_valid_name(s->type))
		return res_bad_value(r, SK_TYPE, "is not a backend name (lower-case letters, "
		                             "digits and _; `dal plugins` lists them)");
	if ((rc = loader_find(s->type, r->plugin_dir, &s->plugin, r->err)) != DAL_OK) {
		if (rc == DAL_EPLUGIN_NOTFOUND) {
			char msg[DAL_ERROR_MESSAGE_SIZE];
			memcpy(msg, r->err->message, sizeof msg);
			dal_error_set(r->err, rc, NULL, 0, "%s: type = '%s': %s",
			              s->source[SK_TYPE], s->type, msg);
		}
		return rc;
	}
	reg = &s->plugin->reg;
	if (reg->kind == DAL_KIND_FILE && r->rank[SK_NAME] > r->rank[SK_PATH]) {
		/* DB_TYPE=sqlite DB_NAME=app.db: for a file database the
		 * database name is the file. */
		char *src = strdup(s->source[SK_NAME]);
		if (!src)
			return res_nomem(r->err);
		rc = res_set(r, SK_PATH, s->value[SK_NAME], src, r->rank[SK_NAME]);
		free(src);
		if (rc != DAL_OK)
			return rc;
		res_unset(r, SK_NAME);
	}
	if (reg->kind == DAL_KIND_FILE && !s->value[SK_PATH]) {
		if (!reg->default_path)
			return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
			                     "repository '%s': a %s database needs a path (path = "
			                     "FILE, DB_NAME, or a URL like %s:///FILE)",
			                     s->name, s->type, s->type);
		rc = res_set(r, SK_PATH, reg->default_path, "default", R_DEFAULT);
	}
	if (rc == DAL_OK && reg->kind == DAL_KIND_SERVER && !s->value[SK_PORT] &&
	    reg->default_port) {
		char port[16];
		snprintf(port, sizeof port, "%u", reg->default_port);
		rc = res_set(r, SK_PORT, port, "default", R_DEFAULT);
	}
	for (size_t i = 0; rc == DAL_OK && i < res_n_numbers; i++)
		if (!s->value[res_numbers[i].key] && res_numbers[i].def)
			rc = res_set(r, res_numbers[i].key, res_numbers[i].def, "default", R_DEFAULT);
	for (size_t i = 0; rc == DAL_OK && i < res_n_durations; i++)
		if (!s->value[res_durations[i].key])
			rc = res_set(r, res_durations[i].key, res_durations[i].def, "default",
			             R_DEFAULT);
	/* Checking a connection before handing it out costs a round trip on
	 * a server and proves nothing for a file. */
	if (rc == DAL_OK && !s->value[SK_PRE_PING])
		rc = res_set(r, SK_PRE_PING, reg->kind == DAL_KIND_SERVER ? "on" : "off",
		             "default", R_DEFAULT);
	/* A server prepare is a round trip; SQLite's costs no more than the
	 * lookup saves on short statements. */
	if (rc == DAL_OK && !s->value[SK_STATEMENT_CACHE_SIZE])
		rc = res_set(r, SK_STATEMENT_CACHE_SIZE, reg->kind == DAL_KIND_SERVER ? "32" : "0",
		             "default", R_DEFAULT);
	if (rc == DAL_OK && !s->value[SK_TELEMETRY])
		rc = res_set(r, SK_TELEMETRY, "on", "default", R_DEFAULT);
	if (rc == DAL_OK && !s->value[SK_AUTO_MIGRATE])
		rc = res_set(r, SK_AUTO_MIGRATE, "off", "default", R_DEFAULT);
	if (rc == DAL_OK && !s->value[SK_ALLOW_EMPTY_PASSWORD])
		rc = res_set(r, SK_ALLOW_EMPTY_PASSWORD, "off", "default", R_DEFAULT);
	if (rc == DAL_OK && !s->value[SK_LOG_STATEMENTS])
		rc = res_set(r, SK_LOG_STATEMENTS, "off", "default", R_DEFAULT);
	if (rc == DAL_OK && !s->value[SK_LOG_PARAMETERS])
		rc = res_set(r, SK_LOG_PARAMETERS, "off", "default", R_DEFAULT);
	return rc;
}

/* replicas: a host list for a server backend (docs/scale-out.md), each
 * item checked here so that a typo is reported with its source. */
static int check_replicas(struct resolver *r)
{
	const struct dal_settings *s = r->s;
	const char *list = s->value[SK_REPLICAS], *next = list;
	char host[256];
	unsigned port;
	int more, n = 0;
	dal_error e;

	if (!list)
		return DAL_OK;
	if (s->plugin->reg.kind != DAL_KIND_SERVER)
		return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
		                     "%s: replicas: repository '%s' is a %s file database, which "
		                     "has no replicas", s->source[SK_REPLICAS], s->name, s->type);
	while ((more = dal_host_next(&next, host, sizeof host, &port, &e)) == 1)
		n++;
	if (more < 0)
		return dal_error_set(r->err, DAL_ECONFIG, NULL, 0, "%s: replicas: %s",
		                     s->source[SK_REPLICAS], e.message);
	if (!n)
		return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
		                     "%s: replicas = '%s' names no host", s->source[SK_REPLICAS],
		                     list);
	return DAL_OK;
}

/*
 * Settings that only mean something together with another one, or with a
 * capability of the backend. Set without it they would be read and then do
 * nothing, which hides a mistake (the timeout one believes is on, a lag
 * bound without replicas): refused, as auto_migrate without migrations is.
 * A value of 0 (the defaults) is no request and always accepted.
 */
static int check_needs(struct resolver *r)
{
	const struct dal_settings *s = r->s;
	char why[200];

	if (s->statement_timeout_ms && !(s->plugin->reg.capabilities & DAL_CAP_CANCEL)) {
		snprintf(why, sizeof why, "cannot be applied: backend %s cannot stop a running "
		         "statement (its plugin does not declare the cancel capability); "
		         "leave statement_timeout at 0", s->plugin->reg.name);
		return res_bad_value(r, SK_STATEMENT_TIMEOUT, why);
	}
	if (s->max_replica_lag_ms && !s->value[SK_REPLICAS])
		return res_bad_value(r, SK_MAX_REPLICA_LAG,
		                     "bounds the lag of read replicas, but no replicas "
		                     "are set (replicas = HOST,...)");
	if (!s->telemetry && s->slow_query_ms)
		return res_bad_value(r, SK_SLOW_QUERY_MS,
		                     "needs telemetry = on (the slow-statement log is part "
		                     "of the telemetry layer, which telemetry = off removes)");
	if (!s->telemetry && s->n_latency_buckets)
		return res_bad_value(r, SK_LATENCY_BUCKETS,
		                     "needs telemetry = on (the histograms are part of the "
		                     "telemetry layer, which telemetry = off removes)");
	return DAL_OK;
}

int res_validate(struct resolver *r)
{
	struct dal_settings *s = r->s;
	unsigned *dst[SK__COUNT] = {
		[SK_PORT] = &s->port,
		[SK_POOL_SIZE] = &s->pool_size,
		[SK_MAX_OVERFLOW] = &s->max_overflow,
		[SK_MAX_RETRIES] = &s->max_retries,
		[SK_CONNECT_TIMEOUT] = &s->connect_timeout,
		[SK_READ_TIMEOUT] = &s->read_timeout,
		[SK_WRITE_TIMEOUT] = &s->write_timeout,
		[SK_SLOW_QUERY_MS] = &s->slow_query_ms,
		[SK_STATEMENT_CACHE_SIZE] = &s->statement_cache_size,
	};
	const char *host = s->value[SK_HOST];
	int rc;

	for (size_t i = 0; i < res_n_numbers; i++) {
		rc = check_number(r, res_numbers[i].key, res_numbers[i].min, res_numbers[i].max,
		                  dst[res_numbers[i].key]);
		if (rc != DAL_OK)
			return rc;
	}
	{
		unsigned *ms[SK__COUNT] = {
			[SK_RETRY_DELAY] = &s->retry_delay_ms,
			[SK_RETRY_MAX_DELAY] = &s->retry_max_delay_ms,
			[SK_POOL_TIMEOUT] = &s->pool_timeout_ms,
			[SK_IDLE_TIMEOUT] = &s->idle_timeout_ms,
			[SK_MAX_LIFETIME] = &s->max_lifetime_ms,
			[SK_STATEMENT_TIMEOUT] = &s->statement_timeout_ms,
			[SK_MAX_REPLICA_LAG] = &s->max_replica_lag_ms,
		};
		for (size_t i = 0; i < res_n_durations; i++)
			if ((rc = check_duration(r, res_durations[i].key, res_durations[i].max,
			                         ms[res_durations[i].key])) != DAL_OK)
				return rc;
	}
	if ((rc = check_bool(r, SK_PRE_PING, &s->pre_ping)) != DAL_OK ||
	    (rc = check_replicas(r)) != DAL_OK)
		return rc;
	s->telemetry = 1;
	if ((rc = check_bool(r, SK_TELEMETRY, &s->telemetry)) != DAL_OK ||
	    (rc = check_bool(r, SK_ALLOW_EMPTY_PASSWORD, &s->allow_empty_password)) ||
	    (rc = check_bool(r, SK_LOG_STATEMENTS, &s->log_statements)) ||
	    (rc = check_bool(r, SK_LOG_PARAMETERS, &s->log_parameters)) ||
	    (rc = check_buckets(r)))
		return rc;
	if ((rc = check_needs(r)) != DAL_OK)
		return rc;
	if (s->value[SK_PATH]) {
		if (!*s->value[SK_PATH])
			return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
			                     "%s: path is empty", s->source[SK_PATH]);
		if (!(s->path = absolute_path(r, SK_PATH, s->value[SK_PATH])))
			return res_nomem(r->err);
	}
	if ((rc = check_bool(r, SK_AUTO_MIGRATE, &s->auto_migrate)) != DAL_OK)
		return rc;
	if (s->value[SK_MIGRATIONS]) {
		if (!*s->value[SK_MIGRATIONS])
			return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
			                     "%s: migrations is empty", s->source[SK_MIGRATIONS]);
		if (!(s->migrations = absolute_path(r, SK_MIGRATIONS, s->value[SK_MIGRATIONS])))
			return res_nomem(r->err);
	} else if (s->auto_migrate) {
		/* A switch that cannot do anything is a mistake, not a no-op. */
		return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
		                     "%s: auto_migrate is on but repository '%s' has no "
		                     "migrations directory (migrations = DIR)",
		                     s->source[SK_AUTO_MIGRATE], s->name);
	}
	if (s->value[SK_PASSWORD_FILE]) {
		char *file = absolute_path(r, SK_PASSWORD_FILE,
		                           s->value[SK_PASSWORD_FILE]);
		if (!file)
			return res_nomem(r->err);
		rc = read_password_file(r, file);
		free(file);
		if (rc != DAL_OK)
			return rc;
	} else if (s->value[SK_PASSWORD]) {
		if (!(s->password = strdup(s->value[SK_PASSWORD])))
			return res_nomem(r->err);
	}
	/* An empty password over TCP to a server is almost always a mistake
	 * (a missing secret in deployment) that would otherwise surface as a
	 * confusing authentication failure, or worse, succeed against a server
	 * with trust authentication. Sockets (host "/...", or no host: the
	 * client's local default) are left alone: peer authentication is
	 * normal there. */
	if (s->plugin->reg.kind == DAL_KIND_SERVER && host && *host && host[0] != '/' &&
	    (!s->password || !*s->password) && !s->allow_empty_password) {
		const char *user = s->value[SK_USER];
		char port[16] = "";

		if (s->port && !strchr(host, ','))
			snprintf(port, sizeof port, ":%u", s->port);
		return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
		                     "repository '%s': empty password for %s@%s%s; "
		                     "set password/password_file/DB_PASS or "
		                     "allow_empty_password = true",
		                     s->name, user && *user ? user : "(default user)",
		                     host, port);
	}
	return DAL_OK;
}

