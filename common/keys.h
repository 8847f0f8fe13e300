/* Every Redis key the platform uses, in one place. */
#ifndef TF_KEYS_H
#define TF_KEYS_H

#define TF_KEY_RECORDS     "tf:records"       /* stream of finished invocations */
#define TF_GROUP_RECORDERS "recorders"        /* consumer group writing them to MariaDB */
#define TF_KEY_ASYNC       "tf:async"         /* stream of asynchronous jobs (their rows are in MariaDB) */
#define TF_GROUP_RUNNERS   "runners"          /* consumer group of every worker */
#define TF_KEY_RUNNERS     "tf:runners"       /* zset: runner id -> last heartbeat (ms) */
#define TF_KEY_RUNNER_FMT  "tf:runner:%s"     /* hash: what one runner advertises, its link's address and token */
#define TF_KEY_QUOTA_FMT   "tf:quota:%s:%s"   /* tenant, UTC day: invocations counted */
#define TF_KEY_RATE_FMT    "tf:rl:%s:%s:%lld" /* class, identity, window start */
#define TF_KEY_KEPT        "tf:kept"          /* zset: "<function id>@<version>" -> until (ms): idle instances kept */
#define TF_CHANNEL_INVALIDATE "tf:invalidate" /* pub/sub: "fn:<id>" or "tenant:<id>" for tf-api's caches to drop */

#define TF_RUNNER_ALIVE_MS 15000     /* a runner silent this long is gone */
#define TF_HEARTBEAT_MS 3000

#endif
