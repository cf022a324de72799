/*
 * The copy (core/copy*.c) when a call fails part way, through the
 * fault-injection layer (core/fault.h) on SQLite: for every slot the copy
 * uses and every call of it, on the target and on the source, the copy
 * stops with the injected code and a message naming the step, and a copy
 * run again (with resume) finishes and verifies. And the standard-SQL
 * catalog path, through a plugin that declares no SQL facts
 * (tests/plugins/nofacts.c: SQLite's function table, sql = NULL).
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/copy.h>
#include <dal/dal.h>

#include "fault.h"
#include "testutil.h"

static char *tmpdir;
static int seq;

static void setup(void)
{
	tu_clear_env();
	tmpdir = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rmtree(tmpdir);
	tmpdir = NULL;
}

static void url_of(char *url, size_t size, const char *name)
{
	snprintf(url, size, "sqlite:///%s/%s", tmpdir, name);
}

/* A source with a keyed table (7 rows of every kind of value) and a
 * table without a key (3 rows): batches of 2 make several transactions. */
static dal_repo *make_source(const char *name)
{
	char url[4200];
	dal_repo *r;

	url_of(url, sizeof url, name);
	r = tu_repo_open(url);
	tu_repo_exec(r, "CREATE TABLE k (id INTEGER PRIMARY KEY, t TEXT, d REAL, b BLOB, "
	                "n INTEGER NOT NULL)");
	tu_repo_exec(r, "INSERT INTO k VALUES (1, 'a', 1.5, x'00ff', 1), (2, NULL, NULL, NULL, 2), "
	                "(3, 'c''q', -2.25, x'', 3), (4, 'd', 0, x'01', 4), (5, 'e', 1e10, NULL, 5), "
	                "(6, 'f', 3, x'02', 6), (7, 'g', 4, x'03', 7)");
	tu_repo_exec(r, "CREATE TABLE nokey (a TEXT, b INTEGER)");
	tu_repo_exec(r, "INSERT INTO nokey VALUES ('x', 1), ('y', NULL), (NULL, 3)");
	return r;
}

static dal_repo *open_faulty(const char *name, const struct fault_rule *rule)
{
	char url[4200];
	dal_repo *r;
	dal_error e;

	url_of(url, sizeof url, name);
	ck_assert_msg(repo_open_faulty(&r, NULL, NULL, url, rule, rule ? 1 : 0, &e) == DAL_OK,
	              "%s", e.message);
	return r;
}

/* The source's and target's checksums of table agree. */
static void assert_same(dal_repo *from, dal_repo *to, const char *table)
{
	int64_t r1, r2;
	uint64_t s1, s2;
	dal_error e;

	ck_assert_msg(dal_copy_checksum(from, table, &r1, &s1, &e) == DAL_OK, "%s", e.message);
	ck_assert_msg(dal_copy_checksum(to, table, &r2, &s2, &e) == DAL_OK, "%s", e.message);
	ck_assert_int_eq(r1, r2);
	ck_assert_uint_eq(s1, s2);
}

/*
 * Call nth of slot fails (once) on the target (side 0) or the source
 * (side 1). Returns 1 if the fault was hit: then the copy failed with the
 * injected code and a "copy: ..." message quoting the injected fault, and
 * a second run over the same target with resume finished and verified. 0
 * if the copy made fewer such calls: then it succeeded.
 */
