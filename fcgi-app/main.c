/*
 * tf-api: a multi-threaded FastCGI responder behind nginx. Each thread owns one
 * MariaDB and one Redis connection and serves one request at a time; a
 * synchronous invocation is parked on its runner link, and the thread goes on.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "cache.h"
#include "dispatch.h"
#include "log.h"
#include "password.h"
#include "plan.h"
#include "ids.h"
#include "ratelimit.h"
#include "runlink.h"
#include "settings.h"
#include "xalloc.h"

#define TF_API_BACKLOG 1024

struct thread_arg {
	const struct app *app;
	int sock;
};

static FCGX_Request *new_request(int sock)
{
	FCGX_Request *fr = xcalloc(1, sizeof(*fr));
	if (FCGX_InitRequest(fr, sock, 0) != 0)
		fatal("FCGX_InitRequest failed");
	return fr;
}

static void *serve(void *p)
{
	struct thread_arg *ta = p;
	struct conn conn = { db_open(&ta->app->dbc), rds_open(&ta->app->rdc) };
	FCGX_Request *fr = new_request(ta->sock);

	while (FCGX_Accept_r(fr) >= 0) {
		/* A parked request is finished by its runner link; the next one gets a request of its own. */
		if (dispatch(ta->app, &conn, fr))
			fr = new_request(ta->sock);
		else
			FCGX_Finish_r(fr);
	}
	free(fr);
	log_warn("accept failed; request thread ends");
	db_close(conn.db);
	rds_close(conn.rds);
	return NULL;
}

static int open_socket(const struct config *cfg)
{
	const char *path = config_str(cfg, "api", "socket", "/run/taufunctions/tf-api.sock");
	const char *group = config_str(cfg, "api", "socket_group", "nogroup");

	unlink(path);
	/* Created without access for others, then opened to nginx's group only. */
	mode_t old = umask(0117);
	int sock = FCGX_OpenSocket(path, TF_API_BACKLOG);
	umask(old);
	if (sock < 0)
		fatal("cannot listen on %s", path);
	struct group *g = getgrnam(group);
	if (g == NULL)
		fatal("api.socket_group %s does not exist", group);
	if (chown(path, (uid_t)-1, g->gr_gid) != 0 || chmod(path, 0660) != 0)
		fatal("cannot set owner and mode of %s: %s", path, strerror(errno));
	return sock;
}

static void usage(void)
{
	fprintf(stderr, "usage: tf-api [--config FILE] [--migrate-only | --bootstrap-admin FILE --base-url URL]\n");
	exit(2);
}

/* What the request threads need to check passwords and tokens. */
static void load_auth(struct app *app)
{
	char throwaway[32];

	secret_load(config_str(app->cfg, "auth", "jwt_secret_file", "/var/lib/taufunctions/jwt.key"),
	            app->token_key, &app->token_key_len);
	app->token_ttl_s = (int)config_int(app->cfg, "auth", "token_ttl_seconds", 86400, 60, 30 * 86400);
	random_token(throwaway, sizeof(throwaway), "", 24);
	if (password_hash(throwaway, app->dummy_hash, sizeof(app->dummy_hash)) != 0)
		fatal("cannot hash with yescrypt");
}

int main(int argc, char **argv)
{
	const char *config_path = NULL;
	bool migrate_only = false;
	const char *bootstrap_file = NULL, *base_url = NULL;
	char err[512];
	enum tflog_level level = TFLOG_INFO;
	/*
	 * Static: request threads still read them while the process exits, after main
	 * has returned, and the configuration stays reachable through them.
	 */
	static struct app app;
	static struct thread_arg ta;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_path = argv[++i];
		else if (strcmp(argv[i], "--migrate-only") == 0)
			migrate_only = true;
		else if (strcmp(argv[i], "--bootstrap-admin") == 0 && i + 1 < argc)
			bootstrap_file = argv[++i];
		else if (strcmp(argv[i], "--base-url") == 0 && i + 1 < argc)
			base_url = argv[++i];
		else
			usage();
	}
	if (config_path == NULL && access(TF_DEFAULT_CONFIG, R_OK) == 0)
		config_path = TF_DEFAULT_CONFIG;
	struct config *cfg = config_load(config_path, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "tf-api: %s\n", err);
		return 1;
	}
	app.cfg = cfg;
	if (log_level_parse(config_str(cfg, "log", "level", "info"), &level) != 0)
		fatal("log.level must be debug, info, warn or error");
	log_init("tf-api", level);
	signal(SIGPIPE, SIG_IGN);
	db_library_init();

	if (migrate_run(cfg) != 0)
		fatal("migrations failed");
	if (migrate_only)
		return 0;

	app = (struct app){
		.cfg = cfg,
		.self_service_upgrade = config_bool(cfg, "billing", "self_service_upgrade", true),
		.public_url = config_str(cfg, "api", "public_url", NULL),
		.sync_margin_s = (int)config_int(cfg, "api", "sync_margin_seconds", 30, 1, 3600),
		.async_max_depth_function = config_int(cfg, "async", "max_queue_depth_per_function", 10000, 1, 100000000),
		.async_max_depth = config_int(cfg, "async", "max_queue_depth", 100000, 1, 1000000000),
	};
	db_config_from(cfg, &app.dbc, true);
	rds_config_from(cfg, &app.rdc);
	load_auth(&app);
	if (bootstrap_file)
		return bootstrap_admin(&app, bootstrap_file, base_url ? base_url : "http://127.0.0.1:8080") == 0 ? 0 : 1;
	ratelimit_init(cfg);
	plan_configure(cfg);
	cache_start(&app);
	runlink_start(&app);
	int threads = (int)config_int(cfg, "api", "threads", 32, 2, 1024);
	/* No thread waits on a function (runlink.h); this bounds only the memory they take. */
	app.sync_max_waiting = config_int(cfg, "api", "max_sync_in_flight", 20000, 1, 10000000);
	if (FCGX_Init() != 0)
		fatal("FCGX_Init failed");
	ta = (struct thread_arg){ &app, open_socket(cfg) };
	/* Blocked before the threads start, so only sigwait below sees them. */
	sigset_t set;
	int sig;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	for (int i = 0; i < threads; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, serve, &ta) != 0)
			fatal("cannot start request thread %d", i);
		pthread_detach(t);
	}
	log_info("listening on %s with %d threads", config_str(cfg, "api", "socket", ""), threads);

	sigwait(&set, &sig);
	log_info("signal %d: stopping", sig);
	/* Requests in flight end with the process; nginx answers their clients 502. */
	return 0;
}
