/*
 * libdal value types, shared by applications (dal.h) and plugins (plugin.h).
 */
#ifndef DAL_TYPES_H
#define DAL_TYPES_H

#ifdef __cplusplus
extern "C" {
#endif

/* The type of a parameter or of a column value. Numbers are part of the ABI. */
typedef enum dal_type {
	DAL_TYPE_NULL = 0,
	DAL_TYPE_INT64 = 1,
	DAL_TYPE_DOUBLE = 2,
	DAL_TYPE_TEXT = 3, /* UTF-8 */
	DAL_TYPE_BLOB = 4,
	DAL_TYPE_BOOL = 5
} dal_type;

#ifdef __cplusplus
}
#endif
/* Capability flags, reported by `dal plugins` and dal_repo_capabilities(). */
#define DAL_CAP_TRANSACTIONS (1u << 0)      /* begin/commit/rollback */
#define DAL_CAP_TRANSACTIONAL_DDL (1u << 1) /* DDL rolls back with the txn */
#define DAL_CAP_LAST_INSERT_ID (1u << 2)    /* last_insert_id() is meaningful */
#define DAL_CAP_STREAMING (1u << 3)         /* rows are streamed, not buffered */
#define DAL_CAP_MULTI_STATEMENT (1u << 4)   /* exec() runs several statements */
#define DAL_CAP_EMBEDDED (1u << 5)          /* in-process, no server */
#define DAL_CAP_CANCEL (1u << 6)            /* dal_conn_cancel() and statement_timeout work */
#define DAL_CAP_TLS (1u << 7)               /* connections can be encrypted (tls_* options) */
#define DAL_CAP_PIPELINE (1u << 8)          /* dal_conn_pipeline() sends before reading */

#endif /* DAL_TYPES_H */
