/*
 * Database URL parsing: turns "scheme://user:pass@host:port/db?k=v" and the
 * file-database forms into a struct dal_url (see url.h). RFC 3986 syntax is
 * checked by liburiparser; this file adds what a database URL means on top
 * of it (the SQLAlchemy driver suffix, port range, file paths, several
 * hosts) and produces messages that never show the password. Which schemes
 * exist, and whether one names a file or a server database, is the plugins'
 * say (settings.c asks the loader); what the fields then mean for a
 * repository is settings.c's job.
 */
#define _GNU_SOURCE
#include "strbuf.h"
#include "url.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uriparser/Uri.h>

#include <dal/plugin.h>

/* Redacted copy of the URL, for messages. */
struct redacted {
	char text[256];
};

static const char *redact(const char *url, struct redacted *r)
{
	url_redact(url, r->text, sizeof r->text);
	return r->text;
}

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static size_t range_len(const UriTextRangeA *r)
{
	return r->first ? (size_t)(r->afterLast - r->first) : 0;
}

static char *range_dup(const UriTextRangeA *r)
{
	return strndup(r->first ? r->first : "", range_len(r));
}

/*
 * Percent-decode s in place. Returns 0 if the result would contain a NUL byte
 * (%00), which no C string consumer could see correctly.
 */
static int decode(char *s)
{
	const char *end = uriUnescapeInPlaceExA(s, URI_FALSE, URI_BR_DONT_TOUCH);

	return (size_t)(end - s) == strlen(s);
}

/* Describe the character at url[pos] for a message ("'x'", "end of URL"). */
static void describe_char(const char *url, size_t pos, char *buf, size_t size)
{
	unsigned char c = (unsigned char)url[pos];

	if (c == '\0')
		snprintf(buf, size, "end of URL");
	else if (isprint(c))
		snprintf(buf, size, "'%c' at character %zu", c, pos + 1);
	else
		snprintf(buf, size, "byte 0x%02x at character %zu", c, pos + 1);
}

/* ------------------------------------------------------------------------ */
/* Authority splitting (several hosts)                                       */
/* ------------------------------------------------------------------------ */

/*
 * The authority of url: [*a_start, *a_end) after "//", up to the first '/',
 * '?' or '#' after the userinfo, and where the host list starts (*h_start,
 * after the last '@'). Returns 0 when there is no "//".
 */
static int find_authority(const char *url, size_t *a_start, size_t *h_start,
                          size_t *a_end)
{
	const char *sep = strstr(url, "://");
	const char *a, *h, *e, *at;

	if (!sep)
		return 0;
	a = sep + 3;
	e = a + strcspn(a, "/?#");
	at = NULL;
	for (const char *p = a; p < e; p++)
		if (*p == '@')
			at = p;
	h = at ? at + 1 : a;
	*a_start = (size_t)(a - url);
	*h_start = (size_t)(h - url);
	*a_end = (size_t)(e - url);
	return 1;
}

/*
 * A malformed host:port item: if it ends in ":<something not digits>", name
 * the port; used to turn uriparser's bare "syntax error" into a specific one.
 * Returns 1 and fills port (a copy of the bad text) when that is the case.
 */
static int bad_port_text(const char *item, size_t n, char *port, size_t size)
{
	const char *colon = NULL;
	size_t i = 0;

	if (n && item[0] == '[') {
		const char *rb = memchr(item, ']', n);
		if (!rb)
			return 0;
		i = (size_t)(rb - item) + 1;
		if (i < n && item[i] == ':')
			colon = item + i;
	} else {
		colon = memchr(item, ':', n);
	}
	if (!colon)
		return 0;
	for (const char *p = colon + 1; p < item + n; p++) {
		if (!isdigit((unsigned char)*p)) {
			size_t len = (size_t)(item + n - colon - 1);
			if (len >= size)
				len = size - 1;
			memcpy(port, colon + 1, len);
			port[len] = '\0';
			return 1;
		}
	}
	return 0;
}

