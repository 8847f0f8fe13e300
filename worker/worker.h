/*
 * tf-worker: takes jobs from Redis, runs each in a warm or new sandboxed
 * instance of its function version, answers the waiting caller and records the
 * invocation. One process per runner node.
 */
#ifndef TF_WORKER_H
#define TF_WORKER_H

#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "job.h"
#include "linebuf.h"
#include "rds.h"
#include "runtime.h"

#define TF_INSTANCE_PIDS_MAX 64   /* threads and processes of one instance */
#define TF_INSTANCE_NOFILE 1024

/* One runtime as this runner has it. */
struct runtime_def {
	const struct runtime_info *info;
	char interpreter[PATH_MAX];
	char bind_dir[PATH_MAX];   /* the installation, bound read-only at this path; "" when under /usr */
	char bind_src[PATH_MAX];   /* where the sandbox binds it from: bind_dir, or a reachable mirror */
	char pyodide[PATH_MAX];    /* python3.12 on Pyodide: its installation, bound read-only at this path; "" if native */
	bool available;
	char version[32];          /* what the interpreter reported */
	char reason[160];          /* why it is unavailable */
};

/* cgroup.c: the resource box of one instance, v1 or v2. */
enum cgroup_mode { CGROUP_NONE, CGROUP_V1, CGROUP_V2 };

struct cgroup {
	char memory[PATH_MAX];  /* v2: the one directory; v1: the memory controller's */
	char pids[PATH_MAX];    /* v1 only */
	char cpu[PATH_MAX];     /* v1 only */
	bool created;
	/* Figures read on every invocation, opened once (-1 when the host has no such file). */
	int peak_fd;            /* memory.peak (v2), memory.max_usage_in_bytes (v1) */
	int tasks_fd;           /* pids.current */
	int tasks_peak_fd;      /* pids.peak */
};

/* Finds v1 or v2 under root and makes this runner's cgroups; CGROUP_NONE when it cannot. */
enum cgroup_mode cgroup_init(const char *root, const char *runner_id);
int cgroup_create(struct cgroup *cg, int slot, int memory_mb);
/* Caps memory at memory_mb (swap included) and sets the CPU weight in proportion. */
int cgroup_set_memory(struct cgroup *cg, int memory_mb);
/* Opens the cgroup.procs files a child writes "0" into to join; -1 ends the list. */
int cgroup_join_fds(const struct cgroup *cg, int fds[4]);
long long cgroup_peak_bytes(const struct cgroup *cg);
/*
 * The tasks (processes and threads) in the cgroup now, and the most it has ever held
 * (pids.current, pids.peak); -1 when the host cannot say.
 */
int cgroup_tasks(const struct cgroup *cg, long long *now, long long *peak);
/* The processes in the cgroup, up to max; -1 when it cannot be read. */
int cgroup_pids(const struct cgroup *cg, pid_t *out, int max);
bool cgroup_oom_killed(const struct cgroup *cg);
void cgroup_destroy(struct cgroup *cg);


/* One sandbox serving one function version, one invocation at a time. */
struct instance {
	/* What the pool looks at in every slot on every acquisition, first: one cache line. */
	bool busy;
	bool live;
	bool spare;                /* booted ahead of need: no function loaded yet */
	int budget_mb;             /* what the memory budget counts for it (under the pool's lock) */
	const struct runtime_def *rt;
	int64_t last_used_ms;      /* monotonic */
	char key[96];              /* "fn_…@version" it serves */
	int slot;
	pid_t pid;                 /* the bwrap process */
	pid_t init_pid;            /* bubblewrap's init inside the sandbox (host pid) */
	pid_t runtime_pid;         /* the interpreter running the bootstrap (host pid) */
	int runtime_task_fd;       /* its /proc task directory (its thread count); -1 if none */
	int ctl_in, ctl_out;       /* frames to and from the bootstrap */
	int out_fd;                /* the handler's stdout and stderr, one pipe */
	struct linebuf ctl, out;
	struct buf frame, line;    /* the frame and the log line being taken, kept for the next */
	char code_sha[65];         /* the digest of the code it runs from; "" for a spare */
	char log_stream[160];      /* logStreamName: one stream per instance, as Lambda */
	char label[96];            /* "name:v3", as runners report their containers */
	int memory_mb;             /* what its cgroup allows (its owner's to change) */
	bool staged;               /* its code is linked into its own task directory */
	long invocations;
	struct cgroup cg;
};

