/*
 * Conformance: TLS (DAL_CAP_TLS), with the same option names and meanings
 * on every backend that has it: tls_mode (disable, prefer, require,
 * verify-ca, verify-full; unset: prefer, or verify-ca when a CA is given),
 * tls_ca, tls_cert, tls_key, and the backend's older names for them.
 *
 * Against the test servers of scripts/test-servers.sh, which offer TLS (not
 * require it) with a certificate for 127.0.0.1 and localhost signed by a
 * throwaway CA in $DAL_TEST_TLS_DIR (ca.pem; client.pem and client.key
 * signed by it; other-ca.pem, which signed nothing). The cases that need
 * those files are not registered without DAL_TEST_TLS_DIR.
 *
 * Whether a session is encrypted is asked of the server too (the dialect's
 * tls_version_sql), and dal_conn_tls() must agree with it.
 *
 * A host name that is not in the certificate is reached as
 * [::ffff:127.0.0.1] (the IPv4-mapped IPv6 form of the server's address:
 * the same server, an address the certificate does not name) where the
 * system allows it (NEED_OUTSIDE_CERT, probed by main.c). Not tested here:
 * `require` against a server that offers no TLS (the test servers all do;
 * docs/backends.md records that check, made by hand).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

/* The file `name` of $DAL_TEST_TLS_DIR, percent-encoded for a URL query
 * (a few rotating buffers, as sqlf()). */
static const char *tls_file(const char *name)
{
	static char bufs[4][1024];
	static unsigned next;
	char *buf = bufs[next++ % 4], path[900];
	size_t k = 0;

	ck_assert_ptr_nonnull(conf.tls_dir);
	ck_assert_int_lt(snprintf(path, sizeof path, "%s/%s", conf.tls_dir, name),
	                 (int)sizeof path);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		ck_assert_uint_lt(k + 4, sizeof bufs[0]);
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			buf[k++] = (char)*p;
		else
			k += (size_t)snprintf(buf + k, 4, "%%%02X", *p);
	}
	buf[k] = '\0';
	return buf;
}

/* Open the server under test on host (NULL: the URL's) with the extra
 * options, which must work, and acquire a connection. */
static dal_conn *tls_conn(const char *host, const char *extra, dal_repo **r)
{
	dal_error err;
	int rc = open_with(host, sqlf("max_retries=0&%s", extra), r, &err);

	ck_assert_msg(rc == DAL_OK, "?%s: %s: %s", extra, dal_code_name(rc), err.message);
	return acquire(*r);
}

/* Open with the extra options, which must fail with code; *err gets the
 * error. The message never holds the password. */
static void tls_refused(const char *host, const char *extra, int code, dal_error *err)
{
	struct url_parts p;
	dal_repo *r = NULL;
	int rc = open_with(host, extra, &r, err);

	ck_assert_ptr_null(r);
	ck_assert_msg(rc == code, "?%s: %s (wanted %s): %s", extra, dal_code_name(rc),
	              dal_code_name(code), err->message);
	ck_assert_int_eq(err->code, code);
	url_split(conf.url, &p);
	if (p.pass[0]) {
		char real[128];

		tu_pct_decode(p.pass, real, sizeof real);
		ck_assert_msg(!tu_contains(err->message, real), "password in message: %s",
		              err->message);
	}
}

/* The protocol the server says the session uses, "" when not encrypted. */
static const char *server_tls(dal_conn *c, char *buf, size_t size)
{
	dal_stmt *s = prep(c, dl->tls_version_sql);
	const char *v;

	CK_STEP(s, DAL_ROW);
	v = dal_stmt_column_text(s, dal_stmt_column_count(s) - 1, NULL);
	snprintf(buf, size, "%s", v ? v : "");
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	return buf;
}

/* c is encrypted, says the server, and dal_conn_tls() says how: the same
 * protocol, then the cipher. */
static void assert_encrypted(dal_conn *c)
{
	const char *tls = dal_conn_tls(c);
	char proto[64];
	size_t n;

	server_tls(c, proto, sizeof proto);
	n = strlen(proto);
	ck_assert_msg(n > 0, "the server says the session is not encrypted (dal_conn_tls: %s)",
	              tls ? tls : "NULL");
	ck_assert_msg(tls != NULL, "dal_conn_tls() is NULL, the server says %s", proto);
	ck_assert_msg(strncmp(tls, proto, n) == 0 && tls[n] == ' ' && tls[n + 1] != '\0',
	              "dal_conn_tls() = '%s', the server says %s", tls, proto);
	/* The connection works. */
	ck_assert_int_eq(query_int(c, "SELECT 41 + 1"), 42);
}