static int copy_with_fault(int side, enum fault_slot slot, unsigned nth)
{
	const struct fault_rule rule = {slot, nth, 1, DAL_EBUSY};
	const dal_copy_options opt = {.batch_rows = 2};
	const dal_copy_options again = {.batch_rows = 2, .resume = 1};
	char src_name[64], dst_name[64], want[96];
	dal_repo *from, *to;
	dal_copy_result res;
	dal_error e;
	unsigned calls;
	int rc;

	snprintf(src_name, sizeof src_name, "src%d.db", ++seq);
	snprintf(dst_name, sizeof dst_name, "dst%d.db", seq);
	from = make_source(src_name);
	if (side == 1) {
		dal_repo_close(from);
		from = open_faulty(src_name, &rule);
		to = open_faulty(dst_name, NULL);
	} else {
		to = open_faulty(dst_name, &rule);
	}
	rc = dal_copy_run(from, to, &opt, &res, &e);
	calls = fault_calls(repo_fault(side ? from : to), slot);
	if (calls < nth) {
		ck_assert_msg(rc == DAL_OK, "%s call %u (of %u) not hit, yet: %s", fault_slot_name(slot),
		              nth, calls, e.message);
		ck_assert_uint_eq(res.tables, 2);
		ck_assert_uint_eq(res.tables_copied, 2);
		ck_assert_int_eq(res.rows_copied, 10);
		ck_assert_uint_eq(res.mismatches, 0);
		dal_repo_close(from);
		dal_repo_close(to);
		return 0;
	}
	ck_assert_msg(rc == DAL_EBUSY, "%s %s call %u: %s: %s", side ? "source" : "target",
	              fault_slot_name(slot), nth, dal_code_name(rc), e.message);
	ck_assert_msg(strncmp(e.message, "copy: ", 6) == 0, "%s", e.message);
	snprintf(want, sizeof want, "injected fault: %s call %u fails", fault_slot_name(slot), nth);
	tu_assert_has(e.message, want);
	dal_repo_close(from);
	dal_repo_close(to);

	from = open_faulty(src_name, NULL);
	to = open_faulty(dst_name, NULL);
	rc = dal_copy_run(from, to, &again, &res, &e);
	ck_assert_msg(rc == DAL_OK, "after %s %s call %u: %s: %s", side ? "source" : "target",
	              fault_slot_name(slot), nth, dal_code_name(rc), e.message);
	ck_assert_uint_eq(res.mismatches, 0);
	assert_same(from, to, "k");
	assert_same(from, to, "nokey");
	dal_repo_close(from);
	dal_repo_close(to);
	return 1;
}

static void sweep(int side, enum fault_slot slot, unsigned at_least)
{
	unsigned nth = 1;

	while (copy_with_fault(side, slot, nth))
		ck_assert_msg(++nth < 2000, "%s: no end", fault_slot_name(slot));
	/* The slot was used as often as the copy's steps need. */
	ck_assert_msg(nth > at_least, "%s %s: only %u calls", side ? "source" : "target",
	              fault_slot_name(slot), nth - 1);
}

START_TEST(test_copy_target_prepare_fails)
{
	sweep(0, FAULT_PREPARE, 10);
}
END_TEST

START_TEST(test_copy_target_step_fails)
{
	sweep(0, FAULT_STEP, 10);
}
END_TEST

START_TEST(test_copy_target_exec_fails)
{
	sweep(0, FAULT_EXEC, 2);
}
END_TEST

START_TEST(test_copy_target_begin_commit_fail)
{
	sweep(0, FAULT_BEGIN, 3);
	sweep(0, FAULT_COMMIT, 3);
}
END_TEST

START_TEST(test_copy_target_bind_fails)
{
	sweep(0, FAULT_BIND, 10);
}
END_TEST

START_TEST(test_copy_source_fails)
{
	sweep(1, FAULT_PREPARE, 5);
	sweep(1, FAULT_STEP, 10);
}
END_TEST

/* A copy interrupted by a failed commit (call `at`), so that its state
 * is left in the target; the source and the target's names. */
static void interrupted(unsigned at, char *src_name, char *dst_name, size_t size)
{
	const struct fault_rule rule = {FAULT_COMMIT, at, 1, DAL_EBUSY};
	const dal_copy_options opt = {.batch_rows = 2};
	dal_repo *from, *to;
	dal_error e;

	snprintf(src_name, size, "src%d.db", ++seq);
	snprintf(dst_name, size, "dst%d.db", seq);
	from = make_source(src_name);
	to = open_faulty(dst_name, &rule);
	ck_assert_int_eq(dal_copy_run(from, to, &opt, NULL, &e), DAL_EBUSY);
	dal_repo_close(from);
	dal_repo_close(to);
}

