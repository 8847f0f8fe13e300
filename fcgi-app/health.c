/* GET /health — the state of MariaDB, Redis and the runners, for load balancers and people. */
#include <string.h>

#include "handlers.h"
#include "jsonx.h"
#include "runtimes.h"

int health_get(struct req *r)
{
	struct runner_view v = { 0 };
	bool db_up = db_ping(r->conn->db) == 0;
	redisReply *pong = rds_cmd(r->conn->rds, "PING");
	bool redis_up = rds_ok(pong);
	freeReplyObject(pong);
	bool runners_known = redis_up && runtimes_view(r, true, &v) == 0;
	bool healthy = db_up && redis_up && runners_known && v.live_runners > 0;

	json_object *o = json_object_new_object();
	jadd_str(o, "status", healthy ? "ok" : "unavailable");
	jadd_str(o, "mariadb", db_up ? "up" : "down");
	jadd_str(o, "redis", redis_up ? "up" : "down");
	jadd_int(o, "runners", v.live_runners);
	/* Totals only: /health answers anyone, and function ids are the tenants' business. */
	if (redis_up)
		json_object_object_add(o, "queueDepth", queue_depth_json(r, false));
	json_object *failing = json_object_new_array();
	if (!db_up)
		json_object_array_add(failing, json_object_new_string("mariadb"));
	if (!redis_up)
		json_object_array_add(failing, json_object_new_string("redis"));
	if (redis_up && v.live_runners == 0)
		json_object_array_add(failing, json_object_new_string("runners"));
	json_object_object_add(o, "failing", failing);
	return req_reply(r, healthy ? 200 : 503, o);
}
