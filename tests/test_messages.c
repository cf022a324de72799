/*
 * The errors libdal reports for misuse and bad input, each provoked through
 * the public API (or the dal tool) and checked for its code and for the
 * specific part of its message: the function and the argument, the key,
 * the file and line, the backend. Behaviour is tested elsewhere; this file
 * only pins what a user is told. SQLite in memory or in a temporary
 * directory, the minimal test plugin (tests/plugins/minimal.c) for a
 * backend that declares nothing, and PostgreSQL (DAL_TEST_PGSQL_URL) for
 * INSERT ... RETURNING; cases whose backend is missing say so and pass.
 */
#define _GNU_SOURCE
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dal/dal.h>
#include <dal/migrate.h>
#include <dal/plugin.h>
#include <dal/rows.h>

#include "testutil.h"

#define assert_err(rc, want_rc, msg, want_msg)                                           \
	do {                                                                              \
		int rc_ = (rc);                                                           \
		ck_assert_msg(rc_ == (want_rc), "%s: got %s, expected %s (message: %s)", \
		              (want_msg), dal_code_name(rc_), dal_code_name(want_rc), (msg)); \
		tu_assert_has((msg), (want_msg));                                         \
	} while (0)

static void on_migration(const dal_migration_info *mig, void *ud)
{
	(void)mig, (void)ud;
}

static void on_object(const char *kind, const char *name, void *ud)
{
	(void)kind, (void)name, (void)ud;
}

static int body_ok(dal_conn *c, void *ud)
{
	(void)c, (void)ud;
	return DAL_OK;
}

/* NULL where a pointer is required: DAL_EMISUSE naming the function and
 * the argument, one row per check. */
struct null_case {
	int rc;
	const char *msg;
};

static const struct null_case null_cases[] = {
	{DAL_EMISUSE, "dal_config_parse: out is NULL"},
	{DAL_EMISUSE, "dal_config_parse: text is NULL"},
	{DAL_EMISUSE, "dal_config_load: out is NULL"},
	{DAL_EMISUSE, "dal_config_describe: fn is NULL"},
	{DAL_EMISUSE, "dal_repo_open: out is NULL"},
	{DAL_EMISUSE, "dal_repo_open_url: out is NULL"},
	{DAL_EMISUSE, "dal_repo_open_url: url is NULL"},
	{DAL_EMISUSE, "dal_conn_acquire: out is NULL"},
	{DAL_EMISUSE, "dal_conn_acquire: repo is NULL"},
	{DAL_EMISUSE, "dal_conn_acquire_ro: out is NULL"},
	{DAL_EMISUSE, "dal_conn_acquire_ro: repo is NULL"},
	{DAL_EMISUSE, "dal_repo_transact: repo is NULL"},
	{DAL_EMISUSE, "dal_repo_transact: fn is NULL"},
	{DAL_EMISUSE, "dal_conn_exec: sql is NULL"},
	{DAL_EMISUSE, "dal_conn_last_insert_id: out is NULL"},
	{DAL_EMISUSE, "dal_stmt_prepare: out is NULL"},
	{DAL_EMISUSE, "dal_stmt_prepare: sql is NULL"},
	{DAL_EMISUSE, "dal_ident_quote: ident is NULL"},
	{DAL_EMISUSE, "dal_ident_quote: repo is NULL"},
	{DAL_EMISUSE, "dal_stmt_bind_param: parameter 2 is NULL"},
	{DAL_EMISUSE, "dal_row_insert: table is NULL"},
	{DAL_EMISUSE, "dal_row_get: out is NULL"},
	{DAL_EMISUSE, "dal_row_count: out is NULL"},
	{DAL_EMISUSE, "dal_row_exists: out is NULL"},
	{DAL_EMISUSE, "dal_row_insert_many: values is NULL with 3 rows"},
	{DAL_EMISUSE, "dal_row_list: want_total is set but total is NULL"},
	{DAL_EMISUSE, "dal_migrator_open: out is NULL"},
	{DAL_EMISUSE, "dal_migrator_open: repo is NULL"},
	{DAL_EMISUSE, "dal_migrator_up: m is NULL"},
	{DAL_EMISUSE, "dal_migrator_down: m is NULL"},
	{DAL_EMISUSE, "dal_migrator_stamp: m is NULL"},
	{DAL_EMISUSE, "dal_migrator_status: m is NULL"},
	{DAL_EMISUSE, "dal_migrator_history: m is NULL"},
	{DAL_EMISUSE, "dal_migrator_verify: m is NULL"},
	{DAL_EMISUSE, "dal_repo_drop_all: repo is NULL"},
	{DAL_EMISUSE, "dal_ident_quote: buf is NULL"},
	{DAL_EMISUSE, "dal_repo_transact_ro: repo is NULL"},
	{DAL_EMISUSE, "dal_repo_transact_ro: fn is NULL"},
};

