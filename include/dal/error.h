/*
 * libdal error model, shared by applications (dal.h) and backend plugins
 * (plugin.h).
 *
 * Every failing call reports one dal_error: a portable category (the return
 * code itself), the five-character SQLSTATE, the backend's native code and a
 * human message. The category set is the same for every backend, so an
 * application can decide "retry or give up" without knowing which database it
 * talks to.
 *
 * This header holds no function that allocates: a dal_error is a plain value
 * with fixed-size buffers, so it can live on the stack and be copied.
 */
#ifndef DAL_ERROR_H
#define DAL_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions libdal exports (the rest of the library is hidden);
 * defining DAL_STATIC leaves it empty. */
#if defined(__GNUC__) && !defined(DAL_STATIC)
#define DAL_API __attribute__((visibility("default")))
#else
#define DAL_API
#endif

/*
 * Result codes. DAL_OK, DAL_ROW and DAL_DONE are successes; every error is
 * negative. Numbers are part of the ABI and are never reused.
 */
typedef enum dal_code {
	DAL_OK = 0,
	DAL_ROW = 100,  /* dal_stmt_step(): a row is ready */
	DAL_DONE = 101, /* dal_stmt_step(): no more rows */

	/* Caller errors. */
	DAL_EMISUSE = -1,  /* API used wrongly: bad index, NULL handle, wrong state */
	DAL_ENOMEM = -2,   /* out of memory */
	DAL_ECONFIG = -3,  /* bad configuration: file, key, URL or value */

	/* Plugin loading. */
	DAL_EPLUGIN_NOTFOUND = -10, /* no backend_<type> file in any search dir */
	DAL_EPLUGIN_INVALID = -11,  /* file loads but is not a libdal plugin */
	DAL_EPLUGIN_ABI = -12,      /* plugin built for an incompatible ABI */
	DAL_EPLUGIN_LOAD = -13,     /* the dynamic loader refused the file */

	/* Database errors, portable across backends. */
	DAL_ECONNECT = -20,     /* cannot connect, or the connection was lost
	                           before the request was sent: safe to retry */
	DAL_EAUTH = -21,        /* authentication failed */
	DAL_ETIMEOUT = -22,     /* a timeout expired */
	DAL_EBUSY = -23,        /* locked, deadlock or serialization conflict */
	DAL_ECONSTRAINT = -24,  /* integrity constraint (SQLSTATE class 23) */
	DAL_ESYNTAX = -25,      /* SQL syntax error or access-rule violation */
	DAL_ENOTFOUND = -26,    /* table, column or other object does not exist */
	DAL_EDATA = -27,        /* data exception: bad value, overflow, type */
	DAL_EREADONLY = -28,    /* database or connection is read-only */
	DAL_EUNSUPPORTED = -29, /* the backend does not support this call */
	DAL_EBACKEND = -30,     /* any other database error */
	DAL_EOUTCOME = -31,     /* the connection was lost after the request was
	                           sent: it may or may not have been applied; not
	                           transient (a blind retry could apply it twice) */
	DAL_ECANCELED = -32     /* the statement was cancelled (dal_conn_cancel()) */
} dal_code;

/* Size of dal_error.message including the terminating NUL. */
#define DAL_ERROR_MESSAGE_SIZE 512

/*
 * One error. code is a dal_code (DAL_OK when there is no error); sqlstate is
 * always five characters and NUL-terminated ("00000" when unknown or OK);
 * native is the backend's own number (SQLite extended result code, MySQL
 * error number, 0 for PostgreSQL which only has SQLSTATE); message never
 * contains a password.
 */
typedef struct dal_error {
	int code;
	char sqlstate[6];
	long native;
	char message[DAL_ERROR_MESSAGE_SIZE];
} dal_error;

/*
 * Return the symbolic name of a code ("DAL_ECONSTRAINT"), or "DAL_E?" for a
 * number that is not a dal_code. The string is static.
 */
DAL_API const char *dal_code_name(int code);

/*
 * Return a short human description of a code ("constraint violation"). The
 * string is static.
 */
DAL_API const char *dal_strerror(int code);

/*
 * Return the short label of an error code used as the error.type attribute
 * and error_type metric label: "constraint", "busy", "syntax", ... ("" for
 * non-errors, "_OTHER" for unknown codes). The string is static.
 */
DAL_API const char *dal_code_label(int code);

/*
 * Return 1 if an operation that failed with code may succeed when retried
 * unchanged (DAL_ECONNECT, DAL_ETIMEOUT, DAL_EBUSY), else 0.
 */
DAL_API int dal_code_is_transient(int code);

/*
 * Map a SQLSTATE to a category: class 08 -> DAL_ECONNECT, 23 ->
 * DAL_ECONSTRAINT, 28 -> DAL_EAUTH, 40 -> DAL_EBUSY, 42 -> DAL_ESYNTAX (or
 * DAL_ENOTFOUND for undefined objects), 22 -> DAL_EDATA, 57014 and HYT00 ->
 * DAL_ETIMEOUT, and so on. Unknown or NULL input gives DAL_EBACKEND. Backends
 * with a real SQLSTATE use this so that categories agree everywhere.
 */
DAL_API int dal_sqlstate_category(const char *sqlstate);

#ifdef __cplusplus
}
#endif
#endif /* DAL_ERROR_H */