/* Check a port string: "" is no port, else 1..65535. */
static int parse_port(const char *s, size_t n, unsigned *out)
{
	unsigned long v = 0;

	*out = 0;
	if (n == 0)
		return 1;
	if (n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return 0;
	*out = (unsigned)v;
	return 1;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

struct parse_ctx {
	const char *url;    /* as given */
	const char *origin; /* "DB_URL", "argument", "etc/dal.ini:4" */
	dal_error *err;
};

/*
 * Replace with *** everything from the first to the last quote of s, in
 * place. A quoted part of the URL may itself hold quotes (found by
 * fuzz_url), so quote pairs cannot be trusted to delimit it.
 */
static void hide_quoted(char *s, size_t size)
{
	const char *first = strchr(s, '\''), *last = strrchr(s, '\'');
	char out[320];

	if (!first || last == first)
		return;
	snprintf(out, sizeof out, "%.*s'***%s", (int)(first - s), s, last);
	snprintf(s, size, "%s", out);
}

static int fail(struct parse_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "<origin>: URL '<redacted>': <what>". */
static int fail(struct parse_ctx *c, const char *fmt, ...)
{
	char what[320];
	struct redacted r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	/* A part of a malformed URL quoted in the message (a port, a host, an
	 * option) may lie inside, or overlap, what url_redact() hides as the
	 * password (found by fuzz_url): when the URL has a password, every
	 * quoted part is hidden. */
	{
		size_t ps, pe;
		if (url_find_password(c->url, &ps, &pe) && pe > ps)
			hide_quoted(what, sizeof what);
	}
	return dal_error_set(c->err, DAL_ECONFIG, NULL, 0, "%s: URL '%s': %s",
	                     c->origin, redact(c->url, &r), what);
}

static int fail_nomem(struct parse_ctx *c)
{
	return dal_error_set(c->err, DAL_ENOMEM, NULL, 0,
	                     "%s: out of memory parsing URL", c->origin);
}

/*
 * Report uriparser's syntax error at url[pos], without showing any character
 * of the password, and naming a bad port when that is what failed.
 */
static int fail_syntax(struct parse_ctx *c, size_t pos)
{
	size_t ps, pe, as, hs, ae;
	char where[64], port[32];

	if (url_find_password(c->url, &ps, &pe) && pos >= ps && pos <= pe)
		return fail(c, "invalid character in the password "
		               "(percent-encode it, e.g. %%40 for '@')");
	if (find_authority(c->url, &as, &hs, &ae) && pos >= hs && pos <= ae) {
		/* Only the last host item can hold a bad port here (a list goes
		 * through parse_host_item()). */
		if (bad_port_text(c->url + hs, ae - hs, port, sizeof port))
			return fail(c, "port '%s' is not a number (1..65535)", port);
	}
	describe_char(c->url, pos, where, sizeof where);
	return fail(c, "malformed URL: unexpected %s", where);
}

static int add_option(struct dal_url *u, size_t *cap, const char *key, const char *value)
{
	struct url_option *o;

	if (u->n_options == *cap) { /* doubling: linear in the query's length */
		size_t nc = *cap ? *cap * 2 : 8;

		if (!(o = realloc(u->options, nc * sizeof *o)))
			return 0;
		u->options = o;
		*cap = nc;
	}
	o = u->options + u->n_options;
	o->key = strdup(key);
	o->value = strdup(value);
	if (!o->key || !o->value) {
		free(o->key);
		free(o->value);
		return 0;
	}
	u->n_options++;
	return 1;
}

static int parse_query(struct parse_ctx *c, const UriUriA *uri, struct dal_url *u)
{
	UriQueryListA *list = NULL, *q;
	int count = 0, rc = DAL_OK;
	size_t cap = 0;

	if (range_len(&uri->query) == 0)
		return DAL_OK;
	if (memmem(uri->query.first, range_len(&uri->query), "%00", 3))
		return fail(c, "percent-encoded NUL (%%00) in the query string");
	/* '+' stays '+': these are not HTML form values, and a password with
	 * a '+' must survive. */
	if (uriDissectQueryMallocExA(&list, &count, uri->query.first,
	                             uri->query.afterLast, URI_FALSE,
	                             URI_BR_DONT_TOUCH) != URI_SUCCESS)
		return fail_nomem(c);
	for (q = list; q; q = q->next) {
		if (!q->key || !*q->key) {
			rc = fail(c, "empty option name in the query string");
			break;
		}
		if (!q->value) {
			/* The key is quoted once: fail() can hide a quoted part
			 * that overlaps the password, not an unquoted one. */
			rc = fail(c, "option '%s' has no value (write KEY=VALUE)", q->key);
			break;
		}
		if (!add_option(u, &cap, q->key, q->value)) {
			rc = fail_nomem(c);
			break;
		}
	}
	uriFreeQueryListA(list);
	return rc;
}

/* Join path segments with '/', percent-decoding each; leading '/' if abs. */
static int join_path(struct parse_ctx *c, const UriUriA *uri, int abs, char **out)
{
	size_t n = abs ? 1 : 0;
	char *p;

	*out = NULL;
	for (const UriPathSegmentA *s = uri->pathHead; s; s = s->next)
		n += range_len(&s->text) + 1;
	p = malloc(n + 1);
	if (!p)
		return fail_nomem(c);
	p[0] = '\0';
	n = 0;
	if (abs)
		p[n++] = '/';
	for (const UriPathSegmentA *s = uri->pathHead; s; s = s->next) {
		char *seg = range_dup(&s->text);
		if (!seg) {
			free(p);
			return fail_nomem(c);
		}
		if (!decode(seg)) {
			free(seg);
			free(p);
			return fail(c, "percent-encoded NUL (%%00) in the path");
		}
		if (s != uri->pathHead)
			p[n++] = '/';
		memcpy(p + n, seg, strlen(seg));
		n += strlen(seg);
		free(seg);
	}
	p[n] = '\0';
	*out = p;
	return DAL_OK;
}

static int parse_userinfo(struct parse_ctx *c, const UriUriA *uri, struct dal_url *u)
{
	char *ui, *colon;

	if (!uri->userInfo.first)
		return DAL_OK;
	ui = range_dup(&uri->userInfo);
	if (!ui)
		return fail_nomem(c);
	colon = strchr(ui, ':');
	if (colon) {
		*colon = '\0';
		u->password = strdup(colon + 1);
		if (!u->password) {
			free(ui);
			return fail_nomem(c);
		}
		if (!decode(u->password)) {
			free(ui);
			return fail(c, "percent-encoded NUL (%%00) in the password");
		}
	}
	if (*ui) {
		if (!decode(ui)) {
			free(ui);
			return fail(c, "percent-encoded NUL (%%00) in the user name");
		}
		u->user = ui;
	} else {
		free(ui);
	}
	return DAL_OK;
}

/*
 * One item of a host list, "host", "host:port" or "[v6]:port", checked by
 * parsing "//item" as a URI of its own. Returns the host (malloc'd, without
 * brackets) in *host and its port (0 if none) in *port.
 */
static int parse_host_item(struct parse_ctx *c, const char *item, size_t n,
                           char **host, unsigned *port)
{
	char *text;
	const char *errpos = NULL;
	char portbuf[32];
	UriUriA uri;
	int rc;

	*port = 0;
	if (n == 0)
		return fail(c, "empty host in the host list");
	if (asprintf(&text, "x://%.*s", (int)n, item) < 0)
		return fail_nomem(c);
	rc = uriParseSingleUriA(&uri, text, &errpos);
	if (rc != URI_SUCCESS) {
		free(text);
		if (bad_port_text(item, n, portbuf, sizeof portbuf))
			return fail(c, "port '%s' is not a number (1..65535)", portbuf);
		return fail(c, "malformed host '%.*s' in the host list", (int)n, item);
	}
	if (uri.userInfo.first || uri.pathHead || uri.query.first ||
	    range_len(&uri.hostText) == 0) {
		uriFreeUriMembersA(&uri);
		free(text);
		return fail(c, "malformed host '%.*s' in the host list", (int)n, item);
	}
	if (!parse_port(uri.portText.first, range_len(&uri.portText), port)) {
		rc = fail(c, "port '%.*s' out of range (1..65535)",
		          (int)range_len(&uri.portText), uri.portText.first);
		uriFreeUriMembersA(&uri);
		free(text);
		return rc;
	}
	*host = range_dup(&uri.hostText);
	uriFreeUriMembersA(&uri);
	free(text);
	return *host ? DAL_OK : fail_nomem(c);
}

/* 1 if dal_host_next() would misread name without brackets. */
static int needs_brackets(const char *name)
{
	const char *colon = strchr(name, ':');

	/* An IPvFuture literal may hold commas too (found by fuzz_url). */
	return strchr(name, ',') || (colon && !strchr(colon + 1, ':'));
}

/*
 * Several hosts, "h1:5432,h2,[::1]:5432". RFC 3986 has no such thing, and
 * uriparser rejects it as soon as a port precedes a comma, so the list is cut
 * out by hand here: each item is validated on its own by parse_host_item(),
 * and the rest of the URL is parsed by uriparser with the list replaced by
 * the single host "h".
 *
 * When every host uses one port (or none names one), the host field holds
 * "h1,h2,::1" and port that port. When they differ, each item keeps its own
 * port in the host field ("h1:5432,h2:5433,[::1]:5434", the form
 * dal_host_next() reads) and port is 0; then every host must name its port,
 * since "the port given for the others" would be ambiguous.
 */
static int parse_host_list(struct parse_ctx *c, size_t hs, size_t ae,
                           struct dal_url *u, char **rest)
{
	const char *list = c->url + hs;
	size_t n = ae - hs, i = 0, count = 0, cap = 0;
	char **names = NULL;
	unsigned *ports = NULL, port = 0;
	int rc = DAL_OK, differ = 0, missing = 0;
	struct strbuf hosts = {0};

	*rest = NULL;
	while (i <= n && rc == DAL_OK) {
		size_t j = i;
		int in_brackets = 0;
		char *name = NULL;
		unsigned p;

		while (j < n && (in_brackets || list[j] != ',')) {
			if (list[j] == '[')
				in_brackets = 1;
			else if (list[j] == ']')
				in_brackets = 0;
			j++;
		}
		rc = parse_host_item(c, list + i, j - i, &name, &p);
		if (rc != DAL_OK)
			break;
		if (count == cap) {
			size_t nc = cap ? 2 * cap : 8;
			char **nn = realloc(names, nc * sizeof *nn);
			unsigned *np = nn ? realloc(ports, nc * sizeof *np) : NULL;

			if (nn)
				names = nn;
			if (!nn || !np) {
				free(name);
				rc = fail_nomem(c);
				break;
			}
			ports = np;
			cap = nc;
		}
		names[count] = name;
		ports[count++] = p;
		if (p && port && p != port)
			differ = 1;
		if (p && !port)
			port = p;
		missing |= !p;
		i = j + 1;
	}
	if (rc == DAL_OK && differ && missing) {
		for (size_t k = 0; k < count; k++)
			if (!ports[k]) {
				rc = fail(c, "hosts use different ports, and '%s' names none; "
				             "give every host its port", names[k]);
				break;
			}
	}
	for (size_t k = 0; k < count && rc == DAL_OK; k++) {
		/* Brackets where dal_host_next() would otherwise read a port or
		 * split the item: around an address with a port after it, a
		 * one-colon literal, a literal with commas. */
		int bracket = (differ && strchr(names[k], ':')) || needs_brackets(names[k]);

		if (k)
			sb_append(&hosts, ",", 1);
		sb_printf(&hosts, bracket ? "[%s]" : "%s", names[k]);
		if (differ)
			sb_printf(&hosts, ":%u", ports[k]);
	}
	if (rc == DAL_OK && count) {
		if (hosts.failed || !(u->host = sb_detach(&hosts)))
			rc = fail_nomem(c);
	}
	sb_free(&hosts);
	for (size_t k = 0; k < count; k++)
		free(names[k]);
	free(names);
	free(ports);
	if (rc != DAL_OK)
		return rc;
	u->port = differ ? 0 : port;
	if (asprintf(rest, "%.*sh%s", (int)hs, c->url, c->url + ae) < 0)
		return fail_nomem(c);
	return DAL_OK;
}

/*
 * A file database, in the SQLAlchemy convention: "scheme:///rel.db" and
 * "scheme:rel.db" are relative (to the current directory, or to the INI
 * file's for a url in it), "scheme:////abs.db" and "scheme:/abs.db"
 * absolute; "scheme:///:memory:" and "scheme::memory:" pass ":memory:" on.
 * After "//" comes an empty authority, and the path is everything after the
 * third slash, as written.
 */
static int parse_file(struct parse_ctx *c, const UriUriA *uri, struct dal_url *u)
{
	int has_authority = uri->hostText.first != NULL || uri->userInfo.first ||
	                    uri->portText.first;
	int rc;

	if (range_len(&uri->hostText)) {
		char *host = range_dup(&uri->hostText);
		if (!host)
			return fail_nomem(c);
		rc = fail(c, "a %s URL names a file, not a host (got host '%s'): write "
		             "%s:///FILE for a file relative to the current directory, or "
		             "%s:////ABSOLUTE/PATH", u->scheme, host, u->scheme, u->scheme);
		free(host);
		return rc;
	}
	if (uri->userInfo.first || range_len(&uri->portText))
		return fail(c, "a %s URL has no user, password or port: write %s:///FILE or "
		               "%s:////ABSOLUTE/PATH", u->scheme, u->scheme, u->scheme);
	/* "scheme:/abs" (no authority) keeps its leading slash; with an
	 * authority the segments already start after "///". */
	rc = join_path(c, uri, !has_authority && uri->absolutePath, &u->path);
	if (rc != DAL_OK)
		return rc;
	if (strcmp(u->path, "") == 0 || strcmp(u->path, "/") == 0)
		return fail(c, "no database file: write %s:///FILE (relative), "
		               "%s:////ABSOLUTE/PATH or %s:///:memory:", u->scheme, u->scheme,
		            u->scheme);
	return DAL_OK;
}

/*
 * Put a single host in the form dal_host_next() reads back as one host with
 * no port: an address literal with exactly one ':' (IPvFuture) goes in
 * brackets, since "v1.x:y" would read as host "v1.x", port "y". A name that
 * percent-decoding gave a ',' or a ':' (a%2Cb, a%3A1) is refused: it would
 * read as two hosts, or as a port.
 */
static int host_field(struct parse_ctx *c, const UriUriA *uri, char **host)
{
	const char *h = *host;
	char *bracketed;

	if (uri->hostData.ip6 || uri->hostData.ipFuture.first) {
		if (!needs_brackets(h))
			return DAL_OK;
		if (asprintf(&bracketed, "[%s]", h) < 0)
			return fail_nomem(c);
		free(*host);
		*host = bracketed;
		return DAL_OK;
	}
	/* One quoted part per message: fail() may hide it whole. */
	for (const char *q = h; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return fail(c, "host contains control character 0x%02x once "
			               "percent-decoded", (unsigned char)*q);
	if (*h == ' ' || h[strlen(h) - 1] == ' ')
		return fail(c, "host '%s' starts or ends with a space once percent-decoded", h);
	if (strchr(h, ','))
		return fail(c, "host '%s' contains a comma once percent-decoded; "
		               "list several hosts as HOST1,HOST2", h);
	if (*h != '/' && strpbrk(h, ":[]"))
		return fail(c, "host '%s' contains a %s once percent-decoded; "
		               "give a port as HOST:PORT, an IPv6 address as [ADDRESS]", h,
		            *strpbrk(h, ":[]") == ':' ? "colon" : "bracket");
	return DAL_OK;
}

static int parse_server(struct parse_ctx *c, const UriUriA *uri,
                        struct dal_url *u, int multi)
{
	char *name;
	int rc;

	if (!uri->hostText.first && !uri->userInfo.first) {
		return fail(c, "%s is a database server: expected "
		               "%s://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE",
		            u->scheme, u->scheme);
	}
	rc = parse_userinfo(c, uri, u);
	if (rc != DAL_OK)
		return rc;
	if (!multi) {
		if (range_len(&uri->hostText)) {
			u->host = range_dup(&uri->hostText);
			if (!u->host)
				return fail_nomem(c);
			/* A socket directory may be given as %2Fvar%2Frun. */
			if (!decode(u->host))
				return fail(c, "percent-encoded NUL (%%00) in the host");
			rc = host_field(c, uri, &u->host);
			if (rc != DAL_OK)
				return rc;
		}
		if (!parse_port(uri->portText.first, range_len(&uri->portText),
		                &u->port))
			return fail(c, "port '%.*s' out of range (1..65535)",
			            (int)range_len(&uri->portText),
			            uri->portText.first);
	}
	/* With an authority, segments are relative to "/": /db is one segment. */
	if (uri->pathHead && uri->pathHead->next)
		return fail(c, "the path names more than a database (expected /DATABASE)");
	rc = join_path(c, uri, 0, &name);
	if (rc != DAL_OK)
		return rc;
	if (*name)
		u->path = name;
	else
		free(name);
	return DAL_OK;
}

/* Split "mysql+pymysql" into scheme and driver; lower-case both. */
static int split_scheme(struct parse_ctx *c, const UriUriA *uri, struct dal_url *u)
{
	char *plus;

	u->scheme = range_dup(&uri->scheme);
	if (!u->scheme)
		return fail_nomem(c);
	for (char *p = u->scheme; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((plus = strchr(u->scheme, '+'))) {
		*plus = '\0';
		if (!plus[1])
			return fail(c, "empty driver name after '%s+'", u->scheme);
		if (!(u->driver = strdup(plus + 1)))
			return fail_nomem(c);
	}
	if (!*u->scheme)
		return fail(c, "empty scheme before '+'");
	for (const char *p = u->scheme; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
			return fail(c, "scheme '%s' is not a backend name (letters, digits and "
			               "'_', optionally followed by +DRIVER)", u->scheme);
	return DAL_OK;
}

int url_scheme(const char *url, const char *origin, char *buf, size_t size, dal_error *err)
{
	struct parse_ctx c = {url, origin ? origin : "URL", err};
	size_t n = url ? strcspn(url, ":") : 0;
	size_t base;

	if (!url || !*url)
		return dal_error_set(err, DAL_ECONFIG, NULL, 0, "%s: empty URL", c.origin);
	if (!url[n] || n == 0)
		return fail(&c, "no scheme (expected TYPE:///FILE or "
		                "TYPE://HOST/DATABASE; `dal plugins` lists the types)");
	base = strcspn(url, "+:");
	if (base == 0)
		return fail(&c, "empty scheme before '+'");
	if (base >= size)
		return fail(&c, "scheme too long");
	for (size_t i = 0; i < base; i++)
		buf[i] = (char)tolower((unsigned char)url[i]);
	buf[base] = '\0';
	return DAL_OK;
}

int url_parse(const char *url, const char *origin, int kind, struct dal_url *out,
              dal_error *err)
{
	struct parse_ctx c = {url, origin ? origin : "URL", err};
	const char *errpos = NULL;
	char *rewritten = NULL;
	const char *text;
	size_t as, hs, ae;
	UriUriA uri;
	int rc, multi = 0;

	memset(out, 0, sizeof *out);
	if (!url || !*url)
		return dal_error_set(err, DAL_ECONFIG, NULL, 0, "%s: empty URL",
		                     c.origin);
	text = url;
	if (find_authority(url, &as, &hs, &ae) && memchr(url + hs, ',', ae - hs)) {
		rc = parse_host_list(&c, hs, ae, out, &rewritten);
		if (rc != DAL_OK) {
			url_free(out);
			return rc;
		}
		text = rewritten;
		multi = 1;
	}
	rc = uriParseSingleUriA(&uri, text, &errpos);
	if (rc != URI_SUCCESS) {
		size_t pos = errpos ? (size_t)(errpos - text) : 0;
		/* Map a position behind the substituted host back to url. */
		if (multi && pos > hs)
			pos = pos - 1 + (ae - hs);
		free(rewritten);
		url_free(out);
		if (rc == URI_ERROR_MALLOC)
			return fail_nomem(&c);
		return fail_syntax(&c, pos);
	}
	if (!uri.scheme.first) {
		rc = fail(&c, "no scheme (expected TYPE:///FILE or "
		              "TYPE://HOST/DATABASE; `dal plugins` lists the types)");
		goto done;
	}
	if ((rc = split_scheme(&c, &uri, out)) != DAL_OK)
		goto done;
	if (uri.fragment.first) {
		rc = fail(&c, "unexpected fragment '#%.*s'",
		          (int)range_len(&uri.fragment), uri.fragment.first);
		goto done;
	}
	if (kind == DAL_KIND_FILE) {
		if (multi)
			rc = fail(&c, "a %s URL names a file, not hosts", out->scheme);
		else
			rc = parse_file(&c, &uri, out);
	} else {
		rc = parse_server(&c, &uri, out, multi);
	}
	if (rc == DAL_OK)
		rc = parse_query(&c, &uri, out);
done:
	uriFreeUriMembersA(&uri);
	free(rewritten);
	if (rc != DAL_OK)
		url_free(out);
	else
		dal_error_clear(err);
	return rc;
}

void url_free(struct dal_url *u)
{
	if (!u)
		return;
	free(u->scheme);
	free(u->driver);
	free(u->user);
	if (u->password) {
		/* Do not leave the secret lying in freed heap memory. */
		explicit_bzero(u->password, strlen(u->password));
		free(u->password);
	}
	free(u->host);
	free(u->path);
	for (size_t i = 0; i < u->n_options; i++) {
		free(u->options[i].key);
		free(u->options[i].value);
	}
	free(u->options);
	memset(u, 0, sizeof *u);
}