/* Run case i; its code, and its message into e. */
static int null_call(size_t i, dal_repo *r, dal_conn *c, dal_stmt *st, const char *dir,
                     dal_error *e)
{
	static const char *const one[] = {"id"};
	dal_field f = DAL_FIELD_INT64("id", 1);
	dal_list_opts o = {.order_by = one, .n_order = 1, .limit = 1, .want_total = 1};
	dal_config *cfg;
	dal_repo *r2;
	dal_conn *c2;
	dal_stmt *st2;
	dal_migrator *m;
	char buf[16];
	int rc;

	switch (i) {
	case 0: return dal_config_parse(NULL, "[main]\n", NULL, e);
	case 1: return dal_config_parse(&cfg, NULL, NULL, e);
	case 2: return dal_config_load(NULL, "/nonexistent.ini", e);
	case 3: return dal_config_describe(NULL, NULL, "sqlite::memory:", NULL, NULL, e);
	case 4: return dal_repo_open(NULL, NULL, NULL, "sqlite::memory:", e);
	case 5: return dal_repo_open_url(NULL, "sqlite::memory:", e);
	case 6: return dal_repo_open_url(&r2, NULL, e);
	case 7: return dal_conn_acquire(r, NULL, e);
	case 8: return dal_conn_acquire(NULL, &c2, e);
	case 9: return dal_conn_acquire_ro(r, NULL, e);
	case 10: return dal_conn_acquire_ro(NULL, &c2, e);
	case 11: return dal_repo_transact(NULL, body_ok, NULL, e);
	case 12: return dal_repo_transact(r, NULL, NULL, e);
	case 13: rc = dal_conn_exec(c, NULL, NULL); break;
	case 14: rc = dal_conn_last_insert_id(c, NULL); break;
	case 15: rc = dal_stmt_prepare(c, "SELECT 1", NULL); break;
	case 16: rc = dal_stmt_prepare(c, NULL, &st2); break;
	case 17: return dal_ident_quote(r, NULL, buf, sizeof buf, e);
	case 18: return dal_ident_quote(NULL, "t", buf, sizeof buf, e);
	case 19:
		rc = dal_stmt_bind_param(st, 2, NULL);
		*e = *dal_stmt_error(st);
		return rc;
	case 20: rc = dal_row_insert(c, NULL, &f, 1, NULL, NULL); break;
	case 21: rc = dal_row_get(c, "t", NULL, 0, &f, 1, NULL); break;
	case 22: rc = dal_row_count(c, "t", NULL, 0, NULL); break;
	case 23: rc = dal_row_exists(c, "t", NULL, 0, NULL); break;
	case 24: rc = dal_row_insert_many(c, "t", one, 1, NULL, 3, NULL); break;
	case 25: rc = dal_row_list(c, "t", &o, &st2, NULL); break;
	case 26: return dal_migrator_open(NULL, r, dir, e);
	case 27: return dal_migrator_open(&m, NULL, dir, e);
	case 28: return dal_migrator_up(NULL, -1, NULL, e);
	case 29: return dal_migrator_down(NULL, -1, NULL, e);
	case 30: return dal_migrator_stamp(NULL, 0, e);
	case 31: return dal_migrator_status(NULL, on_migration, NULL, NULL, NULL, e);
	case 32: return dal_migrator_history(NULL, on_migration, NULL, e);
	case 33: return dal_migrator_verify(NULL, on_migration, NULL, e);
	case 34: return dal_repo_drop_all(NULL, DAL_DROP_DRY_RUN, on_object, NULL, NULL, e);
	case 35: return dal_ident_quote(r, "t", NULL, 16, e);
	case 36: return dal_repo_transact_ro(NULL, body_ok, NULL, e);
	case 37: return dal_repo_transact_ro(r, NULL, NULL, e);
	default: ck_abort_msg("no case %zu", i); return 0;
	}
	*e = *dal_conn_error(c);
	return rc;
}

