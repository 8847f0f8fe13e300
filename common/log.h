/*
 * One JSON object per line on stderr. Never pass secrets (API keys, tokens,
 * passwords, request bodies, environment values) to these functions.
 */
#ifndef TF_LOG_H
#define TF_LOG_H

#include "tf.h"

enum tflog_level { TFLOG_DEBUG, TFLOG_INFO, TFLOG_WARN, TFLOG_ERROR };

void log_init(const char *process, enum tflog_level min_level);
int log_level_parse(const char *s, enum tflog_level *out);
void log_msg(enum tflog_level level, const char *fmt, ...) TF_PRINTF(2, 3);
/* A line with extra string fields: key, value pairs ended by NULL. */
void log_fields(enum tflog_level level, const char *msg, ...) __attribute__((sentinel));
/* For start-up only: a running daemon logs and answers an error instead. */
TF_NORETURN void fatal(const char *fmt, ...) TF_PRINTF(1, 2);

#define log_debug(...) log_msg(TFLOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(TFLOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(TFLOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(TFLOG_ERROR, __VA_ARGS__)

#endif