/* A log line an invocation produced. */
struct log_line {
	int64_t ts_ms;
	const char *level;         /* "INFO", or "ERROR" for what went to stderr */
	char *message;
};

struct log_lines {
	struct log_line *v;
	size_t n, cap;
	size_t bytes;              /* kept so far */
	size_t dropped_bytes;      /* over TF_MAX_LOG_BYTES, reported in a last line */
};

/* Settings fixed at start-up. */
struct worker {
	const struct config *cfg;
	char id[64];
	char hostname[256];
	char dir[PATH_MAX];            /* state: code cache, bootstraps */
	char bootstrap_dir[PATH_MAX];  /* the copy inside dir the sandboxes bind */
	struct db_config dbc;
	struct rds_config rdc;
	struct runtime_def runtimes[8];
	unsigned nruntimes;
	enum cgroup_mode cgroups;
	int slots;
	int max_instances;
	int idle_seconds;
	int prestart;                  /* spares booted ahead of need, per runtime */
	long long memory_budget_mb;    /* what all instances together may be given */
	uid_t uid_base;
	int tmp_mb;
	long long code_cache_mb;       /* unpacked code this runner keeps on disk */
	long long retry_backoff_ms;    /* before an async invocation's first retry; doubles after */
	int requeue_after_s;           /* a Queued row no stream holds waits this long for the sweep */
	int visibility_ms;             /* an async entry not renewed this long is taken over */
	char link_socket[PATH_MAX];    /* the runner link for tf-api on this host */
	char link_host[256];           /* and for the others: this address and port */
	int link_port;
	int drain_seconds;             /* SIGTERM: how long what runs may take to finish */
	int64_t started_ms;
	volatile bool draining;        /* takes nothing new; finishes what it runs */
	volatile bool stopping;
};

extern struct worker W;

/* runtimes.c */
void runtimes_detect(void);
const struct runtime_def *runtime_def_find(const char *id);
/* "nodejs20,python3.11" */
void runtimes_advertised(char *out, size_t n);

/* seccomp.c */
/* Builds the filter once (start-up); -1 if libseccomp cannot. */
int seccomp_prepare(void);
/* A new descriptor of the compiled filter for one sandbox, or -1. */
int seccomp_program_fd(void);

/* sandbox.c */
int sandbox_spawn(struct instance *in, const char *task_dir);


/* instance.c */
/* Starts the sandbox and checks the interpreter's version; version gets what it reported. */
int instance_boot(struct instance *in, const struct runtime_def *rt, const char *task_dir,
                  int memory_mb, char *version, size_t vsz);
/* Boots and loads the job's function; on failure the outcome says why (init errors included). */
int instance_start(struct instance *in, const struct job *j, const struct runtime_def *rt,
                   const char *code_dir, struct outcome *oc, struct log_lines *logs);
/* Boots a spare of rt: an empty task directory of its own, the smallest memory size. */
int instance_prestart(struct instance *in, const struct runtime_def *rt);
/* Gives a spare the job's function: its code, memory size and environment, then loads it. */
int instance_adopt(struct instance *in, const struct job *j, const char *code_dir, struct outcome *oc,
                   struct log_lines *logs);
void instance_invoke(struct instance *in, const struct job *j, struct outcome *oc,
                     struct log_lines *logs);
void instance_stop(struct instance *in);
/* Whether a warm instance can take an invocation: its runtime still runs and keeps the protocol. */
bool instance_usable(struct instance *in);
void log_lines_free(struct log_lines *l);

/* pool.c */
void pool_init(void);
enum acquired {
	ACQ_NONE,   /* no room: every slot busy, or the memory budget spent */
	ACQ_WARM,   /* a live instance of the key */
	ACQ_SPARE,  /* a spare of the runtime, to adopt */
	ACQ_NEW,    /* an empty slot to start an instance in */
};
/* An instance for key marked busy, making room in slots and memory if need be; NULL when none. */
struct instance *pool_acquire(const char *key, const struct runtime_def *rt, int memory_mb, enum acquired *how);
/* Names the function version an instance now serves (read by other threads under the lock). */
void pool_name(struct instance *in, const char *key, const char *label, const char *code_sha);
/* Keeps W.prestart spares of every runtime booted (a thread of its own). */
void *spares_main(void *arg);
void pool_release(struct instance *in);
void pool_reap_idle(void);
#define POOL_MAX_KEPT 64
/* The versions ("<function id>@<version>") whose idle instances the reaper keeps. */
void pool_set_kept(char keys[][96], int n);
void pool_stop_all(void);
int pool_count(int *busy);
/* {"name:v3": "instance-7", …} of the live instances; free() it. */
char *pool_containers_json(void);
/* The idle warm instances of key. */
int pool_idle(const char *key);
/* {"<fn>@<v>": idle warm instances, …}; free() it. */
char *pool_idle_json(void);