START_TEST(test_messages_null_arguments_name_function_and_argument)
{
	dal_repo *r = tu_repo_open("sqlite::memory:");
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *st;
	char *dir = tu_mkdtemp();

	ck_assert_int_eq(dal_conn_exec(c, "CREATE TABLE t (id INTEGER PRIMARY KEY)", NULL), DAL_OK);
	ck_assert_int_eq(dal_stmt_prepare(c, "SELECT ?, ?", &st), DAL_OK);
	for (size_t i = 0; i < sizeof null_cases / sizeof *null_cases; i++) {
		dal_error e;

		memset(&e, 0, sizeof e);
		assert_err(null_call(i, r, c, st, dir, &e), null_cases[i].rc, e.message,
		           null_cases[i].msg);
		ck_assert_int_eq(e.code, null_cases[i].rc);
	}
	/* Nothing was left broken: the connection still works. */
	ck_assert_int_eq(dal_conn_exec(c, "INSERT INTO t VALUES (1)", NULL), DAL_OK);
	dal_stmt_close(st);
	dal_conn_release(c);
	dal_repo_close(r);
	tu_rmtree(dir);
}
END_TEST

/* dal_row_list(): each bad option is named, with the value given. */
START_TEST(test_messages_row_list_options)
{
	dal_repo *r = tu_repo_open("sqlite::memory:");
	dal_conn *c = tu_conn_acquire(r);
	const char *by[] = {"name", "id"};
	dal_param after[] = {DAL_PARAM_NULL, DAL_PARAM_INT64(3)}, after2[] = {
		DAL_PARAM_TEXT("b"), DAL_PARAM_NULL};
	dal_list_opts o = {.order_by = by, .n_order = 2, .limit = 0};
	dal_stmt *st;

	ck_assert_int_eq(dal_conn_exec(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
	                               NULL), DAL_OK);
	assert_err(dal_row_list(c, "t", &o, &st, NULL), DAL_EMISUSE, dal_conn_error(c)->message,
	           "dal_row_list: limit must be at least 1 (got 0)");
	o.limit = 10;
	o.offset = -5;
	assert_err(dal_row_list(c, "t", &o, &st, NULL), DAL_EMISUSE, dal_conn_error(c)->message,
	           "dal_row_list: offset must not be negative (got -5)");
	o.offset = 2;
	o.after = after2;
	assert_err(dal_row_list(c, "t", &o, &st, NULL), DAL_EMISUSE, dal_conn_error(c)->message,
	           "dal_row_list: give either offset or after (keyset), not both");
	o.offset = 0;
	o.after = after;
	assert_err(dal_row_list(c, "t", &o, &st, NULL), DAL_EMISUSE, dal_conn_error(c)->message,
	           "dal_row_list: after[0] (for order column 'name') is NULL");
	o.after = after2;
	assert_err(dal_row_list(c, "t", &o, &st, NULL), DAL_EMISUSE, dal_conn_error(c)->message,
	           "after[1] (for order column 'id') is NULL; keyset pagination needs non-NULL");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* Savepoint names: the bad name and the rule, for each function. */
START_TEST(test_messages_savepoint_names)
{
	dal_repo *r = tu_repo_open("sqlite::memory:");
	dal_conn *c = tu_conn_acquire(r);

	ck_assert_int_eq(dal_conn_begin(c), DAL_OK);
	assert_err(dal_conn_savepoint(c, "a-b"), DAL_EMISUSE, dal_conn_error(c)->message,
	           "dal_conn_savepoint: invalid savepoint name 'a-b' (1 to 63 letters, digits "
	           "or '_', not starting with a digit)");
	assert_err(dal_conn_savepoint(c, "9lives"), DAL_EMISUSE, dal_conn_error(c)->message,
	           "invalid savepoint name '9lives'");
	assert_err(dal_conn_savepoint_release(c, "x y"), DAL_EMISUSE,
	           dal_conn_error(c)->message,
	           "dal_conn_savepoint_release: invalid savepoint name 'x y'");
	assert_err(dal_conn_savepoint(c, "dal_sp_1"), DAL_EMISUSE, dal_conn_error(c)->message,
	           "dal_conn_savepoint: savepoint names starting with 'dal_sp_' are reserved for "
	           "nested dal_conn_begin()");
	assert_err(dal_conn_savepoint_rollback(c, "dal_sp_x"), DAL_EMISUSE,
	           dal_conn_error(c)->message, "dal_conn_savepoint_rollback: savepoint names "
	           "starting with 'dal_sp_' are reserved");
	ck_assert_uint_eq(dal_conn_txn_depth(c), 1); /* the transaction is intact */
	ck_assert_int_eq(dal_conn_rollback(c), DAL_OK);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

static int body_returns_positive(dal_conn *c, void *ud)
{
	(void)ud;
	return dal_conn_exec(c, "INSERT INTO t VALUES (1)", NULL) == DAL_OK ? 1 : -1;
}

static int body_returns_bare_code(dal_conn *c, void *ud)
{
	(void)ud;
	return dal_conn_exec(c, "INSERT INTO t VALUES (2)", NULL) == DAL_OK ? DAL_ENOTFOUND : -1;
}

/* A transaction body that returns what is not an error code, or a code it
 * set no error for: the message says so, and its work is rolled back. */
START_TEST(test_messages_transaction_body_results)
{
	char *dir = tu_mkdtemp(), *url;
	dal_repo *r;
	dal_conn *c;
	dal_error e;
	int64_t n;

	ck_assert_int_gt(asprintf(&url, "sqlite:///%s/t.db", dir), 0);
	r = tu_repo_open(url);
	tu_repo_exec(r, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
	assert_err(dal_repo_transact(r, body_returns_positive, NULL, &e), DAL_EMISUSE, e.message,
	           "transaction body returned 1, not DAL_OK or an error");
	assert_err(dal_repo_transact(r, body_returns_bare_code, NULL, &e), DAL_ENOTFOUND,
	           e.message, "the transaction body failed with DAL_ENOTFOUND");
	c = tu_conn_acquire(r);
	ck_assert_int_eq(dal_row_count(c, "t", NULL, 0, &n), DAL_OK);
	ck_assert_int_eq(n, 0);
	dal_conn_release(c);
	dal_repo_close(r);
	free(url);
	tu_rmtree(dir);
}
END_TEST

/* A backend that declares neither transactions, nor a last insert id, nor
 * RETURNING, nor savepoints: each refusal names the backend and what it
 * lacks. */
START_TEST(test_messages_unsupported_name_backend)
{
	dal_repo *r;
	dal_conn *c;
	dal_error e;
	dal_field f = DAL_FIELD_INT64("v", 1);
	const char *cols[] = {"v"};
	dal_param p = DAL_PARAM_INT64(1);
	int64_t id;

	ck_assert_msg(dal_repo_open_url(&r, "minimal::memory:", &e) == DAL_OK, "%s", e.message);
	c = tu_conn_acquire(r);
	assert_err(dal_conn_begin(c), DAL_EUNSUPPORTED, dal_conn_error(c)->message,
	           "backend minimal does not support transactions");
	assert_err(dal_conn_commit(c), DAL_EUNSUPPORTED, dal_conn_error(c)->message,
	           "backend minimal does not support transactions");
	assert_err(dal_conn_last_insert_id(c, &id), DAL_EUNSUPPORTED, dal_conn_error(c)->message,
	           "backend minimal has no last insert id; use INSERT ... RETURNING");
	assert_err(dal_row_insert(c, "t", &f, 1, "v", &id), DAL_EUNSUPPORTED,
	           dal_conn_error(c)->message, "dal_row_insert: backend minimal declares neither "
	           "RETURNING nor a last insert id; pass id = NULL");
	assert_err(dal_row_insert_many(c, "t", cols, 1, &p, 1, NULL), DAL_EUNSUPPORTED,
	           dal_conn_error(c)->message, "dal_row_insert_many: backend minimal has no "
	           "transactions, so the rows cannot go in all or none");
	assert_err(dal_conn_savepoint(c, "a"), DAL_EUNSUPPORTED, dal_conn_error(c)->message,
	           "dal_conn_savepoint: backend minimal does not declare savepoints");
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* INSERT ... RETURNING (PostgreSQL): the key column is required, and a row
 * that a trigger suppressed is reported, not read as key 0. */
START_TEST(test_messages_insert_returning)
{
	const char *url = getenv("DAL_TEST_PGSQL_URL");
	dal_field f = DAL_FIELD_INT64("v", 1);
	char t[64];
	dal_repo *r;
	dal_conn *c;
	int64_t id = -7, n;

	if (!url || !*url) {
		fprintf(stderr, "test_messages: DAL_TEST_PGSQL_URL not set; RETURNING cases "
		        "skipped\n");
		return;
	}
	r = tu_repo_open(url);
	c = tu_conn_acquire(r);
	ck_assert(dal_repo_capabilities(r) & DAL_CAP_RETURNING);
	snprintf(t, sizeof t, "msg_ret_%ld", (long)getpid());
	{
		char sql[512];

		snprintf(sql, sizeof sql, "CREATE TEMPORARY TABLE %s (id SERIAL PRIMARY KEY, v INT)",
		         t);
		ck_assert_int_eq(dal_conn_exec(c, sql, NULL), DAL_OK);
		ck_assert_int_eq(dal_conn_exec(c, "CREATE FUNCTION pg_temp.msg_skip() RETURNS "
		                                  "trigger LANGUAGE plpgsql AS "
		                                  "'BEGIN RETURN NULL; END'", NULL), DAL_OK);
		snprintf(sql, sizeof sql, "CREATE TRIGGER msg_skip BEFORE INSERT ON %s FOR EACH "
		         "ROW EXECUTE FUNCTION pg_temp.msg_skip()", t);
		ck_assert_msg(dal_conn_exec(c, sql, NULL) == DAL_OK, "%s",
		              dal_conn_error(c)->message);
	}
	assert_err(dal_row_insert(c, t, &f, 1, NULL, &id), DAL_EMISUSE,
	           dal_conn_error(c)->message,
	           "dal_row_insert: key_column is needed to return the key");
	assert_err(dal_row_insert(c, t, &f, 1, "id", &id), DAL_EBACKEND,
	           dal_conn_error(c)->message, "dal_row_insert: INSERT ... RETURNING into "
	           "'msg_ret_");
	tu_assert_has(dal_conn_error(c)->message, "' gave no row (a trigger or rule may have "
	              "suppressed it)");
	ck_assert_int_eq(dal_conn_txn_depth(c), 0);
	ck_assert_int_eq(dal_row_count(c, t, NULL, 0, &n), DAL_OK);
	ck_assert_int_eq(n, 0);
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

/* dal_ident_quote() into a buffer too small: the size and the name. */
START_TEST(test_messages_ident_quote_buffer_too_small)
{
	dal_repo *r = tu_repo_open("sqlite::memory:");
	char buf[8] = "unset";
	dal_error e;

	assert_err(dal_ident_quote(r, "customers", buf, sizeof buf, &e), DAL_ENOMEM, e.message,
	           "dal_ident_quote: buffer of 8 bytes too small for 'customers'");
	assert_err(dal_ident_quote(r, "s.customers", buf, sizeof buf, &e), DAL_ENOMEM,
	           e.message, "buffer of 8 bytes too small for 's.customers'");
	ck_assert_int_eq(dal_ident_quote(r, "t", buf, sizeof buf, &e), DAL_OK);
	ck_assert_str_eq(buf, "\"t\"");
	dal_repo_close(r);
}
END_TEST

/* The plugin kit's entry-point check names the backend and both ABIs. */
START_TEST(test_messages_plugin_accept_other_major)
{
	struct dal_plugin reg;
	dal_error e;
	uint32_t core3 = (3u << 16) | 4u;
	char want[128];

	memset(&reg, 0, sizeof reg);
	reg.abi_version = DAL_PLUGIN_ABI_VERSION;
	reg.struct_size = sizeof reg;
	reg.name = "acme";
	ck_assert_ptr_null(dal_plugin_accept(core3, &reg, &e));
	ck_assert_int_eq(e.code, DAL_EPLUGIN_ABI);
	snprintf(want, sizeof want, "backend 'acme' was built for plugin ABI %u.%u; the core "
	         "speaks 3.4", DAL_PLUGIN_ABI_MAJOR, DAL_PLUGIN_ABI_MINOR);
	tu_assert_has(e.message, want);
	ck_assert_ptr_eq(dal_plugin_accept(dal_plugin_abi(), &reg, &e), &reg);
}
END_TEST

/* Migrations: versions that do not exist name the directory; a file edited
 * after the migrator read it is refused by name, and nothing is applied. */
START_TEST(test_messages_migrator_versions_and_changed_file)
{
	char *dir = tu_mkdtemp(), *mig, *url, *up, want[512];
	dal_migrator *m;
	dal_repo *r;
	dal_conn *c;
	dal_error e;
	int found = 1;

	ck_assert_int_gt(asprintf(&mig, "%s/migrations", dir), 0);
	ck_assert_int_gt(asprintf(&url, "sqlite:///%s/m.db", dir), 0);
	ck_assert_int_eq(mkdir(mig, 0755), 0);
	up = tu_write_file(mig, "0001_t.sql", "CREATE TABLE t (id INTEGER);\n");
	free(tu_write_file(mig, "0001_t.down.sql", "DROP TABLE t;\n"));
	r = tu_repo_open(url);
	ck_assert_msg(dal_migrator_open(&m, r, mig, &e) == DAL_OK, "%s", e.message);
	snprintf(want, sizeof want, "no migration has version 42 in %s", mig);
	assert_err(dal_migrator_down(m, 42, NULL, &e), DAL_EMISUSE, e.message, want);
	snprintf(want, sizeof want, "no migration has version 9 in %s", mig);
	assert_err(dal_migrator_stamp(m, 9, &e), DAL_EMISUSE, e.message, want);
	snprintf(want, sizeof want, "no migration has version -3 in %s", mig);
	assert_err(dal_migrator_stamp(m, -3, &e), DAL_EMISUSE, e.message, want);
	free(tu_write_file(mig, "0001_t.sql", "CREATE TABLE t (id INTEGER, x TEXT);\n"));
	snprintf(want, sizeof want, "%s changed while the migrator ran", up);
	assert_err(dal_migrator_up(m, -1, NULL, &e), DAL_ECONFIG, e.message, want);
	c = tu_conn_acquire(r);
	ck_assert_int_eq(dal_row_exists(c, "t", NULL, 0, &found), DAL_ENOTFOUND);
	dal_conn_release(c);
	dal_migrator_close(m);
	dal_repo_close(r);
	free(up);
	free(url);
	free(mig);
	tu_rmtree(dir);
}
END_TEST

struct late {
	const char *url;
	int done, rc;
};

/* After the first migration is reverted, another process records version
 * 99, which this migrator has no file for. */
static void record_late(const dal_migration_info *mig, void *ud)
{
	struct late *l = ud;
	dal_repo *r;
	dal_error e;

	(void)mig;
	if (l->done++)
		return;
	r = tu_repo_open(l->url);
	l->rc = dal_repo_exec(r, "INSERT INTO schema_version (version, name, checksum, "
	                      "applied_at, duration_ms) VALUES (99, 'late', 'x', "
	                      "'2026-11-30T12:00:00Z', 1)", NULL, &e);
	dal_repo_close(r);
}

/* A migration applied by another migrator during a down run: the version,
 * that no file of it exists here, and why. */
START_TEST(test_messages_migrator_down_meets_newer_migration)
{
	char *dir = tu_mkdtemp(), *mig, *url, want[512];
	struct late l = {0};
	dal_migrator *m;
	dal_repo *r;
	dal_error e;
	int n = -1;

	ck_assert_int_gt(asprintf(&mig, "%s/migrations", dir), 0);
	ck_assert_int_gt(asprintf(&url, "sqlite:///%s/m.db", dir), 0);
	ck_assert_int_eq(mkdir(mig, 0755), 0);
	free(tu_write_file(mig, "0001_a.sql", "CREATE TABLE a (id INTEGER);\n"));
	free(tu_write_file(mig, "0001_a.down.sql", "DROP TABLE a;\n"));
	free(tu_write_file(mig, "0002_b.sql", "CREATE TABLE b (id INTEGER);\n"));
	free(tu_write_file(mig, "0002_b.down.sql", "DROP TABLE b;\n"));
	r = tu_repo_open(url);
	ck_assert_msg(dal_migrator_open(&m, r, mig, &e) == DAL_OK, "%s", e.message);
	ck_assert_msg(dal_migrator_up(m, -1, NULL, &e) == DAL_OK, "%s", e.message);
	l.url = url;
	dal_migrator_set_progress(m, record_late, &l);
	snprintf(want, sizeof want, "cannot revert migration 99: no file of it in %s (applied "
	         "by another migrator while this one ran)", mig);
	assert_err(dal_migrator_down(m, 0, &n, &e), DAL_ECONFIG, e.message, want);
	ck_assert_int_eq(l.rc, DAL_OK);
	ck_assert_int_eq(n, 1); /* 0002 was reverted, then the run stopped */
	dal_migrator_close(m);
	dal_repo_close(r);
	free(url);
	free(mig);
	tu_rmtree(dir);
}
END_TEST

/* A migration file that reads shorter than its size (a sysfs file, which
 * says 4096 bytes): the file, and how much of it was read. */
START_TEST(test_messages_migration_file_short_read)
{
	const char *sys = "/sys/devices/system/cpu/online";
	char *dir = tu_mkdtemp(), *mig, *link, *url, want[512];
	struct stat st;
	dal_migrator *m;
	dal_repo *r;
	dal_error e;

	if (stat(sys, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 64) {
		fprintf(stderr, "test_messages: no %s of a page; short read case skipped\n", sys);
		tu_rmtree(dir);
		return;
	}
	ck_assert_int_gt(asprintf(&mig, "%s/migrations", dir), 0);
	ck_assert_int_gt(asprintf(&link, "%s/0001_cpus.sql", mig), 0);
	ck_assert_int_gt(asprintf(&url, "sqlite:///%s/m.db", dir), 0);
	ck_assert_int_eq(mkdir(mig, 0755), 0);
	ck_assert_int_eq(symlink(sys, link), 0);
	r = tu_repo_open(url);
	snprintf(want, sizeof want, "%s: read error (", link);
	assert_err(dal_migrator_open(&m, r, mig, &e), DAL_ECONFIG, e.message, want);
	snprintf(want, sizeof want, " of its %jd bytes)", (intmax_t)st.st_size);
	tu_assert_has(e.message, want);
	dal_repo_close(r);
	free(url);
	free(link);
	free(mig);
	tu_rmtree(dir);
}
END_TEST

/* An empty migrations setting: the file and line. */
START_TEST(test_messages_migrations_setting_empty)
{
	dal_config *cfg;
	dal_repo *r;
	dal_error e;

	ck_assert_int_eq(dal_config_parse(&cfg, "[main]\nurl = sqlite::memory:\nmigrations =\n",
	                                  "app.ini", &e), DAL_OK);
	assert_err(dal_repo_open(&r, cfg, NULL, NULL, &e), DAL_ECONFIG, e.message,
	           "app.ini:3: migrations is empty");
	dal_config_free(cfg);
}
END_TEST

struct waiter {
	dal_repo *r;
	int rc;
	dal_error e;
};

static void *acquire_late(void *arg)
{
	struct waiter *w = arg;
	dal_conn *c = NULL;

	w->rc = dal_conn_acquire(w->r, &c, &w->e);
	if (c)
		dal_conn_release(c);
	return NULL;
}

/* A thread waiting for a connection while the repository is closed gets an
 * error naming the repository, not a connection of a closed pool. */
START_TEST(test_messages_acquire_while_closing)
{
	char *dir = tu_mkdtemp(), *url;
	struct waiter w = {.rc = DAL_OK};
	struct timespec pause = {0, 200 * 1000 * 1000};
	pthread_t th;
	dal_conn *held;

	ck_assert_int_gt(asprintf(&url, "sqlite:///%s/p.db?pool_size=1&max_overflow=0"
	                          "&pool_timeout=20", dir), 0);
	w.r = tu_repo_open(url);
	held = tu_conn_acquire(w.r);
	ck_assert_int_eq(pthread_create(&th, NULL, acquire_late, &w), 0);
	nanosleep(&pause, NULL); /* most likely waiting by now; either way it must fail */
	dal_repo_close(w.r);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	assert_err(w.rc, DAL_EMISUSE, w.e.message,
	           "repository 'main' is being closed: no connection to acquire");
	dal_conn_release(held); /* the last one out frees the repository */
	free(url);
	tu_rmtree(dir);
}
END_TEST

/* dal health against a server that accepts the connection and never
 * answers: the limit, the backend and the address, and what it was doing;
 * never the password. */
START_TEST(test_messages_health_no_answer)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	char url[128], want[160], *dir = tu_mkdtemp(), *out, *err;
	/* 1 s: the driver's own timeout is then libpq's minimum, 2 s, so the
	 * limit is reached first by a full second. */
	const char *argv[] = {TOP_BUILDDIR "/cli/dal", "-u", url, "health", "--timeout", "1",
	                      NULL};
	int s, status;

	if (!tu_backends_built("pgsql")) {
		tu_rmtree(dir);
		return;
	}
	/* Listening, never accepting: the kernel completes the handshake and
	 * the client waits for a startup reply that never comes. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(s, 4), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	snprintf(url, sizeof url, "postgresql://app:s3cretPW@127.0.0.1:%u/db",
	         (unsigned)ntohs(a.sin_port));
	out = malloc(strlen(dir) + 8);
	err = malloc(strlen(dir) + 8);
	sprintf(out, "%s/out", dir);
	sprintf(err, "%s/err", dir);
	status = tu_wait(tu_spawn(argv, NULL, out, err));
	close(s);
	{
		char o[2048], e[2048];

		tu_slurp(out, o, sizeof o);
		tu_slurp(err, e, sizeof e);
		ck_assert_msg(status == 1, "exit %d\n%s%s", status, o, e);
		snprintf(want, sizeof want, "unhealthy: DAL_ETIMEOUT: no answer from postgresql at "
		         "127.0.0.1:%u within 1 s (while connecting)", (unsigned)ntohs(a.sin_port));
		tu_assert_has(o, want);
		tu_assert_lacks(o, "s3cretPW");
		tu_assert_lacks(e, "s3cretPW");
	}
	free(out);
	free(err);
	tu_rmtree(dir);
}
END_TEST

/* dal health when its worker thread cannot start: a thread's stack is as
 * large as RLIMIT_STACK, and 256 TiB is more than a process's address
 * space, whatever the overcommit policy. */
START_TEST(test_messages_health_thread_not_started)
{
	struct rlimit old, huge;
	char *dir = tu_mkdtemp(), *out;
	const char *argv[] = {TOP_BUILDDIR "/cli/dal", "-u", "sqlite::memory:", "health", NULL};
	char o[1024];
	int status;
	pid_t pid;

	ck_assert_int_gt(asprintf(&out, "%s/out", dir), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_STACK, &old), 0);
	huge = old;
	huge.rlim_cur = (rlim_t)1 << 48;
	if (huge.rlim_max != RLIM_INFINITY && huge.rlim_max < huge.rlim_cur)
		huge.rlim_max = huge.rlim_cur; /* allowed for root only */
	if (setrlimit(RLIMIT_STACK, &huge) != 0) {
		fprintf(stderr, "test_messages: cannot raise RLIMIT_STACK; thread case skipped\n");
		free(out);
		tu_rmtree(dir);
		return;
	}
	pid = tu_spawn(argv, NULL, out, NULL);
	ck_assert_int_eq(setrlimit(RLIMIT_STACK, &old), 0);
	status = tu_wait(pid);
	tu_slurp(out, o, sizeof o);
	ck_assert_msg(status == 1, "exit %d: %s", status, o);
	tu_assert_has(o, "unhealthy: DAL_ENOMEM: cannot start the check's thread: ");
	free(out);
	tu_rmtree(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("messages");
	TCase *tc = tcase_create("messages");

	tu_clear_env();
	/* The minimal test plugin lives in this directory. */
	if (tu_plugin_path_prepend(TESTS_BUILDDIR) != 0)
		return 99;
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_messages_null_arguments_name_function_and_argument);
	tcase_add_test(tc, test_messages_row_list_options);
	tcase_add_test(tc, test_messages_savepoint_names);
	tcase_add_test(tc, test_messages_transaction_body_results);
	tcase_add_test(tc, test_messages_unsupported_name_backend);
	tcase_add_test(tc, test_messages_insert_returning);
	tcase_add_test(tc, test_messages_ident_quote_buffer_too_small);
	tcase_add_test(tc, test_messages_plugin_accept_other_major);
	tcase_add_test(tc, test_messages_migrator_versions_and_changed_file);
	tcase_add_test(tc, test_messages_migrator_down_meets_newer_migration);
	tcase_add_test(tc, test_messages_migration_file_short_read);
	tcase_add_test(tc, test_messages_migrations_setting_empty);
	tcase_add_test(tc, test_messages_acquire_while_closing);
	tcase_add_test(tc, test_messages_health_no_answer);
	tcase_add_test(tc, test_messages_health_thread_not_started);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