static void assert_plain(dal_conn *c)
{
	char proto[64];

	ck_assert_msg(dal_conn_tls(c) == NULL, "dal_conn_tls() = '%s' on a plain session",
	              dal_conn_tls(c));
	ck_assert_msg(!server_tls(c, proto, sizeof proto)[0],
	              "the server says the session is encrypted (%s)", proto);
}

/* verify-full by the address the URL names (127.0.0.1, in the
 * certificate): the chain and the address check out. */
START_TEST(test_tls_verify_full_by_address)
{
	dal_repo *r;
	dal_conn *c = tls_conn(NULL, sqlf("tls_mode=verify-full&tls_ca=%s", tls_file("ca.pem")),
	                       &r);

	assert_encrypted(c);
	close_conn(r, c);
}
END_TEST

/* verify-full by host name: localhost is in the certificate. */
START_TEST(test_tls_verify_full_by_name)
{
	char host[300];
	dal_repo *r;
	dal_conn *c = tls_conn(same_port("localhost", host, sizeof host),
	                       sqlf("tls_mode=verify-full&tls_ca=%s", tls_file("ca.pem")), &r);

	assert_encrypted(c);
	close_conn(r, c);
}
END_TEST

/*
 * A CA that did not sign the server's certificate: refused with
 * DAL_EAUTH (the server could not be authenticated), saying so, in every
 * mode that checks it, including a CA given without a mode (which means
 * verify-ca). Not transient, so not retried although retries are asked
 * for: it returns at once.
 */
START_TEST(test_tls_unknown_ca_refused)
{
	static const char *const modes[] = {"tls_mode=verify-full&", "tls_mode=verify-ca&", ""};
	dal_error err;

	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		struct timespec t0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		tls_refused(NULL, sqlf("max_retries=3&retry_delay=2&%stls_ca=%s", modes[i],
		                       tls_file("other-ca.pem")), DAL_EAUTH, &err);
		ck_assert_msg(elapsed_s(&t0) < 1.5, "%s: took %.1f s: retried?", modes[i],
		              elapsed_s(&t0));
		ck_assert_msg(tu_contains(err.message, "certificate could not be verified"),
		              "message: %s", err.message);
		ck_assert_str_eq(err.sqlstate, "28000");
		ck_assert_int_eq(dal_code_is_transient(err.code), 0);
	}
}
END_TEST

/*
 * An address the certificate does not name, [::ffff:127.0.0.1]: verify-full
 * refuses it (DAL_EAUTH, the certificate could not be verified); verify-ca,
 * which checks the chain and not the name, and require accept it.
 */
START_TEST(test_tls_host_outside_certificate)
{
	char host[300];
	dal_repo *r;
	dal_conn *c;
	dal_error err;

	same_port("[::ffff:127.0.0.1]", host, sizeof host);
	tls_refused(host, sqlf("max_retries=0&tls_mode=verify-full&tls_ca=%s",
	                       tls_file("ca.pem")), DAL_EAUTH, &err);
	ck_assert_msg(tu_contains(err.message, "certificate could not be verified"),
	              "message: %s", err.message);
	ck_assert_str_eq(err.sqlstate, "28000");

	c = tls_conn(host, sqlf("tls_mode=verify-ca&tls_ca=%s", tls_file("ca.pem")), &r);
	assert_encrypted(c);
	close_conn(r, c);
	c = tls_conn(host, "tls_mode=require", &r);
	assert_encrypted(c);
	close_conn(r, c);
}
END_TEST

/* tls_mode = disable: a plain session, and dal_conn_tls() says NULL. */
START_TEST(test_tls_disable_is_plain)
{
	dal_repo *r;
	dal_conn *c = tls_conn(NULL, "tls_mode=disable", &r);

	assert_plain(c);
	close_conn(r, c);
}
END_TEST

/* With a server that offers TLS, the default (prefer), prefer and require
 * all encrypt; require checks no certificate, so no CA is needed. */