/*
 * A resumed copy (of a copy stopped at commit `at`) with call nth of slot
 * failing: 1 if it was hit; then it failed with the fault, and resumed
 * once more without faults it finishes and verifies.
 */
static int resume_with_fault(unsigned at, enum fault_slot slot, unsigned nth)
{
	const struct fault_rule rule = {slot, nth, 1, DAL_EBUSY};
	const dal_copy_options again = {.batch_rows = 2, .resume = 1};
	char src_name[64], dst_name[64], want[96];
	dal_repo *from, *to;
	dal_copy_result res;
	dal_error e;
	int rc, hit;

	interrupted(at, src_name, dst_name, sizeof src_name);
	from = open_faulty(src_name, NULL);
	to = open_faulty(dst_name, &rule);
	rc = dal_copy_run(from, to, &again, &res, &e);
	hit = fault_calls(repo_fault(to), slot) >= nth;
	if (!hit) {
		ck_assert_msg(rc == DAL_OK, "%s", e.message);
		dal_repo_close(to);
		to = open_faulty(dst_name, NULL);
	} else {
		ck_assert_msg(rc == DAL_EBUSY, "resume after commit %u, %s call %u: %s: %s", at,
		              fault_slot_name(slot), nth, dal_code_name(rc), e.message);
		snprintf(want, sizeof want, "injected fault: %s call %u fails", fault_slot_name(slot),
		         nth);
		tu_assert_has(e.message, want);
		dal_repo_close(to);
		to = open_faulty(dst_name, NULL);
		rc = dal_copy_run(from, to, &again, &res, &e);
		ck_assert_msg(rc == DAL_OK, "%s", e.message);
	}
	ck_assert_uint_eq(res.mismatches, 0);
	assert_same(from, to, "k");
	assert_same(from, to, "nokey");
	dal_repo_close(from);
	dal_repo_close(to);
	return hit;
}

/* Resumes of a copy stopped inside the keyed table (commit 2: resumed
 * by key) and inside the table without a key (commit 6: its rows are
 * deleted and copied again), each call failing in turn. */
START_TEST(test_copy_resume_fails)
{
	static const enum fault_slot slots[] = {FAULT_PREPARE, FAULT_STEP, FAULT_BIND, FAULT_EXEC};
	static const unsigned at[] = {2, 6};

	for (size_t a = 0; a < 2; a++)
		for (size_t i = 0; i < sizeof slots / sizeof *slots; i++) {
			unsigned nth = 1;

			while (resume_with_fault(at[a], slots[i], nth))
				ck_assert_msg(++nth < 2000, "no end");
			ck_assert_msg(nth > 1, "%s: no call", fault_slot_name(slots[i]));
		}
}
END_TEST

/* A resume key in dal_copy_state that the copy did not write: refused
 * with DAL_EDATA naming the table (or, for a NULL key of a column that
 * cannot be NULL, resumed from nowhere: the verification finds the rows
 * missing). The target's rows are kept. */
