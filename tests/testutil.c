/* Helpers shared by the Check suites; see testutil.h. */
#define _GNU_SOURCE
#include "testutil.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (!base || !*base)
		base = "/tmp";
	ck_assert(asprintf(&path, "%s/daltest.XXXXXX", base) > 0);
	ck_assert_ptr_nonnull(mkdtemp(path));
	return path;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_rmtree(char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

char *tu_write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	if (dir)
		ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	else
		ck_assert_ptr_nonnull(path = strdup(name));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

void tu_clear_env(void)
{
	static const char *vars[] = {
		"DAL_CONFIG", "DB_TYPE", "DB_URL", "DATABASE_URL", "DB_HOST",
		"DB_PORT", "DB_NAME", "DB_USER", "DB_PASS", "DB_POOL_SIZE",
		"DB_MAX_RETRIES", "DB_RETRY_DELAY", NULL,
	};
	for (const char **v = vars; *v; v++)
		unsetenv(*v);
}

void tu_pct_decode(const char *in, char *out, size_t size)
{
	size_t k = 0;

	for (; *in && k + 1 < size; in++) {
		unsigned v;

		if (in[0] == '%' && sscanf(in + 1, "%2x", &v) == 1) {
			out[k++] = (char)v;
			in += 2;
		} else {
			out[k++] = *in;
		}
	}
	out[k] = '\0';
}

int tu_contains(const char *haystack, const char *needle)
{
	return haystack && needle && strstr(haystack, needle) != NULL;
}

int tu_backends_built(const char *names)
{
	while (*names) {
		size_t n = strcspn(names, " ");
		char la[4096];

		snprintf(la, sizeof la, "%s/plugins/%.*s/backend_%.*s.la", TOP_BUILDDIR, (int)n, names,
		         (int)n, names);
		if (n && access(la, F_OK) != 0) {
			fprintf(stderr, "note: %.*s backend not built (no %s): test does not apply\n",
			        (int)n, names, la);
			return 0;
		}
		names += n + (names[n] == ' ');
	}
	return 1;
}

int tu_is_script(const char *path)
{
	char head[2] = {0};
	FILE *f = fopen(path, "rb");

	if (!f)
		return 1; /* let /bin/sh report the missing file */
	if (fread(head, 1, sizeof head, f) != sizeof head)
		head[0] = '\0';
	fclose(f);
	return head[0] == '#' && head[1] == '!';
}
