#include <stdio.h>
#include <string.h>

#include "concurrency.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"

/* A place the request already holds (a redelivery after its worker died) is its own, renewed. */
static const char TAKE[] =
	"if redis.call('ZSCORE', KEYS[1], ARGV[4]) then redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4]) return 1 end "
	TF_CONC_FULL_LUA("KEYS[1]", "ARGV[1]", "ARGV[2]")
	TF_CONC_TAKE_LUA("KEYS[1]", "ARGV[2]", "ARGV[3]", "ARGV[4]")
	"return 1";

void conc_key(const char *function_id, char *out, size_t n)
{
	snprintf(out, n, TF_KEY_CONC_FMT, function_id);
}

int conc_take(struct rds *rds, const struct job *j, int64_t until_ms)
{
	char key[64];

	if (j->reserved_concurrency < 0)
		return 1;
	conc_key(j->function_id, key, sizeof(key));
	redisReply *rep = rds_cmd(rds, "EVAL %s 1 %s %d %lld %lld %s", TAKE, key, j->reserved_concurrency,
	                          (long long)now_ms(), (long long)until_ms, j->request_id);
	long long n = rds_ok(rep) ? rds_int(rep, -1) : -1;
	freeReplyObject(rep);
	return n == 1 ? 1 : n == -2 ? 0 : -1;
}

bool conc_give_back(struct rds *rds, const struct job *j)
{
	char key[64];

	if (j->reserved_concurrency < 0)
		return false;
	conc_key(j->function_id, key, sizeof(key));
	return rds_append(rds, "ZREM %s %s", key, j->request_id) == 0;
}

void conc_record_throttle(struct rds *rds, const char *tenant, const char *function_id)
{
	json_object *o = json_object_new_object();
	jadd_bool(o, "throttle", true);
	jadd_str(o, "tenant", tenant);
	jadd_str(o, "functionId", function_id);
	jadd_int(o, "startedMs", now_ms());
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	redisReply *rep = rds_cmd(rds, "XADD %s * r %b", TF_KEY_RECORDS, text, strlen(text));
	if (!rds_ok(rep))
		log_warn("a throttle of %s went uncounted: %s", function_id, rds_error(rds));
	freeReplyObject(rep);
}
