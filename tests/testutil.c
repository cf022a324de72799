/* Helpers shared by the Check suites; see testutil.h. */
#define _GNU_SOURCE
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

char *tu_mkdtemp_main(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&path, "%s/daltest.XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

char *tu_mkdtemp(void)
{
	char *path = tu_mkdtemp_main();

	ck_assert_msg(path != NULL, "cannot make a temporary directory");
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

void tu_url_password(const char *url, char *out, size_t size)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *colon;
	char enc[256];

	out[0] = '\0';
	if (!auth)
		return;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at || !(colon = memchr(auth, ':', (size_t)(at - auth))))
		return;
	snprintf(enc, sizeof enc, "%.*s", (int)(at - colon - 1), colon + 1);
	tu_pct_decode(enc, out, size);
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

dal_config *tu_config_parse(const char *text)
{
	dal_config *cfg = NULL;
	dal_error e;

	ck_assert_msg(dal_config_parse(&cfg, text, "t.ini", &e) == DAL_OK, "%s", e.message);
	return cfg;
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

/* The output of a running program, read as it comes. */
struct capture {
	int fd;
	char *buf;
	size_t len, cap;
};

/* Read what is available on c->fd; returns 0 at end of file. */
static int capture_read(struct capture *c)
{
	ssize_t n;

	if (c->cap - c->len < 4096) {
		c->cap = c->cap ? 2 * c->cap : 8192;
		c->buf = realloc(c->buf, c->cap);
		ck_assert_ptr_nonnull(c->buf);
	}
	n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
	if (n < 0 && errno == EINTR)
		return 1;
	ck_assert_int_ge(n, 0);
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return n > 0;
}

void tu_run_va(struct tu_run *r, const char *in, const char *const *head, va_list ap)
{
	const char *argv[64];
	int argc = 0, out[2], err[2];
	struct capture co = { 0 }, ce = { 0 };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	if (tu_is_script(head[0])) /* libtool's wrapper; a static program is itself */
		argv[argc++] = "/bin/sh";
	for (; *head; head++) {
		argv[argc++] = *head;
		ck_assert_int_lt(argc, 63);
	}
	while ((argv[argc] = va_arg(ap, const char *)) != NULL) {
		argc++;
		ck_assert_int_lt(argc, 63);
	}

	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(pipe(err), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	posix_spawn_file_actions_addclose(&fa, err[0]);
	posix_spawn_file_actions_addclose(&fa, out[1]);
	posix_spawn_file_actions_addclose(&fa, err[1]);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	ck_assert_msg(rc == 0, "cannot start %s: %s", argv[0], strerror(rc));
	close(out[1]);
	close(err[1]);

	/* Drain both pipes together so that neither can fill up and block. */
	co.fd = out[0];
	ce.fd = err[0];
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd p[2] = { { co.fd, POLLIN, 0 }, { ce.fd, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0) {
			ck_assert_int_eq(errno, EINTR);
			continue;
		}
		for (int k = 0; k < 2; k++) {
			struct capture *c = k ? &ce : &co;

			if (c->fd >= 0 && (p[k].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    !capture_read(c)) {
				close(c->fd);
				c->fd = -1;
				open_fds--;
			}
		}
	}
	r->status = tu_wait(pid);
	r->out = co.buf ? co.buf : strdup("");
	r->err = ce.buf ? ce.buf : strdup("");
	ck_assert(r->out && r->err);
}

void tu_run_free(struct tu_run *r)
{
	free(r->out);
	free(r->err);
}

dal_conn *tu_conn_acquire(dal_repo *r)
{
	dal_conn *c = NULL;
	dal_error err;
	int rc = dal_conn_acquire(r, &c, &err);

	ck_assert_msg(rc == DAL_OK, "acquire: %s", err.message);
	return c;
}

void tu_conn_exec(dal_conn *c, const char *sql)
{
	int rc = dal_conn_exec(c, sql, NULL);
	ck_assert_msg(rc == DAL_OK, "%s: %s", sql, dal_conn_error(c)->message);
}

int64_t tu_conn_int64(dal_conn *c, const char *sql)
{
	dal_stmt *s;
	int64_t v;

	ck_assert_msg(dal_stmt_prepare(c, sql, &s) == DAL_OK, "%s: %s", sql,
	              dal_conn_error(c)->message);
	ck_assert_int_eq(dal_stmt_step(s), DAL_ROW);
	v = dal_stmt_column_int64(s, 0);
	dal_stmt_close(s);
	return v;
}

const char *tu_server_url(const char *backend)
{
	int mysql = strcmp(backend, "mysql") == 0;
	const char *url = getenv(mysql ? "DAL_TEST_MYSQL_URL" : "DAL_TEST_PGSQL_URL");

	if (url && *url)
		return url;
	printf("SKIP: %s: no DAL_TEST_%s_URL\n", backend, mysql ? "MYSQL" : "PGSQL");
	return NULL;
}

dal_repo *tu_backend_open(const char *backend, const char *sqlite_url, const char *query)
{
	const char *base = strcmp(backend, "sqlite") == 0 ? sqlite_url : tu_server_url(backend);
	char url[4400];
	dal_repo *r = NULL;
	dal_error err;
	int rc;

	if (!base)
		return NULL;
	snprintf(url, sizeof url, "%s%s%s", base, query ? (strchr(base, '?') ? "&" : "?") : "",
	         query ? query : "");
	rc = dal_repo_open_url(&r, url, &err);
	ck_assert_msg(rc == DAL_OK, "%s: %s", backend, err.message);
	return r;
}

int tu_plugin_path_prepend(const char *dir)
{
	const char *path = getenv("DAL_PLUGIN_PATH");
	char *dirs;
	int rc;

	if (asprintf(&dirs, "%s%s%s", dir, path && *path ? ":" : "", path ? path : "") < 0)
		return -1;
	rc = setenv("DAL_PLUGIN_PATH", dirs, 1);
	free(dirs);
	return rc;
}

char *tu_tmpdir;

void tu_tmpdir_setup(void)
{
	tu_clear_env();
	tu_tmpdir = tu_mkdtemp();
}

void tu_tmpdir_teardown(void)
{
	tu_clear_env();
	tu_rmtree(tu_tmpdir);
	tu_tmpdir = NULL;
}

char *tu_path_in(const char *name)
{
	char *p;

	ck_assert_int_gt(asprintf(&p, "%s/%s", tu_tmpdir, name), 0);
	return p;
}

dal_repo *tu_sqlite_open(const char *path, const char *query)
{
	char *url;
	dal_repo *r;
	dal_error err;

	ck_assert_int_gt(asprintf(&url, "sqlite:///%s?%s", path, query), 0);
	ck_assert_msg(dal_repo_open_url(&r, url, &err) == DAL_OK, "%s", err.message);
	free(url);
	return r;
}

int64_t tu_repo_int64(dal_repo *r, const char *sql)
{
	dal_conn *c = tu_conn_acquire(r);
	int64_t v = tu_conn_int64(c, sql);

	dal_conn_release(c);
	return v;
}

dal_repo *tu_repo_open_url(const char *url)
{
	dal_repo *r = NULL;
	dal_error err;

	tu_clear_env();
	ck_assert_msg(dal_repo_open_url(&r, url, &err) == DAL_OK, "%s", err.message);
	return r;
}

dal_stmt *tu_stmt_prepare(dal_conn *c, const char *sql)
{
	dal_stmt *s = NULL;

	ck_assert_msg(dal_stmt_prepare(c, sql, &s) == DAL_OK, "%s: %s", sql,
	              dal_conn_error(c)->message);
	return s;
}

void tu_stmt_step_row(dal_stmt *s)
{
	int rc = dal_stmt_step(s);

	ck_assert_msg(rc == DAL_ROW, "%s: %s", dal_code_name(rc), dal_stmt_error(s)->message);
}

int tu_connect_with(const char *url, const char *query, dal_error *err)
{
	char u[8400];
	dal_repo *r = NULL;
	dal_conn *c;
	int rc;

	snprintf(u, sizeof u, "%s%s%s", url, strchr(url, '?') ? "&" : "?", query);
	tu_clear_env();
	rc = dal_repo_open_url(&r, u, err);
	if (rc == DAL_OK) {
		rc = dal_conn_acquire(r, &c, err);
		if (rc == DAL_OK)
			dal_conn_release(c);
		dal_repo_close(r);
	}
	return rc;
}

void tu_assert_stream_keeps_conn(dal_conn *c, const char *label, int last_id_rc)
{
	char buffered[64];
	dal_stmt *s1, *s2, *s3;
	int64_t sum = 0, id = 0;
	int rc;

	snprintf(buffered, sizeof buffered, "%s option buffered = on", label);
	s1 = tu_stmt_prepare(c, "SELECT 7");
	s2 = tu_stmt_prepare(c, "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3");
	s3 = tu_stmt_prepare(c, "SELECT 8");
	tu_stmt_step_row(s2);
	sum += dal_stmt_column_int64(s2, 0);
	rc = dal_stmt_step(s1);
	ck_assert_msg(rc == DAL_EMISUSE, "%s", dal_code_name(rc));
	ck_assert_str_eq(dal_stmt_error(s1)->sqlstate, "HY010");
	tu_assert_has(dal_stmt_error(s1)->message, "connection busy with an unfinished result");
	tu_assert_has(dal_stmt_error(s1)->message, buffered);
	ck_assert_int_eq(dal_conn_exec(c, "SELECT 1", NULL), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(c)->message, "exec: connection busy");
	ck_assert_int_eq(dal_conn_ping(c, NULL), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(c)->message, "ping: connection busy");
	ck_assert_int_eq(dal_conn_last_insert_id(c, &id), last_id_rc);
	if (last_id_rc != DAL_OK)
		tu_assert_has(dal_conn_error(c)->message, "connection busy");
	ck_assert_int_eq(dal_conn_begin(c), DAL_EMISUSE);
	tu_assert_has(dal_conn_error(c)->message, "connection busy");
	dal_stmt_close(s1);
	while ((rc = dal_stmt_step(s2)) == DAL_ROW)
		sum += dal_stmt_column_int64(s2, 0);
	ck_assert_int_eq(rc, DAL_DONE);
	ck_assert_int_eq(sum, 6);
	tu_stmt_step_row(s3);
	ck_assert_int_eq(dal_stmt_column_int64(s3, 0), 8);
	ck_assert_int_eq(dal_stmt_step(s3), DAL_DONE);
	tu_conn_exec(c, "SELECT 1");
	dal_stmt_close(s2);
	dal_stmt_close(s3);
}

int tu_run_suite_nofork(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
