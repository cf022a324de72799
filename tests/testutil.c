/* Helpers shared by the Check suites; see testutil.h. */
#define _GNU_SOURCE
#include "testutil.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

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
		"DB_MAX_RETRIES", "DB_RETRY_DELAY", "DB_ECHO", NULL,
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

pid_t tu_spawn(const char *const *argv, const char *in, const char *out, const char *err)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
	if (out)
		posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (err)
		posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	ck_assert_msg(rc == 0, "cannot start %s: %s", argv[0], strerror(rc));
	return pid;
}

int tu_wait(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *tu_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf = realloc(buf, len + n + 1);
		ck_assert_ptr_nonnull(buf);
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	ck_assert_ptr_nonnull(buf);
	buf[len] = '\0';
	return buf;
}

void tu_slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, size - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

int tu_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

dal_repo *tu_repo_open(const char *url)
{
	dal_repo *r = NULL;
	dal_error e;

	ck_assert_msg(dal_repo_open(&r, NULL, NULL, url, &e) == DAL_OK, "open: %s", e.message);
	return r;
}

void tu_repo_exec(dal_repo *r, const char *sql)
{
	dal_error e;
	int rc = dal_repo_exec(r, sql, NULL, &e);

	ck_assert_msg(rc == DAL_OK, "%s: %s (%s)", sql, e.message, dal_code_name(rc));
}

int tu_insert_row(dal_conn *c, void *ud)
{
	const struct tu_row *row = ud;
	dal_stmt *s;
	int rc;

	if ((rc = dal_stmt_prepare(c, row->sql, &s)) != DAL_OK)
		return rc;
	if ((rc = dal_stmt_bind_int64(s, 1, row->id)) == DAL_OK &&
	    (rc = dal_stmt_step(s)) == DAL_DONE)
		rc = DAL_OK;
	dal_stmt_close(s);
	return rc;
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