START_TEST(test_copy_resume_key_tampered)
{
	static const struct {
		const char *key;
		int code;
		const char *msg;
	} cases[] = {
		{"zz", DAL_EDATA, "copy: table k: the resume key in dal_copy_state is not one this "
		                  "copy wrote ('zz')"},
		{"q:1;", DAL_EDATA, "copy: table k: bad resume key in dal_copy_state"},
		{"t:abc;", DAL_EDATA, "copy: table k: bad resume key in dal_copy_state"},
		{"x:0G;", DAL_EDATA, "copy: table k: bad resume key in dal_copy_state"},
		{"n:;", DAL_EDATA, "copy: verification failed for 1 table (source/target rows): "
		                   "k (rows 7/2)"},
	};
	const dal_copy_options again = {.batch_rows = 2, .resume = 1};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char src_name[64], dst_name[64], sql[200];
		dal_repo *from, *to;
		dal_error e;
		int rc;

		interrupted(2, src_name, dst_name, sizeof src_name);
		from = open_faulty(src_name, NULL);
		to = open_faulty(dst_name, NULL);
		snprintf(sql, sizeof sql, "UPDATE dal_copy_state SET last_key = '%s' "
		         "WHERE table_name = 'k'", cases[i].key);
		tu_repo_exec(to, sql);
		rc = dal_copy_run(from, to, &again, NULL, &e);
		ck_assert_msg(rc == cases[i].code, "%s: %s: %s", cases[i].key, dal_code_name(rc),
		              e.message);
		ck_assert_str_eq(e.message, cases[i].msg);
		dal_repo_close(from);
		dal_repo_close(to);
	}
}
END_TEST

/* The first column of the one row sql returns on r, as text (static). */
static const char *text_of(dal_repo *r, const char *sql)
{
	static char out[512];
	dal_conn *c = tu_conn_acquire(r);
	dal_stmt *st;

	ck_assert_int_eq(dal_stmt_prepare(c, sql, &st), DAL_OK);
	ck_assert_int_eq(dal_stmt_step(st), DAL_ROW);
	snprintf(out, sizeof out, "%s", dal_stmt_column_text(st, 0, NULL));
	dal_stmt_close(st);
	dal_conn_release(c);
	return out;
}

/* Into a backend that declares no SQL facts: the copy creates the tables
 * in the SQL standard's type names and fills them, then reads the target's
 * catalog through information_schema, which SQLite does not have: the
 * verification fails on that, naming the query and SQLite's error. */
START_TEST(test_copy_into_a_backend_without_facts)
{
	char url[4200];
	dal_repo *from = make_source("src.db"), *to, *check;
	dal_copy_result res;
	dal_error e;
	int rc;

	snprintf(url, sizeof url, "nofacts:///%s/dst.db", tmpdir);
	to = tu_repo_open(url);
	ck_assert_ptr_null(dal_repo_sql_facts(to));
	rc = dal_copy_run(from, to, NULL, &res, &e);
	ck_assert_msg(rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc), e.message);
	ck_assert_str_eq(e.message, "copy: reading the columns: prepare: no such table: "
	                            "information_schema.columns");
	ck_assert_uint_eq(res.tables_created, 2);
	ck_assert_uint_eq(res.tables_copied, 2);
	ck_assert_int_eq(res.rows_copied, 10);
	dal_repo_close(to);

	/* What it created: the standard's names, NOT NULL and the key kept. */
	url_of(url, sizeof url, "dst.db");
	check = tu_repo_open(url);
	ck_assert_str_eq(text_of(check, "SELECT sql FROM sqlite_master WHERE name = 'k'"),
	                 "CREATE TABLE \"k\" (\"id\" BIGINT, \"t\" TEXT, "
	                 "\"d\" DOUBLE PRECISION, \"b\" BLOB, \"n\" BIGINT NOT NULL, "
	                 "PRIMARY KEY (\"id\"))");
	ck_assert_str_eq(text_of(check, "SELECT sql FROM sqlite_master WHERE name = 'nokey'"),
	                 "CREATE TABLE \"nokey\" (\"a\" TEXT, \"b\" BIGINT)");
	assert_same(from, check, "k");
	assert_same(from, check, "nokey");
	dal_repo_close(check);
	dal_repo_close(from);
}
END_TEST

/* From a backend without facts whose database has an information_schema
 * (attached on the repository's one connection, filled as a server's
 * would be for its tables): the copy lists the tables and reads the
 * columns, their lengths, precision and the key through the standard's
 * queries, and the copy verifies. Without it, listing the tables fails
 * with SQLite's error. */
