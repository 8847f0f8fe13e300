#include <stdio.h>
#include <string.h>

#include "concurrency.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"

/* Places the request already holds (a redelivery after its worker died) are its own, renewed. */
static const char TAKE[] =
	"if redis.call('ZSCORE', KEYS[1], ARGV[4]) or redis.call('ZSCORE', KEYS[2], ARGV[4]) then "
	"if tonumber(ARGV[1]) >= 0 then redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4]) end "
	"if tonumber(ARGV[5]) >= 0 then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) end "
	"return 1 end "
	TF_CONC_FULL_LUA("KEYS[1]", "ARGV[1]", "ARGV[2]")
	TF_ACCOUNT_FULL_LUA("KEYS[2]", "ARGV[5]", "ARGV[2]")
	TF_CONC_TAKE_LUA("KEYS[1]", "ARGV[2]", "ARGV[3]", "ARGV[4]")
	TF_ACCOUNT_TAKE_LUA("KEYS[2]", "ARGV[2]", "ARGV[3]", "ARGV[4]")
	"return 1";

void conc_key(const char *function_id, char *out, size_t n)
{
	snprintf(out, n, TF_KEY_CONC_FMT, function_id);
}

void conc_tenant_key(const char *tenant, char *out, size_t n)
{
	snprintf(out, n, TF_KEY_TENANT_CONC_FMT, tenant);
}

int conc_take(struct rds *rds, const struct job *j, int64_t until_ms)
{
	char key[64], tkey[96];

	if (j->reserved_concurrency < 0 && j->account_concurrency < 0)
		return 1;
	conc_key(j->function_id, key, sizeof(key));
	conc_tenant_key(j->tenant, tkey, sizeof(tkey));
	redisReply *rep = rds_eval(rds, TAKE, "2 %s %s %d %lld %lld %s %d", key, tkey, j->reserved_concurrency,
	                          (long long)now_ms(), (long long)until_ms, j->request_id, j->account_concurrency);
	long long n = rds_ok(rep) ? rds_int(rep, -1) : -1;
	freeReplyObject(rep);
	return n == 1 ? 1 : n == -2 ? 0 : n == -4 ? -4 : -1;
}

int conc_give_back(struct rds *rds, const struct job *j)
{
	char key[96];
	int n = 0;

	if (j->reserved_concurrency >= 0) {
		conc_key(j->function_id, key, sizeof(key));
		n += rds_append(rds, "ZREM %s %s", key, j->request_id) == 0;
	}
	if (j->account_concurrency >= 0) {
		conc_tenant_key(j->tenant, key, sizeof(key));
		n += rds_append(rds, "ZREM %s %s", key, j->request_id) == 0;
	}
	return n;
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
	json_object_put(o);
}
