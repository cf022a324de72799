/*
 * libFuzzer target: database URL parsing (core/url.c, core/url_redact.c):
 * url_scheme(), url_parse() for both kinds (file and server), url_redact()
 * and url_find_password(), and dal_host_next() on every host list that
 * url_parse() accepts (what a server plugin will read).
 *
 * Input: byte 0 is a mode, the rest is text.
 *   bit 0 of byte 0 clear: the text is the URL, as is.
 *   bit 0 set: the harness plants a password. The text is cut at NUL bytes
 *     into S, U, P1, P2 and H (missing parts empty), and the URL is
 *        S "://" U ":" P1 FUZZ_SECRET P2 "@" H
 *     with any ':' dropped from S, so that the authority starts at the
 *     "://". Whatever the other parts hold ('/', '@', ',', '%', ...),
 *     FUZZ_SECRET is part of the password as url_redact.c reads it, so:
 *       - no error message of url_scheme() or url_parse(), and no output of
 *         url_redact() at any buffer size, shows any 4 characters of it;
 *       - when the URL is a plain RFC 3986 one (S a valid scheme, U, P1 and
 *         P2 without '/', '?', '#', '@', '[' or ']'), a successful server
 *         parse has FUZZ_SECRET in its password.
 *   bits 1-7: the size of one of the url_redact() buffers (1..128).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/plugin.h>

#include "fuzz_common.h"
#include "url.h"

/* The next NUL-separated part of [*p, end). */
static const char *next_part(const char **p, const char *end, size_t *len)
{
	const char *s = *p;
	const char *z = s < end ? memchr(s, '\0', (size_t)(end - s)) : NULL;

	if (s >= end) {
		*len = 0;
		return "";
	}
	*len = z ? (size_t)(z - s) : (size_t)(end - s);
	*p = z ? z + 1 : end;
	return s;
}

static int has_any(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (strchr(set, s[i]))
			return 1;
	return 0;
}

