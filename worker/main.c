/*
 * tf-worker: one per runner node. It proves its runtimes, then runs
 * dispatchers (jobs), the recorder (invocations into MariaDB), and a
 * housekeeping loop (heartbeat, idle instances) in the main thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keys.h"
#include "hostinfo.h"
#include "log.h"
#include "plan.h"
#include "settings.h"
#include "strfmt.h"
#include "timefmt.h"
#include "worker.h"

#define CODE_TRIM_EVERY_MS 10000
#define LINK_STATE_EVERY_MS 250  /* how fresh tf-api's picture of this runner's warm instances is */

struct worker W;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		fatal("cannot read %s: %s", from, strerror(errno));
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		fatal("cannot write %s: %s", to, strerror(errno));
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			fatal("cannot write %s", to);
	close(in);
	close(out);
}

/*
 * The bootstraps are copied into the worker's own directory, which the sandbox
 * uids can reach, wherever the installation itself lives.
 */
static void install_bootstraps(void)
{
	const char *src = config_str(W.cfg, "worker", "bootstrap_dir", "/usr/share/taufunctions/runtimes");
	const char *files[][2] = { { "node", "bootstrap.js" }, { "python", "bootstrap.py" },
	                           { "pyodide", "bootstrap.js" }, { "pyodide", "serve.py" } };
	char from[PATH_MAX], dir[PATH_MAX], to[PATH_MAX];

	if (strfmt(W.bootstrap_dir, sizeof(W.bootstrap_dir), "%s/bootstrap", W.dir) != 0)
		fatal("worker.dir is too long");
	mkdir(W.bootstrap_dir, 0755);
	for (size_t i = 0; i < TF_ARRAY_LEN(files); i++) {
		if (strfmt(dir, sizeof(dir), "%s/%s", W.bootstrap_dir, files[i][0]) != 0 ||
		    strfmt(from, sizeof(from), "%s/%s/%s", src, files[i][0], files[i][1]) != 0 ||
		    strfmt(to, sizeof(to), "%s/%s", dir, files[i][1]) != 0)
			fatal("worker.dir or worker.bootstrap_dir is too long");
		mkdir(dir, 0755);
		copy_file(from, to);
	}
}

static void setup_dirs(void)
{
	char sub[PATH_MAX];

	/* Room is left for the longest path built under it. */
	if (strfmt(W.dir, sizeof(W.dir) - 256, "%s", config_str(W.cfg, "worker", "dir", "/var/lib/taufunctions/worker")) != 0)
		fatal("worker.dir is too long");
	if (mkdir(W.dir, 0711) != 0 && errno != EEXIST)
		fatal("cannot create worker.dir %s: %s", W.dir, strerror(errno));
	/*
	 * code/: packages by digest; task/: the spares' own directories, code linked in
	 * on adoption, emptied here since no instance of an earlier run survives it.
	 */
	const char *subdirs[] = { "code", "code/.meta", "task" };
	for (size_t i = 0; i < TF_ARRAY_LEN(subdirs); i++) {
		strfmt(sub, sizeof(sub), "%s/%s", W.dir, subdirs[i]);
		if (strcmp(subdirs[i], "task") == 0)
			remove_tree(sub);
		if (mkdir(sub, 0711) != 0 && errno != EEXIST)
			fatal("cannot create %s: %s", sub, strerror(errno));
	}
	install_bootstraps();
}

/* Tells the cluster this runner lives and what it can run. */
/* The versions kept warm after a blue-green switch (keepBlue), for the idle reaper. */
static void refresh_kept(struct rds *rds)
{
	static char keys[POOL_MAX_KEPT][96];
	int n = 0;
	redisReply *rep = rds_cmd(rds, "ZRANGEBYSCORE %s %lld +inf LIMIT 0 %d", TF_KEY_KEPT, (long long)now_ms(), POOL_MAX_KEPT);
	if (rep && rep->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i < rep->elements && n < POOL_MAX_KEPT; i++)
			if (rep->element[i]->type == REDIS_REPLY_STRING)
				snprintf(keys[n++], sizeof(keys[0]), "%s", rep->element[i]->str);
	if (rep)
		pool_set_kept(keys, n);
	freeReplyObject(rep);
}