START_TEST(test_copy_from_a_backend_without_facts)
{
	char url[4200], sql[4400];
	dal_repo *from, *to, *info;
	dal_copy_result res;
	dal_error e;
	int rc;

	url_of(url, sizeof url, "src.db");
	from = tu_repo_open(url);
	tu_repo_exec(from, "CREATE TABLE item (id INTEGER NOT NULL, name VARCHAR(20) NOT NULL, "
	                   "price NUMERIC(10,2), doc BLOB, PRIMARY KEY (id))");
	tu_repo_exec(from, "INSERT INTO item VALUES (1, 'one', 1.25, x'01'), "
	                   "(2, 'two', NULL, NULL), (3, 'three', 3.5, x'')");
	tu_repo_exec(from, "CREATE TABLE other (x TEXT)");
	dal_repo_close(from);

	url_of(url, sizeof url, "info.db");
	info = tu_repo_open(url);
	tu_repo_exec(info, "CREATE TABLE tables (table_schema, table_name, table_type, "
	                   "current_schema)");
	tu_repo_exec(info, "INSERT INTO tables VALUES ('main', 'item', 'BASE TABLE', 'main'), "
	                   "('main', 'v', 'VIEW', 'main'), ('other', 'x', 'BASE TABLE', 'main')");
	tu_repo_exec(info, "CREATE TABLE columns (table_schema, table_name, column_name, "
	                   "data_type, is_nullable, character_maximum_length, numeric_precision, "
	                   "numeric_scale, ordinal_position, current_schema)");
	tu_repo_exec(info, "INSERT INTO columns VALUES "
	                   "('main', 'item', 'id', 'integer', 'NO', NULL, 32, 0, 1, 'main'), "
	                   "('main', 'item', 'name', 'character varying', 'NO', 20, NULL, NULL, "
	                   "2, 'main'), "
	                   "('main', 'item', 'price', 'numeric', 'YES', NULL, 10, 2, 3, 'main'), "
	                   "('main', 'item', 'doc', 'bytea', 'YES', NULL, NULL, NULL, 4, 'main')");
	tu_repo_exec(info, "CREATE TABLE table_constraints (constraint_name, constraint_schema, "
	                   "table_schema, table_name, constraint_type)");
	tu_repo_exec(info, "INSERT INTO table_constraints VALUES "
	                   "('item_pkey', 'main', 'main', 'item', 'PRIMARY KEY')");
	tu_repo_exec(info, "CREATE TABLE key_column_usage (constraint_name, constraint_schema, "
	                   "table_name, column_name, ordinal_position)");
	tu_repo_exec(info, "INSERT INTO key_column_usage VALUES "
	                   "('item_pkey', 'main', 'item', 'id', 1)");
	dal_repo_close(info);

	/* Without information_schema. */
	snprintf(url, sizeof url, "nofacts:///%s/src.db?pool_size=1&max_overflow=0", tmpdir);
	from = tu_repo_open(url);
	url_of(url, sizeof url, "dst.db");
	to = tu_repo_open(url);
	rc = dal_copy_run(from, to, NULL, &res, &e);
	ck_assert_msg(rc == DAL_ENOTFOUND, "%s: %s", dal_code_name(rc), e.message);
	ck_assert_str_eq(e.message, "copy: listing the tables: prepare: no such table: "
	                            "information_schema.tables");

	snprintf(sql, sizeof sql, "ATTACH '%s/info.db' AS information_schema", tmpdir);
	tu_repo_exec(from, sql);
	rc = dal_copy_run(from, to, NULL, &res, &e);
	ck_assert_msg(rc == DAL_OK, "%s: %s", dal_code_name(rc), e.message);
	ck_assert_uint_eq(res.tables, 1); /* item only: no view, no other schema */
	ck_assert_uint_eq(res.tables_created, 1);
	ck_assert_int_eq(res.rows_copied, 3);
	ck_assert_uint_eq(res.mismatches, 0);
	ck_assert_str_eq(text_of(to, "SELECT sql FROM sqlite_master WHERE name = 'item'"),
	                 "CREATE TABLE \"item\" (\"id\" INTEGER NOT NULL, \"name\" VARCHAR(20) "
	                 "NOT NULL, \"price\" NUMERIC(10,2), \"doc\" BLOB, PRIMARY KEY (\"id\"))");
	ck_assert_str_eq(text_of(to, "SELECT group_concat(name || '=' || coalesce(price, '-'), "
	                             "',') FROM (SELECT * FROM item ORDER BY id)"),
	                 "one=1.25,two=-,three=3.5");
	assert_same(from, to, "item");
	dal_repo_close(to);
	dal_repo_close(from);
}
END_TEST