static int valid_scheme(const char *s, size_t n)
{
	if (!n || !isalpha((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("+.-", s[i]))
			return 0;
	return 1;
}

static void check_redact(const char *url, size_t size)
{
	char *buf = malloc(size);
	size_t n;

	if (!buf)
		abort();
	memset(buf, 'x', size);
	url_redact(url, buf, size);
	n = strnlen(buf, size);
	FUZZ_CHECK(n < size, "url_redact: no NUL within %zu bytes", size);
	fuzz_check_message("url_redact()", buf);
	free(buf);
}

/* Every item of a host list that url_parse() produced reads back; a URL
 * without a comma names one host, whose port is never in the host field. */
static void check_hosts(const struct dal_url *u, int single)
{
	const char *list = u->host;
	size_t size = strlen(u->host) + 1; /* any item fits: length is not the point */
	char *host = malloc(size);
	unsigned port;
	dal_error err;
	int rc, items = 0;

	if (!host)
		abort();
	for (;;) {
		const char *before = list;

		rc = dal_host_next(&list, host, size, &port, &err);
		if (rc != 1)
			break;
		FUZZ_CHECK(list > before, "dal_host_next: no progress");
		FUZZ_CHECK(!single || !port, "url_parse() gave host '%s', read with port %u",
		           u->host, port);
		items++;
	}
	FUZZ_CHECK(rc == 0, "url_parse() gave host '%s', which dal_host_next() refuses: %s",
	           u->host, err.message);
	FUZZ_CHECK(items >= 1, "url_parse() gave host '%s' with no item", u->host);
	FUZZ_CHECK(!single || items == 1, "url_parse() gave host '%s', read as %d hosts",
	           u->host, items);
	free(host);
}

static void check_parsed(const char *url, const struct dal_url *u, int kind)
{
	FUZZ_CHECK(u->scheme && *u->scheme, "url_parse: no scheme");
	for (const char *p = u->scheme; *p; p++)
		FUZZ_CHECK(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_',
		           "url_parse: scheme '%s'", u->scheme);
	FUZZ_CHECK(!u->driver || *u->driver, "url_parse: empty driver");
	FUZZ_CHECK(u->port <= 65535, "url_parse: port %u", u->port);
	for (size_t i = 0; i < u->n_options; i++)
		FUZZ_CHECK(u->options[i].key && *u->options[i].key && u->options[i].value,
		           "url_parse: option %zu", i);
	if (kind == DAL_KIND_FILE) {
		FUZZ_CHECK(!u->host && !u->user && !u->password && !u->port,
		           "url_parse: a file URL with a host, user, password or port");
		FUZZ_CHECK(u->path && *u->path, "url_parse: a file URL without a path");
	} else if (u->host) {
		check_hosts(u, !strchr(url, ','));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in, *end, *s, *usr, *p1, *p2, *h;
	size_t ns, nu, n1, n2, nh, len, ps, pe;
	int strict = 0, rc;
	struct dal_url u;
	dal_error err;
	char scheme[72], small[8];
	char *url;

	if (size < 1)
		return 0;
	in = (const char *)data + 1;
	end = (const char *)data + size;
	fuzz_secret_planted = 0;
	if (data[0] & 1) {
		char *q;

		s = next_part(&in, end, &ns);
		usr = next_part(&in, end, &nu);
		p1 = next_part(&in, end, &n1);
		p2 = next_part(&in, end, &n2);
		h = next_part(&in, end, &nh);
		url = malloc(ns + nu + n1 + n2 + nh + sizeof FUZZ_SECRET + 8);
		if (!url)
			abort();
		q = url;
		for (size_t i = 0; i < ns; i++)
			if (s[i] != ':')
				*q++ = s[i];
		q += sprintf(q, "://%.*s:%.*s", (int)nu, usr, (int)n1, p1);
		q += sprintf(q, "%s%.*s@%.*s", FUZZ_SECRET, (int)n2, p2, (int)nh, h);
		/* The secret may be checked only if the input does not bring
		 * pieces of it by itself. */
		{
			char *rest = strdup(url), *at = strstr(rest, FUZZ_SECRET);
			if (!rest)
				abort();
			memset(at, '.', sizeof FUZZ_SECRET - 1);
			fuzz_secret_planted = !fuzz_has_secret_piece(rest);
			free(rest);
		}
		strict = valid_scheme(s, ns) && !memchr(s, ':', ns) &&
		         !has_any(usr, nu, "/?#@[]:") && !has_any(p1, n1, "/?#@[]") &&
		         !has_any(p2, n2, "/?#@[]");
	} else {
		url = fuzz_cstr(data + 1, size - 1);
	}
	len = strlen(url);

	/* url_scheme(): what selects the plugin. */
	rc = url_scheme(url, "fuzz", scheme, sizeof scheme, &err);
	if (rc == DAL_OK) {
		FUZZ_CHECK(strlen(scheme) < sizeof scheme && *scheme, "url_scheme: '%s'", scheme);
		for (const char *c = scheme; *c; c++)
			FUZZ_CHECK(!isupper((unsigned char)*c) && *c != ':' && *c != '+',
			           "url_scheme: '%s'", scheme);
	} else {
		FUZZ_CHECK(rc == DAL_ECONFIG, "url_scheme: code %d", rc);
		fuzz_check_message("url_scheme()", err.message);
	}
	rc = url_scheme(url, NULL, small, sizeof small, &err);
	if (rc != DAL_OK)
		fuzz_check_message("url_scheme()", err.message);

	/* url_parse(), as a file and as a server database. */
	for (int kind = DAL_KIND_FILE; kind <= DAL_KIND_SERVER; kind++) {
		memset(&err, 0, sizeof err);
		rc = url_parse(url, kind ? "DB_URL" : NULL, kind, &u, &err);
		if (rc == DAL_OK) {
			check_parsed(url, &u, kind);
			if (strict && kind == DAL_KIND_SERVER)
				FUZZ_CHECK(u.password && strstr(u.password, FUZZ_SECRET),
				           "url_parse: the password is not where RFC 3986 puts it");
		} else {
			FUZZ_CHECK(rc == DAL_ECONFIG, "url_parse: code %d: %s", rc, err.message);
			FUZZ_CHECK(*err.message, "url_parse: no message");
		}
		fuzz_check_message("a url_parse() message", err.message);
		url_free(&u);
		url_free(&u); /* safe on a zeroed struct */
	}

	/* url_find_password() and url_redact(). */
	if (url_find_password(url, &ps, &pe))
		FUZZ_CHECK(ps <= pe && pe <= len, "url_find_password: [%zu, %zu) of %zu", ps, pe,
		           len);
	else if (fuzz_secret_planted)
		fuzz_fail("url_find_password: no password found");
	check_redact(url, 1);
	check_redact(url, 2);
	check_redact(url, (size_t)(data[0] >> 1) + 1);
	check_redact(url, 256);
	check_redact(url, len + 16);
	if (!strchr(url, '@') && !strchr(url, '?')) {
		char *copy = malloc(len + 1);
		if (!copy)
			abort();
		url_redact(url, copy, len + 1);
		FUZZ_CHECK(strcmp(copy, url) == 0, "url_redact changed a URL without secrets");
		free(copy);
	}
	free(url);
	return 0;
}
