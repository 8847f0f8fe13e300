/* Named limits and small macros shared by tf-api and tf-worker. */
#ifndef TF_H
#define TF_H

#include <stddef.h>
#include <stdint.h>

#define TF_KIB (1024L)
#define TF_MIB (1024L * 1024L)

/* Request bodies. nginx caps them first; tf-api checks again before reading. */
#define TF_MAX_BODY            (7 * TF_MIB)    /* any JSON request */
#define TF_MAX_VERSION_BODY    (70 * TF_MIB)   /* base64 of a 50 MB ZIP */
#define TF_MAX_PAYLOAD         (6 * TF_MIB)    /* invocation event, as Lambda */
#define TF_MAX_RESPONSE        (6 * TF_MIB)    /* invocation result, as Lambda */
#define TF_MAX_FRAME           (TF_MAX_RESPONSE + 64 * TF_KIB) /* one runtime frame */
#define TF_MAX_INLINE_CODE     (4 * TF_MIB)    /* Tau "code" field */
#define TF_MAX_ENV_BYTES       (4 * TF_KIB)    /* all environment variables, as Lambda */
#define TF_MAX_ENV_VARS        64
#define TF_MAX_TAGS            50
#define TF_MAX_LOG_BYTES       (256 * TF_KIB)  /* log output kept per invocation */
#define TF_MAX_LOG_LINE        (16 * TF_KIB)   /* longer lines are split */
#define TF_MAX_JSON_DEPTH      64

#define TF_MIN_MEMORY_MB       128
#define TF_MAX_MEMORY_MB       10240
#define TF_MEMORY_STEP_MB      64
#define TF_DEFAULT_MEMORY_MB   128
#define TF_MIN_TIMEOUT_S       1
#define TF_MAX_TIMEOUT_S       900
#define TF_DEFAULT_TIMEOUT_S   3
#define TF_INIT_TIMEOUT_MS     10000           /* loading a handler, as Lambda's init phase */
#define TF_BILLING_STEP_MS     100
#define TF_MAX_RESERVED_CONCURRENCY 1000

#define TF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define TF_NORETURN __attribute__((noreturn))
#define TF_PRINTF(f, a) __attribute__((format(printf, f, a)))

#endif
