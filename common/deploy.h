/*
 * Deployments: what both daemons do to one. tf-api creates them and rolls them
 * back by hand; the leader tf-worker's controller moves their traffic and judges
 * them. Every traffic change is one committed MariaDB write (the function's
 * published_routing, an alias's routing), which each tf-api reads on its next
 * invocation once its cache entry is dropped.
 */
#ifndef TF_DEPLOY_H
#define TF_DEPLOY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"

#define TF_DEPLOY_ID_LEN 19            /* "deploy-" and 12 characters */
#define TF_DEPLOY_MAX_STEPS 10
#define TF_DEPLOY_METRICS_ROWS 100000  /* durations read to compute one p99 */
#define TF_DEPLOY_DEFAULT_MIN_INVOCATIONS 10
#define TF_DEPLOY_DEFAULT_MAX_EXTENSIONS 3
#define TF_DEPLOY_TEST_ALIAS "green"   /* a BlueGreen target's test route, unless config.testAlias */

/* The target version's invocations in a window. */
struct deploy_metrics {
	long long count, errors;
	double error_rate, avg_ms, p99_ms;
};

/* What judges a step: a threshold of 0 (or less) is not set. */
struct deploy_thresholds {
	double error_rate;       /* rollbackOnErrorRate, 0-1 */
	double p99_ms;           /* rollbackOnLatencyP99 */
	long long min_invocations;
};

/* One deployment's row, as the controller and the API read it. */
struct deployment {
	char id[48], tenant[65], fn_id[32], fn_name[65], strategy[16], status[16], alias[65], phase[64];
	long long source, target;
	int step, weight, extensions, nsteps;
	int steps[TF_DEPLOY_MAX_STEPS];
	int64_t step_started_ms, now_ms;
	json_object *config;     /* owned */
	json_object *alias_before;  /* {version, routing} or NULL, owned */
};

/* The columns deploy_from_row reads, after SELECT. */
#define DEPLOY_COLUMNS                                                                                      \
	"d.id, d.tenant_id, d.function_id, f.name, d.strategy, d.status, d.alias, COALESCE(d.current_phase, ''),"   \
	" d.source_version, d.target_version, d.step, d.weight, d.step_extensions, d.steps, d.config,"            \
	" d.alias_before, CAST(COALESCE(UNIX_TIMESTAMP(d.step_started_at), 0) * 1000 AS SIGNED),"               \
	" CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
#define DEPLOY_FROM " FROM deployments d JOIN functions f ON f.id = d.function_id"

void deploy_from_row(const struct db_rows *rows, size_t i, struct deployment *d);
void deploy_free(struct deployment *d);

/* The phase a step is called: "Canary 10%", "Testing green". */
void deploy_phase_name(const struct deployment *d, int step, char *out, size_t n);

/*
 * The target's finished invocations since since_ms: count, errors (any status
 * but Succeeded), average and p99 (nearest rank) of their durations. -1 when
 * MariaDB failed.
 */
int deploy_metrics(struct db *db, const char *fn_id, long long version, int64_t since_ms, struct deploy_metrics *m);

/*
 * Judges metrics against thresholds: 1 when a threshold is passed (why names it
 * and the measured value, as "errorRate 0.31 > 0.05 in Canary 10%"), else 0.
 * Nothing is judged before min_invocations: too few to tell.
 */
int deploy_judge(const struct deploy_metrics *m, const struct deploy_thresholds *t, const char *phase, char *why,
                 size_t whysz);
/* The thresholds of a deployment's config. */
void deploy_thresholds_of(json_object *config, struct deploy_thresholds *t);

/*
 * Sends weight percent of the deployment's live traffic to its target (0: all
 * to the source), and a BlueGreen test alias to the target, inside the caller's
 * transaction.
 */
int deploy_route(struct db *db, const struct deployment *d, int weight);
/*
 * Ends it inside the caller's transaction, if its status is still from:
 * Completed makes the target the published version (and the alias's),
 * RolledBack and Failed give all traffic back to the source and the alias its
 * version before. why is the rollback reason (NULL for none). 0 when ended, 1
 * when its status was no longer from (the caller rolls back), -1 on failure.
 */
int deploy_finish(struct db *db, const struct deployment *d, const char *from, const char *status, const char *why);

/* Whether fn_id has a deployment in progress (its id into id, when given): 1, 0, or -1 on failure. */
int deploy_in_progress(struct db *db, const char *fn_id, char *id, size_t idsz);

/* Whether a deployment in progress moves the alias (config.alias) or made it (testAlias): 1, 0, or -1. */
int deploy_holds_alias(struct db *db, const char *fn_id, const char *alias);

#endif
