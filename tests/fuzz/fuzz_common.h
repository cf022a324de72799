/*
 * What the libFuzzer targets in tests/fuzz/ share: turning the input into a
 * C string, failing loudly, and the "no password in any message" check.
 *
 * The parsers take C strings: a target's text stops at the first NUL byte
 * (fuzz_url's planted-password mode uses NULs to separate the parts of the
 * URL it builds). A check that fails calls fuzz_fail(),
 * which prints why and aborts, so libFuzzer keeps the input as a crash.
 *
 * Known bugs: built with -DFUZZ_KNOWN_BUGS (make fuzz FUZZ_KNOWN_BUGS=1),
 * the targets let through the open findings listed in docs/testing.md
 * ("Fuzzing"), each recognised narrowly where it is checked, so that a
 * long run can measure the rest while a fix is pending. Without it (the
 * default, and CI) every finding fails. Remove an exception with its fix.
 */
#ifndef DAL_FUZZ_COMMON_H
#define DAL_FUZZ_COMMON_H

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dal/dal.h>

static void fuzz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz check failed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define FUZZ_CHECK(cond, ...)                \
	do {                                 \
		if (!(cond))                 \
			fuzz_fail(__VA_ARGS__); \
	} while (0)

/* data[0..size) as a malloc'd C string, cut at the first NUL. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * The secret the harnesses plant where a password goes (URL userinfo, INI
 * `password`, DB_PASS, password files). No message and no log line may show
 * it, nor any 4 characters of it in a row: the check looks for every window
 * of FUZZ_WINDOW characters. An input that already contains such a window
 * elsewhere is not checked (it could legitimately be quoted).
 */
#define FUZZ_SECRET "Qz7Xj9Kv"
#define FUZZ_WINDOW 4

/* 1 if text contains a FUZZ_WINDOW-character piece of FUZZ_SECRET. */
static inline int fuzz_has_secret_piece(const char *text)
{
	static const char secret[] = FUZZ_SECRET;
	char piece[FUZZ_WINDOW + 1];

	if (!text)
		return 0;
	for (size_t i = 0; i + FUZZ_WINDOW <= sizeof secret - 1; i++) {
		memcpy(piece, secret + i, FUZZ_WINDOW);
		piece[FUZZ_WINDOW] = '\0';
		if (strstr(text, piece))
			return 1;
	}
	return 0;
}

/* 1 if the INI key k[0..n) holds a secret: "password", "sslpassword", any
 * key naming "pass" (as the core decides what to hide), but not the two
 * generic keys whose values `dal config` shows: password_file (a path) and
 * allow_empty_password (a switch). */
static inline int fuzz_secret_key(const char *k, size_t n)
{
	if ((n == 13 && memcmp(k, "password_file", 13) == 0) ||
	    (n == 20 && memcmp(k, "allow_empty_password", 20) == 0))
		return 0;
	for (size_t i = 0; i + 4 <= n; i++)
		if (strncasecmp(k + i, "pass", 4) == 0)
			return 1;
	return 0;
}

/*
 * A copy of INI text with the value of every secret line (blanks, a key for
 * which fuzz_secret_key() holds, blanks, '=' or ':') replaced by
 * FUZZ_SECRET. *planted says whether any was.
 */
static inline char *fuzz_plant_ini(const char *text, int *planted)
{
	size_t n = strlen(text), lines = 1;
	const char *p = text;
	char *out, *o;
	int in_env = 0;

	for (const char *c = text; *c; c++)
		lines += *c == '\n';
	out = malloc(n + lines * sizeof FUZZ_SECRET + 1);
	if (!out)
		abort();
	o = out;
	*planted = 0;
	while (*p) {
		const char *eol = strchr(p, '\n'), *k = p, *ke, *sep;
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		/* Blanks as config.c's reader and inih strip them, and on the
		 * first line byte order marks too. */
		for (;;) {
			if (k < p + len && isspace((unsigned char)*k))
				k++;
			else if (p == text && p + len - k >= 3 && memcmp(k, "\xEF\xBB\xBF", 3) == 0)
				k += 3;
			else
				break;
		}
		/* A [name.env] section maps settings to variable names: its
		 * "password" line names a variable and is no secret. */
		if (k < p + len && *k == '[') {
			const char *a = k + 1, *b = memchr(k, ']', (size_t)(p + len - k));

			if (b) {
				while (a < b && isspace((unsigned char)*a))
					a++;
				while (b > a && isspace((unsigned char)b[-1]))
					b--;
				in_env = b - a >= 4 && memcmp(b - 4, ".env", 4) == 0;
			}
		}
		sep = k;
		while (sep < p + len && *sep != '=' && *sep != ':')
			sep++;
		ke = sep;
		while (ke > k && isspace((unsigned char)ke[-1]))
			ke--;
		if (sep < p + len && *k != '[' && *k != ';' && *k != '#' && !in_env &&
		    fuzz_secret_key(k, (size_t)(ke - k))) {
			size_t head = (size_t)(sep + 1 - p);
			memcpy(o, p, head);
			o += head;
			o += sprintf(o, " %s", FUZZ_SECRET);
			*planted = 1;
		} else {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
		if (eol)
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

/* Set by a harness when the secret was planted and the input does not
 * contain it by itself; the log sink and fuzz_check_message() then check. */
static int fuzz_secret_planted;

static inline void fuzz_check_message(const char *what, const char *text)
{
	if (fuzz_secret_planted && fuzz_has_secret_piece(text))
		fuzz_fail("the password shows in %s: %s", what, text);
}

/* A log sink that formats every line (so the formatting runs) and checks it. */
static inline void fuzz_log_sink(dal_log_level level, const char *line, void *ud)
{
	(void)level;
	(void)ud;
	fuzz_check_message("a log line", line);
}

#endif