/* Each declared type's class (core/copy_schema.c) shows in the type the
 * target gets, here in the SQL standard's names (the nofacts target): the
 * zoned timestamp (no zoned type declared: text), timestamps, dates,
 * booleans as MySQL spells them, intervals and points (text, although they
 * contain "int"), integers, doubles, decimals with a usable precision and
 * without (a precision out of 1..65 or a scale out of 0..precision), blobs,
 * text, and SQLite's free types: other text has NUMERIC affinity, no type
 * at all holds anything (text). */
START_TEST(test_copy_type_classes)
{
	char url[4200];
	dal_repo *from, *to, *check;
	dal_copy_result res;
	dal_error e;

	url_of(url, sizeof url, "src.db");
	from = tu_repo_open(url);
	tu_repo_exec(from, "CREATE TABLE c (a TIMESTAMPTZ, b \"TIME WITH TIME ZONE\", "
	                   "c DATETIME, d DATE, e \"TINYINT(1)\", f \"BIT(1)\", g INTERVAL, "
	                   "h POINT, i SERIAL, j FLOAT, k DOUBLE, l \"DECIMAL(5, 2)\", "
	                   "m \"NUMERIC(100,2)\", n NUMBER, o BYTEA, p BINARY, q CLOB, "
	                   "r \"VARCHAR(10)\", s WHATEVER, t, u \"NUMERIC(5 ,2)\", "
	                   "v \"NUMERIC(0)\", w \"NUMERIC(5,-1)\", x \"NUMERIC(2,5)\")");
	snprintf(url, sizeof url, "nofacts:///%s/dst.db", tmpdir);
	to = tu_repo_open(url);
	ck_assert_int_eq(dal_copy_run(from, to, NULL, &res, &e), DAL_ENOTFOUND);
	ck_assert_uint_eq(res.tables_created, 1);
	dal_repo_close(to);
	url_of(url, sizeof url, "dst.db");
	check = tu_repo_open(url);
	ck_assert_str_eq(text_of(check, "SELECT sql FROM sqlite_master WHERE name = 'c'"),
	                 "CREATE TABLE \"c\" (\"a\" TEXT, \"b\" TEXT, \"c\" TIMESTAMP, \"d\" DATE, "
	                 "\"e\" BOOLEAN, \"f\" BOOLEAN, \"g\" TEXT, \"h\" TEXT, \"i\" BIGINT, "
	                 "\"j\" DOUBLE PRECISION, \"k\" DOUBLE PRECISION, \"l\" NUMERIC(5,2), "
	                 "\"m\" NUMERIC, \"n\" NUMERIC, \"o\" BLOB, \"p\" BLOB, \"q\" TEXT, "
	                 "\"r\" VARCHAR(10), \"s\" NUMERIC, \"t\" TEXT, \"u\" NUMERIC(5,2), "
	                 "\"v\" NUMERIC, \"w\" NUMERIC, \"x\" NUMERIC)");
	dal_repo_close(check);
	dal_repo_close(from);
}
END_TEST