/* codetrim.c: the code cache within [worker] code_cache_mb */
/* Holds (pin) or releases a tree while an invocation starts an instance on it. */
void codecache_pin(const char *sha, bool pin);
/* Records the size of a tree just unpacked, and that it is used now. */
void codecache_record(const char *sha, const char *tree);
/* Records that a tree is used now. */
void codecache_touch(const char *sha);
/* Evicts the least recently used trees no instance runs from until the cache fits its cap. */
void codecache_trim(void);
/* Whether a live or starting instance runs from the code of digest sha (pool.c). */
bool pool_uses_code(const char *sha);

/* codecache.c */
int codecache_get(struct db *db, const char *sha, char *path, size_t n, char *why, size_t whysz);
/* Reproduces a code tree in an empty directory: files hard-linked (one file system), directories and symlinks as they are. */
int codecache_link(const char *from, const char *to);
void remove_tree(const char *path);

/* link.c: the runner's end of the runner links (docs/invocation-path.md). */
struct run_item;
/* Listens on [worker] link_socket and link_host:link_port (a thread of its own). */
void link_start(void);
/* What a tf-api must say first: published in the registry, which only the platform reads. */
const char *link_token(void);
/* The next synchronous job from any link, waiting up to wait_ms; NULL when none came. */
struct run_item *link_take(int wait_ms);
struct job *link_job(struct run_item *it);
/* Answers the link the job came from; idle is its version's idle warm instances now. */
void link_answer(struct run_item *it, const struct outcome *oc, int idle);
/* Tells the link the job was not run, so that another runner may run it. */
void link_refuse(struct run_item *it, const char *reason);
void link_done(struct run_item *it);
/* Jobs waiting for a dispatcher. */
int link_queued(void);
/* Jobs queued or running that came over the links. */
int link_in_flight(void);
/* Tells every link how busy this runner is and what it holds warm (the heartbeat's and a drain's). */
void link_broadcast_state(void);
/* Closes the links (the last step of stopping). */
void link_stop(void);

/* queue.c */
void *dispatcher_main(void *arg);
/* Writes records and gives back concurrency places off the invocation's path (a thread of its own). */
void *publisher_main(void *arg);
/*
 * Runs one job to its outcome; logs collects what the function printed. 1 when
 * nothing of it could start here (no such runtime, no room), the outcome a platform error.
 */
int run_job(struct db *db, const struct job *j, struct outcome *oc, struct log_lines *logs);
void outcome_begin(const struct job *j, struct outcome *oc);

/* async.c: asynchronous invocations from the durable stream. */
void *async_main(void *arg);
/* Async consumers still running: a drain ends when they have finished what they took. */
int async_in_flight(void);
/* Keeps this runner's running async entries its own (called from the heartbeat). */
void async_touch(struct rds *rds);
/* cron.c: the leader fires the Scheduled triggers that are due. */
void cron_tick(struct rds *rds, struct db *db);
/* The leader's deployment controller: moves, judges and rolls back deployments in progress. */
void deploy_tick(struct rds *rds, struct db *db);
/* The leader's duties: re-queues accepted invocations a stream does not hold. */
void scheduler_tick(struct rds *rds, struct db *db);

/* recorder.c */
void *recorder_main(void *arg);
/* Counters and rollups a transaction adds up before writing them (recorder.c). */
struct tally;
/*
 * Writes one finished invocation (a record, as record_json makes it) inside the
 * caller's transaction: its row and logs now, its counts into t, each exactly once
 * however often the same record arrives. tally_flush writes t before the commit.
 * Returns 0 when written, 1 when it had been written before, -1 on error.
 */
int write_record(struct db *db, json_object *rec, struct tally *t);
struct tally *tally_new(void);
int tally_flush(struct db *db, struct tally *t);
void tally_free(struct tally *t);
/* Appends the record of a finished invocation to the command pipeline of rds. */
char *record_json(const struct job *j, const struct outcome *oc, const struct log_lines *logs);
/* One JSON log line per finished try: requestId, traceId (the request's in nginx and tf-api), outcome. */
void log_invocation(const struct job *j, const struct outcome *oc);
/* Strips a record MariaDB refused to its identity: a platform failure, without figures or output. */
void record_make_bare(json_object *rec);

#endif