START_TEST(test_tls_prefer_and_require_encrypt)
{
	static const char *const extra[] = {"connect_timeout=10", "tls_mode=prefer",
	                                    "tls_mode=require", "tls_mode=REQUIRE"};

	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		dal_repo *r;
		dal_conn *c = tls_conn(NULL, extra[i], &r);

		assert_encrypted(c);
		close_conn(r, c);
	}
}
END_TEST

/*
 * A client certificate and key (the servers do not ask for one, but take
 * it: PostgreSQL shows its subject). A key or certificate file that cannot
 * be read is a configuration error naming the option and the file, before
 * any connection is tried.
 */
START_TEST(test_tls_client_certificate)
{
	dal_repo *r;
	dal_conn *c;
	dal_error err;

	c = tls_conn(NULL, sqlf("tls_mode=verify-full&tls_ca=%s&tls_cert=%s&tls_key=%s",
	                        tls_file("ca.pem"), tls_file("client.pem"),
	                        tls_file("client.key")), &r);
	assert_encrypted(c);
	if (strcmp(conf.backend, "postgresql") == 0) {
		char dn[128];

		query_text(c, "SELECT COALESCE(client_dn, '') FROM pg_stat_ssl "
		              "WHERE pid = pg_backend_pid()", dn, sizeof dn);
		ck_assert_msg(tu_contains(dn, "CN=dal"), "client_dn '%s'", dn);
	}
	close_conn(r, c);

	tls_refused(NULL, sqlf("max_retries=0&tls_mode=require&tls_cert=%s&tls_key=%s",
	                       tls_file("client.pem"), tls_file("no-such.key")), DAL_ECONFIG,
	            &err);
	ck_assert_msg(tu_contains(err.message, "tls_key") &&
	                  tu_contains(err.message, "no-such.key") &&
	                  tu_contains(err.message, "cannot read"),
	              "message: %s", err.message);
	tls_refused(NULL, sqlf("max_retries=0&tls_mode=require&tls_cert=%s&tls_key=%s",
	                       tls_file("no-such.pem"), tls_file("client.key")), DAL_ECONFIG,
	            &err);
	ck_assert_msg(tu_contains(err.message, "tls_cert") &&
	                  tu_contains(err.message, "no-such.pem"),
	              "message: %s", err.message);
}
END_TEST

/* The older names (ssl_mode/ssl_ca, sslmode/sslrootcert) still work, alone
 * and next to the new ones when both agree. */
START_TEST(test_tls_older_names)
{
	dal_repo *r;
	dal_conn *c;

	c = tls_conn(NULL, sqlf("%s=%s&%s=%s", dl->tls_option, dl->tls_legacy_verify_full,
	                        dl->tls_legacy_ca, tls_file("ca.pem")), &r);
	assert_encrypted(c);
	close_conn(r, c);
	c = tls_conn(NULL, sqlf("tls_mode=verify-full&%s=%s&tls_ca=%s&%s=%s", dl->tls_option,
	                        dl->tls_legacy_verify_full, tls_file("ca.pem"),
	                        dl->tls_legacy_ca, tls_file("ca.pem")), &r);
	assert_encrypted(c);
	close_conn(r, c);
}
END_TEST

/*
 * What contradicts itself is a configuration error, not a guess: a name
 * and its older name with different values (from the INI file and the URL:
 * both origins named), a CA with prefer (which never requires the
 * certificate to verify), a client certificate with TLS off.
 */