/* Views and a dal_copy_state of the source's own (it was the target of
 * another copy) are not tables to copy. */
START_TEST(test_copy_skips_views_and_state)
{
	char url[4200];
	dal_repo *from, *to;
	dal_copy_result res;
	dal_error e;

	url_of(url, sizeof url, "src.db");
	from = tu_repo_open(url);
	tu_repo_exec(from, "CREATE TABLE only_one (a INTEGER PRIMARY KEY)");
	tu_repo_exec(from, "INSERT INTO only_one VALUES (1), (2)");
	tu_repo_exec(from, "CREATE VIEW v AS SELECT a FROM only_one");
	tu_repo_exec(from, "CREATE TABLE dal_copy_state (table_name TEXT)");
	url_of(url, sizeof url, "dst.db");
	to = tu_repo_open(url);
	ck_assert_msg(dal_copy_run(from, to, NULL, &res, &e) == DAL_OK, "%s", e.message);
	ck_assert_uint_eq(res.tables, 1);
	ck_assert_int_eq(res.rows_copied, 2);
	ck_assert_str_eq(text_of(to, "SELECT group_concat(name, ',') FROM (SELECT name FROM "
	                             "sqlite_master WHERE type IN ('table', 'view') ORDER BY name)"),
	                 "dal_copy_state,only_one");
	dal_repo_close(to);
	dal_repo_close(from);
}
END_TEST

/* A NULL or shared repository is refused; a source without tables is
 * copied as nothing (not "already complete"). */
START_TEST(test_copy_arguments)
{
	char url[4200];
	dal_repo *from, *to;
	dal_copy_result res;
	dal_error e;

	url_of(url, sizeof url, "empty.db");
	from = tu_repo_open(url);
	url_of(url, sizeof url, "dst.db");
	to = tu_repo_open(url);
	ck_assert_int_eq(dal_copy_run(NULL, to, NULL, NULL, &e), DAL_EMISUSE);
	ck_assert_str_eq(e.message, "dal_copy_run: a repository is NULL");
	ck_assert_int_eq(dal_copy_run(from, NULL, NULL, NULL, &e), DAL_EMISUSE);
	ck_assert_str_eq(e.message, "dal_copy_run: a repository is NULL");
	ck_assert_int_eq(dal_copy_run(from, from, NULL, NULL, &e), DAL_EMISUSE);
	ck_assert_str_eq(e.message, "dal_copy_run: the source and the target are the same "
	                            "repository");

	ck_assert_msg(dal_copy_run(from, to, NULL, &res, &e) == DAL_OK, "%s", e.message);
	ck_assert_uint_eq(res.tables, 0);
	ck_assert_int_eq(res.already_complete, 0);

	dal_repo_close(to);
	dal_repo_close(from);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	tu_clear_env();
	/* The test plugin (nofacts) is found like an installed one. */
	if (tu_plugin_path_prepend(TESTS_BUILDDIR) != 0)
		return 99;
	s = suite_create("cov2_copy");
	tc = tcase_create("faults");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_copy_target_prepare_fails);
	tcase_add_test(tc, test_copy_target_step_fails);
	tcase_add_test(tc, test_copy_target_exec_fails);
	tcase_add_test(tc, test_copy_target_begin_commit_fail);
	tcase_add_test(tc, test_copy_target_bind_fails);
	tcase_add_test(tc, test_copy_source_fails);
	tcase_add_test(tc, test_copy_resume_fails);
	tcase_add_test(tc, test_copy_resume_key_tampered);
	tcase_add_test(tc, test_copy_into_a_backend_without_facts);
	tcase_add_test(tc, test_copy_from_a_backend_without_facts);
	tcase_add_test(tc, test_copy_type_classes);
	tcase_add_test(tc, test_copy_skips_views_and_state);
	tcase_add_test(tc, test_copy_arguments);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
