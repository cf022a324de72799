/*
 * Hiding secrets in URLs for messages: the password in the userinfo and the
 * values of secret-looking query keys become ***. Works on URLs that do not
 * parse, since that is exactly when an error quotes them. Parsing is url.c's.
 */
#define _GNU_SOURCE
#include <string.h>
#include <strings.h>

#include "url.h"


/*
 * Where the password sits in url: [*start, *end), or 0 if there is none.
 *
 * This is deliberately done by hand and not with liburiparser: it must also
 * work on URLs that do not parse (that is exactly when we quote them in an
 * error), and it errs on the side of hiding too much. The userinfo is taken
 * to end at the LAST '@' of the whole string, so a password containing an
 * unescaped '/', '?', '#' or '@' is still hidden; the cost is that an '@' in a
 * query value can hide a little more than needed.
 */
int url_find_password(const char *url, size_t *start, size_t *end)
{
	const char *at = strrchr(url, '@');
	const char *ui, *colon, *sep;

	if (!at)
		return 0;
	sep = strstr(url, "://");
	if (sep && sep < at) {
		ui = sep + 3;
		colon = memchr(ui, ':', (size_t)(at - ui));
	} else {
		/* No authority marker ("mysql:u:p@h"): everything between the
		 * first ':' and the '@' may be a password. */
		colon = memchr(url, ':', (size_t)(at - url));
	}
	if (!colon)
		return 0;
	*start = (size_t)(colon + 1 - url);
	*end = (size_t)(at - url);
	return 1;
}

/* 1 if a query key names a secret ("password", "sslpassword", "pass"). */
static int key_is_secret(const char *key, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if (strncasecmp(key + i, "pass", 4) == 0)
			return 1;
	return 0;
}

/* Append n bytes to buf (capacity size, length *len), truncating. */
static void put(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + 1 >= size)
		return;
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

void url_redact(const char *url, char *buf, size_t size)
{
	size_t len = 0, ps = 0, pe = 0, i;
	int has_pw;
	const char *q;

	if (!buf || size == 0)
		return;
	buf[0] = '\0';
	if (!url)
		return;
	has_pw = url_find_password(url, &ps, &pe);
	if (has_pw) {
		put(buf, size, &len, url, ps);
		put(buf, size, &len, "***", 3);
		i = pe;
	} else {
		i = 0;
	}
	/* Query values of secret-looking keys are hidden too. */
	q = strchr(url + i, '?');
	if (!q) {
		put(buf, size, &len, url + i, strlen(url + i));
		return;
	}
	put(buf, size, &len, url + i, (size_t)(q - (url + i)) + 1);
	q++;
	while (*q) {
		size_t n = strcspn(q, "&#");
		const char *eq = memchr(q, '=', n);

		if (eq && key_is_secret(q, (size_t)(eq - q))) {
			put(buf, size, &len, q, (size_t)(eq - q) + 1);
			put(buf, size, &len, "***", 3);
		} else {
			put(buf, size, &len, q, n);
		}
		q += n;
		if (*q == '#') {
			put(buf, size, &len, q, strlen(q));
			break;
		}
		if (*q == '&')
			put(buf, size, &len, q++, 1);
	}
}