START_TEST(test_tls_contradictions_refused)
{
	dal_config *cfg = NULL;
	dal_repo *r = NULL;
	dal_error err;
	int rc;

	CK_ERR(err, dal_config_parse(&cfg, sqlf("[main.%s]\n%s = %s\n", conf.backend,
	                                        dl->tls_option, dl->tls_legacy_verify_full),
	                             "t.ini", &err));
	{
		char *u = url_with_query("max_retries=0&tls_mode=require");

		rc = dal_repo_open(&r, cfg, NULL, u, &err);
		free(u);
	}
	dal_config_free(cfg);
	ck_assert_ptr_null(r);
	ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, "tls_mode") &&
	                  tu_contains(err.message, dl->tls_option) &&
	                  tu_contains(err.message, "t.ini:2") && tu_contains(err.message, "url") &&
	                  tu_contains(err.message, "disagree"),
	              "message: %s", err.message);

	tls_refused(NULL, sqlf("max_retries=0&tls_ca=/x/a.pem&%s=/x/b.pem", dl->tls_legacy_ca),
	            DAL_ECONFIG, &err);
	ck_assert_msg(tu_contains(err.message, "tls_ca") &&
	                  tu_contains(err.message, dl->tls_legacy_ca) &&
	                  tu_contains(err.message, "/x/a.pem") && tu_contains(err.message, "/x/b.pem"),
	              "message: %s", err.message);

	tls_refused(NULL, "max_retries=0&tls_mode=prefer&tls_ca=/x/a.pem", DAL_ECONFIG, &err);
	ck_assert_msg(tu_contains(err.message, "tls_ca") && tu_contains(err.message, "prefer") &&
	                  tu_contains(err.message, "verify-ca"),
	              "message: %s", err.message);

	tls_refused(NULL, "max_retries=0&tls_mode=disable&tls_cert=/x/c.pem", DAL_ECONFIG, &err);
	ck_assert_msg(tu_contains(err.message, "tls_cert") && tu_contains(err.message, "disable"),
	              "message: %s", err.message);

	tls_refused(NULL, "max_retries=0&tls_mode=sometimes", DAL_ECONFIG, &err);
	ck_assert_msg(tu_contains(err.message, "sometimes") && tu_contains(err.message, "verify-full"),
	              "message: %s", err.message);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Cancel over a verified connection                                        */
/* ------------------------------------------------------------------------ */

struct canceller {
	dal_conn *c;
	int rc;
};

static void *cancel_later(void *arg)
{
	struct canceller *k = arg;
	struct timespec ts = {0, 500 * 1000 * 1000};

	while (nanosleep(&ts, &ts) != 0)
		;
	k->rc = dal_conn_cancel(k->c);
	return NULL;
}

/*
 * dal_conn_cancel() on a verify-full connection: a backend whose cancel
 * opens a second connection (mysql's KILL QUERY) makes it with the same
 * TLS settings, which must verify too.
 */
START_TEST(test_tls_cancel_verified_connection)
{
	struct canceller k = {0};
	struct timespec t0;
	pthread_t th;
	dal_repo *r;
	dal_stmt *s;
	int rc;

	k.c = tls_conn(NULL, sqlf("tls_mode=verify-full&tls_ca=%s", tls_file("ca.pem")), &r);
	assert_encrypted(k.c);
	s = prep(k.c, dl->long_sql);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pthread_create(&th, NULL, cancel_later, &k), 0);
	rc = dal_stmt_step(s);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_msg(k.rc == DAL_OK, "dal_conn_cancel -> %s", dal_code_name(k.rc));
	ck_assert_msg(rc == DAL_ECANCELED, "step -> %s: %s", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	ck_assert_msg(elapsed_s(&t0) < 3.0, "cancelled after %.1f s", elapsed_s(&t0));
	dal_stmt_close(s);
	assert_encrypted(k.c);
	close_conn(r, k.c);
}
END_TEST

static const struct conf_case cases[] = {
	CASE(test_tls_verify_full_by_address, DAL_CAP_TLS, 0, NEED_SERVER | NEED_TLS_DIR),
	CASE(test_tls_verify_full_by_name, DAL_CAP_TLS, 0,
	     NEED_SERVER | NEED_TLS_DIR | NEED_LOCALHOST),
	CASE(test_tls_unknown_ca_refused, DAL_CAP_TLS, 0, NEED_SERVER | NEED_TLS_DIR),
	CASE(test_tls_host_outside_certificate, DAL_CAP_TLS, 0,
	     NEED_SERVER | NEED_TLS_DIR | NEED_OUTSIDE_CERT),
	CASE(test_tls_disable_is_plain, DAL_CAP_TLS, 0, NEED_SERVER),
	CASE(test_tls_prefer_and_require_encrypt, DAL_CAP_TLS, 0, NEED_SERVER | NEED_TLS_DIR),
	CASE(test_tls_client_certificate, DAL_CAP_TLS, 0, NEED_SERVER | NEED_TLS_DIR),
	CASE(test_tls_older_names, DAL_CAP_TLS, 0, NEED_SERVER | NEED_TLS_DIR),
	CASE(test_tls_contradictions_refused, DAL_CAP_TLS, 0, NEED_SERVER),
	CASE(test_tls_cancel_verified_connection, DAL_CAP_TLS | DAL_CAP_CANCEL, 0,
	     NEED_SERVER | NEED_TLS_DIR),
	{NULL},
};

const struct conf_area conf_tls = {"tls", cases};