static void heartbeat(struct rds *rds, struct db *db, const char *runtimes)
{
	char key[128], now[32], started[32];
	int busy = 0, live = pool_count(&busy);

	char cpu[32], mem[32], memtotal[32], cores[16];
	long long total_mb = 0;
	char *containers = pool_containers_json();

	snprintf(key, sizeof(key), TF_KEY_RUNNER_FMT, W.id);
	snprintf(now, sizeof(now), "%lld", (long long)now_ms());
	snprintf(started, sizeof(started), "%lld", (long long)W.started_ms);
	/* Percentages are 0-100 and counts small: strfmt only guards the bound. */
	strfmt(cpu, sizeof(cpu), "%.1f", host_cpu_usage());
	strfmt(mem, sizeof(mem), "%.1f", host_memory_usage(&total_mb));
	strfmt(memtotal, sizeof(memtotal), "%lld", total_mb);
	strfmt(cores, sizeof(cores), "%ld", host_cores());
	/* Where tf-api reaches this runner (docs/invocation-path.md), and whether it still takes work. */
	rds_append(rds,
	           "HSET %s runtimes %s hostname %s startedMs %s heartbeatMs %s instances %d busy %d maxInstances %d"
	           " cpuUsage %s memoryUsage %s memoryMB %s cores %s containers %s linkSocket %s linkHost %s"
	           " port %d token %s draining %d queued %d",
	           key, runtimes, W.hostname, started, now, live, busy, W.max_instances, cpu, mem, memtotal, cores,
	           containers, W.link_socket, W.link_host, W.link_port, link_token(), W.draining ? 1 : 0, link_queued());
	free(containers);
	rds_append(rds, "PEXPIRE %s %d", key, TF_RUNNER_ALIVE_MS * 4);
	rds_append(rds, "ZADD %s %s %s", TF_KEY_RUNNERS, now, W.id);
	for (int i = 0; i < 3; i++)
		freeReplyObject(rds_reply(rds));
	if (db_exec(db,
	            "INSERT INTO runners (id, hostname, runtimes, max_instances, started_at, last_heartbeat)"
	            " VALUES (?, ?, ?, ?, FROM_UNIXTIME(? / 1000), NOW(3))"
	            " ON DUPLICATE KEY UPDATE hostname = VALUES(hostname), runtimes = VALUES(runtimes),"
	            " max_instances = VALUES(max_instances), started_at = VALUES(started_at), last_heartbeat = NOW(3)",
	            DB_ARGS(DB_STR(W.id), DB_STR(W.hostname), DB_STR(runtimes), DB_INT(W.max_instances),
	                    DB_INT(W.started_ms)), NULL) != 0)
		log_warn("runner heartbeat to MariaDB: %s", db_error(db));
}

/*
 * SIGTERM: takes nothing new (tf-api is told at once and sends elsewhere; the
 * async consumers stop reading) and waits, up to [worker] drain_seconds, for
 * what runs to finish, still beating so that the cluster sees it live.
 */
static void drain(struct rds *rds, struct db *db, const char *runtimes)
{
	int64_t until = mono_ms() + (int64_t)W.drain_seconds * 1000, last_beat = 0;

	log_info("signal %d: draining", (int)stop_signal);
	W.draining = true;
	link_broadcast_state();
	for (;;) {
		int busy = 0;
		pool_count(&busy);
		int left = busy + link_in_flight() + async_in_flight();
		if (left == 0 || mono_ms() >= until) {
			log_info("drained%s: %d invocations still running", left ? " (time is up)" : "", left);
			return;
		}
		if (mono_ms() - last_beat >= TF_HEARTBEAT_MS) {
			heartbeat(rds, db, runtimes);
			async_touch(rds);  /* what it runs stays its own */
			last_beat = mono_ms();
		}
		link_broadcast_state();
		nanosleep(&(struct timespec){ 0, 100 * 1000000 }, NULL);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: tf-worker [--config FILE]\n");
	exit(2);
}

static void load_settings(void)
{
	const struct config *c = W.cfg;

	if (gethostname(W.hostname, sizeof(W.hostname)) != 0)
		snprintf(W.hostname, sizeof(W.hostname), "localhost");
	snprintf(W.id, sizeof(W.id), "%s", config_str(c, "worker", "id", W.hostname));
	W.slots = (int)config_int(c, "worker", "slots", 32, 1, 4096);
	W.max_instances = (int)config_int(c, "worker", "max_instances", 256, 1, 65536);
	/* Each dispatcher holds at most one instance, so this keeps a slot free for each. */
	if (W.max_instances < W.slots)
		W.max_instances = W.slots;
	W.idle_seconds = (int)config_int(c, "worker", "idle_seconds", 300, 1, 86400);
	W.prestart = (int)config_int(c, "worker", "prestart", 2, 0, 64);
	/* By default instances may be given four fifths of the host's memory. */
	long long host_mb = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) / (1024 * 1024);
	W.memory_budget_mb = config_int(c, "worker", "memory_budget_mb", host_mb * 4 / 5, TF_MIN_MEMORY_MB, 1LL << 40);
	W.uid_base = (uid_t)config_int(c, "sandbox", "uid_base", 200000, 1000, 2000000000);
	W.tmp_mb = (int)config_int(c, "sandbox", "tmp_mb", 512, 1, 1 << 20);
	/* At least one package of the largest unpacked size (50 MB) fits. */
	W.code_cache_mb = config_int(c, "worker", "code_cache_mb", 10240, 64, 1LL << 30);
	/* Lambda waits about a minute before the first retry and doubles it for the next. */
	W.retry_backoff_ms = config_int(c, "async", "retry_backoff_ms", 60000, 1, 3600000);
	W.requeue_after_s = (int)config_int(c, "async", "requeue_after_seconds", 30, 1, 86400);
	W.visibility_ms = (int)config_int(c, "async", "visibility_timeout_ms", 30000, 1000, 3600000);
	/* The longest function timeout and its init, so that a drain never cuts an invocation short. */
	W.drain_seconds = (int)config_int(c, "worker", "drain_seconds", 930, 0, 86400);
	db_library_init();
	db_config_from(c, &W.dbc, true);
	rds_config_from(c, &W.rdc);
}

