/*
 * A function as stored: its draft (what the next deploy publishes) and the
 * version it serves. Both API surfaces load and show functions through here.
 */
#ifndef TF_FN_H
#define TF_FN_H

#include <json-c/json.h>
#include <stdbool.h>

#include "api.h"
#include "buf.h"
#include "runtime.h"

struct fn {
	char id[32];
	char tenant[65];
	char name[65];
	char runtime[16];
	char handler[129];
	char trigger[16];
	char url[1100];        /* its first enabled HTTP route's public URL (else its webhook's), or "" */
	char schedule[257];    /* the schedule of its TauFunctions cron trigger, or "" */
	char timezone[65];     /* and that schedule's IANA zone, or "" (UTC) */
	char owner[80];
	char code_sha256[65];
	char deployed_at[32];
	char created_at[32];
	char updated_at[32];
	char *description;     /* owned */
	char *env;             /* JSON object text, owned */
	char *tags;            /* JSON object text, owned */
	char *code;            /* inline source or NULL, owned */
	int memory_mb;
	int timeout_s;
	long long published_version;  /* 0 when never deployed */
	char published_routing[128];  /* a deployment's split of unqualified traffic ({"5": 90, "6": 10}), or "" */
	long long next_version;       /* the number the next published version gets */
	int max_retries;              /* asynchronous invocations: tries after the first */
	int max_event_age_s;
	int reserved_concurrency;     /* at most this many running at once; -1: no reservation */
	bool draft_changed;
};

enum fn_lookup { FN_BY_ID, FN_BY_NAME };

/*
 * Loads a live function of the caller's tenant. Another tenant's function and
 * a deleted one are both "not found". for_update locks the row (inside a
 * transaction). Returns -1 with r->err set.
 */
int fn_load(struct req *r, enum fn_lookup by, const char *key, bool for_update, struct fn *f);
void fn_free(struct fn *f);

/* "created", "deployed" or "pending_deploy" (updated since the last deploy). */
const char *fn_tau_status(const struct fn *f);
/* The TauFunctions view of a function; with_code adds the inline source. */
json_object *fn_tau_json(const struct fn *f, bool with_code);
/* Lists the caller's live functions in TauFunctions form. */
int fn_list_tau(struct req *r, json_object **out);

/* "v5", or JSON null when never published. */
json_object *version_string(long long version);
/*
 * The platform API's view of a function. detail adds environment, tags and the
 * invocation counters (read here, from function_stats).
 */
json_object *fn_platform_json(struct req *r, const struct fn *f, bool detail);
/* A platform function of the caller's tenant by name, or 404 (the route's {name}). */
int fn_by_name(struct req *r, bool for_update, struct fn *f);
/*
 * One page of rows of the function named in the route: page_sql takes the
 * function id, limit and offset (from the query string), count_sql the id alone.
 * -1 with r->err set (what names the rows in a database error).
 */
int fn_page(struct req *r, const char *page_sql, const char *count_sql, const char *what, struct db_rows **rows,
            struct db_rows **count);
/* Answers {functionName, <field>: list, total} and frees fn_page's rows. */
int fn_page_reply(struct req *r, const char *field, json_object *list, struct db_rows *rows, struct db_rows *count);

/* 0 when f has no deployment in progress; else -1 with a 409 that names it. */
int fn_check_no_deployment(struct req *r, const struct fn *f);

#endif
