/* Helpers for the platform API (/api/v1) tests. */
#ifndef TF_E2E_PLATFORM_H
#define TF_E2E_PLATFORM_H

#include <stdbool.h>

#include "harness.h"

#define V1 "/api/v1"

/* The error format of the platform API: {"error": {code, message, details[], traceId, timestamp}}. */
bool platform_error(const struct resp *r, long status, const char *code);
/* Whether details[] names field. */
bool names_field(const struct resp *r, const char *field);
/* Logs in and writes the token; false when the login fails. */
bool login(const char *username, const char *password, char token[1024]);
/* The bootstrap Admin's token (from the stack's credentials.json). */
bool admin_token(char token[1024]);
/* Creates a user of role in the caller's tenant and logs in as it. */
bool user_with_role(const char *caller, const char *role, char username[96], char token[1024]);
/* A ZIP holding one file, base64-encoded; free() it. */
char *zip_b64(const char *name, const char *content);
/* Creates function name (Python, handler main.handler) and uploads code as its first version. */
bool platform_fn(const char *caller, const char *name, const char *code);
/* Uploads code as a new version; returns its number, or -1. */
long upload_version(const char *caller, const char *name, const char *code);
/* Reads a whole file into a NUL-terminated buffer; free() it. */
char *slurp(const char *path, size_t *len);

#endif