int main(int argc, char **argv)
{
	const char *config_path = NULL;
	char err[512], runtimes[256];
	enum tflog_level level = TFLOG_INFO;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_path = argv[++i];
		else
			usage();
	}
	if (config_path == NULL && access(TF_DEFAULT_CONFIG, R_OK) == 0)
		config_path = TF_DEFAULT_CONFIG;
	struct config *cfg = config_load(config_path, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "tf-worker: %s\n", err);
		return 1;
	}
	if (log_level_parse(config_str(cfg, "log", "level", "info"), &level) != 0)
		fatal("log.level must be debug, info, warn or error");
	log_init("tf-worker", level);
	/* Code and bootstraps must be readable by the sandbox uids. */
	umask(022);
	signal(SIGPIPE, SIG_IGN);
	W.cfg = cfg;
	W.started_ms = now_ms();
	load_settings();
	plan_configure(cfg);  /* scheduled invocations run under their tenant's plan */
	setup_dirs();
	/* Without its walls no sandbox starts: the limits are walls, not options. */
	W.cgroups = cgroup_init(config_str(cfg, "sandbox", "cgroup_root", "/sys/fs/cgroup"), W.id);
	if (W.cgroups == CGROUP_NONE)
		fatal("no usable cgroups (memory and pids controllers): refusing to run functions without their limits");
	if (seccomp_prepare() != 0)
		fatal("cannot build the seccomp filter; no sandbox would start");
	pool_init();
	runtimes_detect();
	runtimes_advertised(runtimes, sizeof(runtimes));
	if (runtimes[0] == '\0')
		log_error("no runtime is available on this runner");

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	link_start();
	pthread_t t;
	if (pthread_create(&t, NULL, publisher_main, NULL) != 0)
		fatal("cannot start the publisher");
	for (int i = 0; i < W.slots; i++)
		if (pthread_create(&t, NULL, dispatcher_main, NULL) != 0)
			fatal("cannot start dispatcher %d", i);
	if (pthread_create(&t, NULL, recorder_main, NULL) != 0)
		fatal("cannot start the recorder");
	if (W.prestart > 0 && pthread_create(&t, NULL, spares_main, NULL) != 0)
		fatal("cannot start the spares' filler");
	/* Asynchronous work shares the instances; it gets half the slots' worth of consumers. */
	for (int i = 0; i < (W.slots + 1) / 2; i++)
		if (pthread_create(&t, NULL, async_main, (void *)(intptr_t)i) != 0)
			fatal("cannot start async consumer %d", i);

	struct rds *rds = rds_open(&W.rdc);
	struct db *db = db_open(&W.dbc);
	log_info("runner %s ready: %d slots, runtimes %s", W.id, W.slots, runtimes);
	int64_t last_beat = 0, last_touch = 0, last_trim = 0, last_state = 0;
	/* Running async entries are renewed well within their visibility timeout. */
	int touch_every_ms = W.visibility_ms / 3 < TF_HEARTBEAT_MS ? W.visibility_ms / 3 : TF_HEARTBEAT_MS;
	while (!stop_signal) {
		if (mono_ms() - last_touch >= touch_every_ms) {
			async_touch(rds);
			last_touch = mono_ms();
		}
		if (mono_ms() - last_beat >= TF_HEARTBEAT_MS) {
			heartbeat(rds, db, runtimes);
			refresh_kept(rds);
			scheduler_tick(rds, db);
			last_beat = mono_ms();
		}
		if (mono_ms() - last_state >= LINK_STATE_EVERY_MS) {
			link_broadcast_state();
			last_state = mono_ms();
		}
		pool_reap_idle();
		if (mono_ms() - last_trim >= CODE_TRIM_EVERY_MS) {
			codecache_trim();  /* trees whose instances have stopped since the last unpack */
			last_trim = mono_ms();
		}
		nanosleep(&(struct timespec){ 0, 200 * 1000000 }, NULL);
	}
	drain(rds, db, runtimes);
	W.stopping = true;
	freeReplyObject(rds_cmd(rds, "ZREM %s %s", TF_KEY_RUNNERS, W.id));
	/* Dispatchers, consumers and the publisher see the flag within a second. */
	sleep(2);
	link_stop();
	pool_stop_all();
	rds_close(rds);
	db_close(db);
	return 0;
}
