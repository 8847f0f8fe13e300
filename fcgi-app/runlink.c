/*
 * The links to the runners. One thread follows the registry in Redis (every
 * runner's address, token and runtimes) and keeps one connection to each live
 * runner; one reader thread per connection takes the outcomes and answers the
 * parked requests; one sweeper answers those whose deadline has passed. What
 * a request thread does for a synchronous invocation ends with a write to a
 * socket: thousands in flight cost memory, not threads.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "invoke.h"
#include "jsonx.h"
#include "keys.h"
#include "linebuf.h"
#include "link.h"
#include "log.h"
#include "runlink.h"
#include "timefmt.h"
#include "xalloc.h"

#define LINKS_MAX 64
#define LINK_REFRESH_MS 500         /* how soon a new runner is linked */
#define LINK_CONNECT_MS 500
#define LINK_SEND_MS 2000           /* a runner that takes no frame this long is cut off */
#define LINK_TRIES 3                /* runners a job is offered to before the caller hears 503 */
#define IDLE_KEYS_MAX 256           /* versions a link remembers as warm there */
#define PENDING_BUCKETS 4096
#define SWEEP_EVERY_MS 100
#define UNSENT_WAIT_MS 5000         /* a job no runner can take yet waits this long for one (a runner starting) */

struct idle_count {
	char key[96];  /* "<function id>@<version>" */
	int n;
};

/* One runner, as this process sees it (under links_lock but fd writes, under wlock). */
struct link {
	char id[64];
	char addr[PATH_MAX + 16];   /* "unix:/path" or "tcp:host:port" */
	char token[TF_LINK_TOKEN_LEN + 1];
	char runtimes[256];         /* ",nodejs20,python3.11," */
	int fd;                     /* -1 while not connected */
	unsigned gen;               /* counts connections: a reader serves one */
	bool listed;                /* in the registry at the last look */
	unsigned seen;              /* the look it was last seen in */
	bool connect_failed;        /* the last attempt failed (the registry thread's alone) */
	bool ready;                 /* the runner has answered with its state: it took the token */
	bool draining;
	int inflight;               /* this process's jobs on it */
	int busy, slots;            /* as the runner last said */
	struct idle_count idle[IDLE_KEYS_MAX];
	int nidle;
	pthread_mutex_t wlock;
};

/* A parked request: its job is on a runner, or about to be. */
struct pending {
	struct req *r;
	struct job j;
	sync_answer_fn answer;
	json_object *ctx;
	int link;          /* -1 before it is sent */
	unsigned gen;
	int tries;
	int64_t deadline_mono;
	int64_t unsent_until;  /* mono: when it stops waiting for a runner to take it */
	struct pending *next;  /* in its bucket */
};

static const struct app *A;
static pthread_mutex_t links_lock = PTHREAD_MUTEX_INITIALIZER;
static struct link links[LINKS_MAX];
static int nlinks;
static char my_host[256];

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pending *buckets[PENDING_BUCKETS];
static atomic_long waiting;

/* Jobs that found no runner to take them, waiting for one to be linked (under pending_lock). */
static struct pending *unsent;

/* For give-backs of invocations that never ran (under cleanup_lock). */
static pthread_mutex_t cleanup_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rds *cleanup_rds;

static unsigned bucket_of(const char *request_id)
{
	unsigned h = 2166136261u;
	for (const char *p = request_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % PENDING_BUCKETS;
}

static void pending_add(struct pending *p)
{
	unsigned b = bucket_of(p->j.request_id);
	pthread_mutex_lock(&pending_lock);
	p->next = buckets[b];
	buckets[b] = p;
	pthread_mutex_unlock(&pending_lock);
}

/* Takes the pending request of request_id off the table; NULL when none (answered already). */
static struct pending *pending_take(const char *request_id)
{
	unsigned b = bucket_of(request_id);
	struct pending *p = NULL;
	pthread_mutex_lock(&pending_lock);
	for (struct pending **pp = &buckets[b]; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->j.request_id, request_id) == 0) {
			p = *pp;
			*pp = p->next;
			break;
		}
	pthread_mutex_unlock(&pending_lock);
	return p;
}

/* Takes every pending request that matches off the table, into a list. */
static struct pending *pending_take_all(bool (*match)(const struct pending *, const void *), const void *arg)
{
	struct pending *out = NULL;
	pthread_mutex_lock(&pending_lock);
	for (int b = 0; b < PENDING_BUCKETS; b++)
		for (struct pending **pp = &buckets[b]; *pp;) {
			struct pending *p = *pp;
			if (!match(p, arg)) {
				pp = &p->next;
				continue;
			}
			*pp = p->next;
			p->next = out;
			out = p;
		}
	pthread_mutex_unlock(&pending_lock);
	return out;
}

/* The request's last step, wherever it ends: its answer or error, sent. */
static void finish(struct pending *p, int rc)
{
	if (p->link >= 0) {
		pthread_mutex_lock(&links_lock);
		links[p->link].inflight--;
		pthread_mutex_unlock(&links_lock);
	}
	atomic_fetch_sub(&waiting, 1);
	dispatch_finish(p->r, rc);
	job_free(&p->j);
	json_object_put(p->ctx);
	free(p);
}

/* An invocation that never ran gives back its concurrency places and its quota. */
static void never_ran(struct pending *p)
{
	pthread_mutex_lock(&cleanup_lock);
	invoke_give_back(cleanup_rds, &p->j);
	pthread_mutex_unlock(&cleanup_lock);
}

/* Answers 503 with msg; an invocation that surely never ran gives back what it took. */
static void fail(struct pending *p, bool ran_maybe, const char *msg)
{
	if (!ran_maybe)
		never_ran(p);
	p->r->err.retry_after = 1;
	tf_fail(&p->r->err, TF_E_UNAVAILABLE, "%s", msg);
	finish(p, -1);
}

static void answer(struct pending *p, struct outcome *oc)
{
	int rc;
	struct req *r = p->r;

	if (oc->status == OUTCOME_PLATFORM_ERROR) {
		/* The runner's reason is the operator's to read (it may name paths or MariaDB's words), not the tenant's. */
		log_fields(TFLOG_ERROR, "invocation failed on the platform", "requestId", p->j.request_id, "error",
		           jstr(oc->error, "errorMessage"), "runner", oc->runner, "traceId", r->trace_id, NULL);
		rc = tf_fail(&r->err, TF_E_UNAVAILABLE, "The invocation could not run on a runner; try again (trace %s)",
		             r->trace_id);
	} else {
		rc = p->answer(r, &p->j, oc, p->ctx);
	}
	finish(p, rc);
}

static bool has_runtime(const struct link *l, const char *runtime)
{
	char needle[24];
	snprintf(needle, sizeof(needle), ",%s,", runtime);
	return strstr(l->runtimes, needle) != NULL;
}

static struct idle_count *idle_of(struct link *l, const char *key)
{
	for (int i = 0; i < l->nidle; i++)
		if (strcmp(l->idle[i].key, key) == 0)
			return &l->idle[i];
	return NULL;
}

static void idle_set(struct link *l, const char *key, int n)
{
	struct idle_count *c = idle_of(l, key);
	if (c == NULL && n > 0 && l->nidle < IDLE_KEYS_MAX) {
		c = &l->idle[l->nidle++];
		snprintf(c->key, sizeof(c->key), "%s", key);
	}
	if (c)
		c->n = n;
}

static bool usable(const struct link *l, const char *runtime)
{
	return l->fd >= 0 && l->ready && l->listed && !l->draining && has_runtime(l, runtime);
}

/*
 * The runner for a job (under links_lock), not one of those in skip: one with an
 * idle warm instance of its version, the most idle first; else the least loaded
 * with its runtime. -1 when none.
 */
static int pick(const struct job *j, const int *skip, int nskip)
{
	char key[96];
	int best = -1, warm = -1, warm_n = 0;
	double best_load = 0;

	snprintf(key, sizeof(key), "%s@%d", j->function_id, j->version);
	for (int i = 0; i < nlinks; i++) {
		struct link *l = &links[i];
		bool skipped = false;
		for (int k = 0; k < nskip; k++)
			skipped = skipped || skip[k] == i;
		if (skipped || !usable(l, j->runtime))
			continue;
		struct idle_count *c = idle_of(l, key);
		if (c && c->n > warm_n) {
			warm = i;
			warm_n = c->n;
		}
		/* What it said it runs, and what this process has sent it since, per slot. */
		double load = (double)(l->busy + l->inflight) / (l->slots > 0 ? l->slots : 1);
		if (best < 0 || load < best_load) {
			best = i;
			best_load = load;
		}
	}
	if (warm >= 0) {
		idle_of(&links[warm], key)->n--;  /* taken, until the runner says otherwise */
		return warm;
	}
	return best;
}

int runlink_park(struct req *r, struct job *j, sync_answer_fn answer_fn, json_object *ctx)
{
	struct pending *p = xcalloc(1, sizeof(*p));

	p->r = r;
	p->j = *j;
	memset(j, 0, sizeof(*j));  /* its env and payload are the pending request's now */
	p->answer = answer_fn;
	p->ctx = ctx ? json_object_get(ctx) : NULL;
	p->link = -1;
	p->deadline_mono = mono_ms() + (p->j.wait_until_ms - now_ms());
	p->unsent_until = mono_ms() + UNSENT_WAIT_MS;
	r->parked = p;
	r->conn = NULL;  /* the thread's connections stay with the thread */
	atomic_fetch_add(&waiting, 1);
	return REQ_PARKED;
}

/* Sends p's job to a runner it has not been offered to; 0 when sent. */
static int send_job(struct pending *p, int *skip, int *nskip)
{
	char *text = job_to_json(&p->j), rid[sizeof(p->j.request_id)];
	int rc = -1;

	snprintf(rid, sizeof(rid), "%s", p->j.request_id);  /* p may be answered, and gone, once in the table */
	while (rc != 0 && p->tries < LINK_TRIES) {
		pthread_mutex_lock(&links_lock);
		int i = pick(&p->j, skip, *nskip);
		if (i >= 0) {
			links[i].inflight++;
			p->link = i;
			p->gen = links[i].gen;
		}
		int fd = i >= 0 ? links[i].fd : -1;
		unsigned gen = i >= 0 ? links[i].gen : 0;
		pthread_mutex_unlock(&links_lock);
		if (i < 0)
			break;
		p->tries++;
		skip[(*nskip)++] = i;
		/* In the table before it is sent: the answer can come before the write returns. */
		pending_add(p);
		/*
		 * The reader closes a dead link's descriptor under wlock, after marking it gone:
		 * under wlock, a descriptor still the link's is still open, not a reused number.
		 */
		pthread_mutex_lock(&links[i].wlock);
		pthread_mutex_lock(&links_lock);
		bool same = links[i].fd == fd && links[i].gen == gen;
		pthread_mutex_unlock(&links_lock);
		rc = same ? link_send(fd, LINK_JOB, text, strlen(text), mono_ms() + LINK_SEND_MS) : -1;
		if (rc != 0 && same)
			shutdown(fd, SHUT_RDWR);  /* its reader fails what it had */
		pthread_mutex_unlock(&links[i].wlock);
		if (rc == 0)
			break;
		/* Not sent: it goes elsewhere, unless the broken link's reader took it and answered it already. */
		if (pending_take(rid) == NULL) {
			rc = 0;
			break;
		}
		pthread_mutex_lock(&links_lock);
		links[i].inflight--;
		pthread_mutex_unlock(&links_lock);
		p->link = -1;
	}
	free(text);
	return rc;
}

static void launch(struct pending *p, int *skip, int nskip)
{
	if (send_job(p, skip, &nskip) == 0)
		return;
	if (p->tries == 0 && mono_ms() < p->unsent_until) {
		/* No runner is linked yet (one starting, or the links coming back): it waits a little for one. */
		pthread_mutex_lock(&pending_lock);
		p->next = unsent;
		unsent = p;
		pthread_mutex_unlock(&pending_lock);
		return;
	}
	fail(p, false, p->tries ? "No runner could take the invocation (those offered it refused or were"
	                          " unreachable); try again shortly"
	                        : "No runner is reachable right now; try again shortly");
}

/* Offers the waiting jobs again, after a look at the registry. */
static void launch_unsent(void)
{
	pthread_mutex_lock(&pending_lock);
	struct pending *all = unsent;
	unsent = NULL;
	pthread_mutex_unlock(&pending_lock);
	while (all) {
		struct pending *next = all->next;
		int skip[LINK_TRIES];
		launch(all, skip, 0);
		all = next;
	}
}

void runlink_launch(struct req *r)
{
	int skip[LINK_TRIES];
	launch(r->parked, skip, 0);
}

long runlink_waiting(void)
{
	return atomic_load(&waiting);
}

/* A runner refused a job (draining, no room): another one may take it. */
static void on_refused(int li, const char *text, size_t len)
{
	char why[64];
	json_object *o = json_parse_text(text, len, why, sizeof(why));
	struct pending *p = jstr(o, "requestId") ? pending_take(jstr(o, "requestId")) : NULL;

	if (p) {
		log_fields(TFLOG_INFO, "a runner refused an invocation", "requestId", p->j.request_id, "runner",
		           links[li].id, "reason", jstr(o, "reason"), NULL);
		pthread_mutex_lock(&links_lock);
		if (p->link >= 0)
			links[p->link].inflight--;
		pthread_mutex_unlock(&links_lock);
		p->link = -1;
		int skip[LINK_TRIES] = { li };
		if (strcmp(jstr(o, "reason") ? jstr(o, "reason") : "", "expired") == 0)
			fail(p, false, "No runner could start the invocation before its deadline; try again");
		else
			launch(p, skip, 1);
	}
	json_object_put(o);
}

static void on_state(int li, const char *text, size_t len)
{
	char why[64];
	json_object *o = json_parse_text(text, len, why, sizeof(why));
	if (o == NULL)
		return;
	pthread_mutex_lock(&links_lock);
	struct link *l = &links[li];
	l->busy = (int)jint(o, "busy", 0);
	l->slots = (int)jint(o, "slots", 1);
	l->draining = jbool(o, "draining", false);
	l->ready = true;
	/* The runner's own count replaces every guess made since. */
	l->nidle = 0;
	json_object *idle = jget(o, "idle");
	if (idle && json_object_is_type(idle, json_type_object)) {
		json_object_object_foreach(idle, k, v)
			idle_set(l, k, json_object_get_int(v));
	}
	pthread_mutex_unlock(&links_lock);
	json_object_put(o);
}

static void on_outcome(int li, const char *text, size_t len)
{
	char *end;
	long idle = strtol(text, &end, 10);
	struct outcome oc;

	if (end == text || *end != ' ' || outcome_from_json(end + 1, len - (size_t)(end + 1 - text), &oc) != 0) {
		log_warn("a malformed outcome from runner %s", links[li].id);
		return;
	}
	struct pending *p = pending_take(oc.request_id);
	if (p) {
		char key[96];
		snprintf(key, sizeof(key), "%s@%d", p->j.function_id, p->j.version);
		pthread_mutex_lock(&links_lock);
		idle_set(&links[li], key, (int)idle);
		pthread_mutex_unlock(&links_lock);
		answer(p, &oc);
	}
	outcome_free(&oc);
}

struct reader_arg {
	int link;
	unsigned gen;
	int fd;
};

static bool on_link(const struct pending *p, const void *arg)
{
	const struct reader_arg *ra = arg;
	return p->link == ra->link && p->gen == ra->gen;
}

static void *reader_main(void *arg)
{
	struct reader_arg ra = *(struct reader_arg *)arg;
	struct linebuf lb;
	struct buf line = BUF_INIT;

	free(arg);
	linebuf_init(&lb, TF_LINK_MAX_FRAME);
	for (bool open = true; open;) {
		int rc = linebuf_read(&lb, ra.fd, true);
		while (open && linebuf_next(&lb, &line)) {
			if (lb.overflow || line.len < 2) {
				open = false;
				break;
			}
			const char *text = line.data + 2;
			size_t len = line.len - 2;
			switch (line.data[0]) {
			case LINK_OUTCOME: on_outcome(ra.link, text, len); break;
			case LINK_REFUSED: on_refused(ra.link, text, len); break;
			case LINK_STATE: on_state(ra.link, text, len); break;
			default: open = false;
			}
		}
		if (rc != 0)
			open = false;
	}
	buf_free(&line);
	linebuf_free(&lb);
	pthread_mutex_lock(&links_lock);
	struct link *l = &links[ra.link];
	if (l->gen == ra.gen) {
		l->fd = -1;
		l->nidle = 0;
	}
	char id[sizeof(l->id)];
	snprintf(id, sizeof(id), "%s", l->id);
	pthread_mutex_unlock(&links_lock);
	pthread_mutex_lock(&links[ra.link].wlock);  /* no writer holds the number when it is freed */
	close(ra.fd);
	pthread_mutex_unlock(&links[ra.link].wlock);
	/* What it was running is lost with it: its callers hear so now, not at their timeout. */
	struct pending *lost = pending_take_all(on_link, &ra);
	if (lost)
		log_fields(TFLOG_WARN, "a runner link broke with invocations in flight", "runner", id, NULL);
	while (lost) {
		struct pending *next = lost->next;
		char msg[192];
		snprintf(msg, sizeof(msg), "The runner running this invocation (%s) stopped before it answered; it may"
		         " have run. Try again", id);
		fail(lost, true, msg);
		lost = next;
	}
	return NULL;
}

/* Connects link i (not under links_lock: connecting waits). */
static void connect_link(int i, const char *addr, const char *token)
{
	int fd = link_connect(addr, LINK_CONNECT_MS, LINK_SEND_MS);
	if (fd < 0 || link_send(fd, LINK_HELLO, token, strlen(token), mono_ms() + LINK_SEND_MS) != 0) {
		/* Said once per failing spell, not twice a second. */
		if (!links[i].connect_failed)
			log_fields(TFLOG_WARN, "cannot link to a runner", "runner", links[i].id, "address", addr, "error",
			           strerror(errno), NULL);
		links[i].connect_failed = true;
		if (fd >= 0)
			close(fd);
		return;
	}
	links[i].connect_failed = false;
	pthread_mutex_lock(&links_lock);
	struct link *l = &links[i];
	l->fd = fd;
	unsigned gen = ++l->gen;
	l->busy = 0;
	l->nidle = 0;
	l->draining = false;
	l->ready = false;  /* until the runner's first state frame: it took the token */
	pthread_mutex_unlock(&links_lock);
	struct reader_arg *ra = xcalloc(1, sizeof(*ra));
	*ra = (struct reader_arg){ i, gen, fd };
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&t, &attr, reader_main, ra) != 0) {
		free(ra);
		pthread_mutex_lock(&links_lock);
		if (l->gen == gen)
			l->fd = -1;
		pthread_mutex_unlock(&links_lock);
		pthread_mutex_lock(&l->wlock);
		close(fd);
		pthread_mutex_unlock(&l->wlock);
		return;
	}
	pthread_attr_destroy(&attr);
	log_fields(TFLOG_INFO, "linked to a runner", "runner", l->id, "address", addr, NULL);
}

static const char *hfield(const redisReply *h, const char *name)
{
	for (size_t i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2)
		if (strcmp(h->element[i]->str, name) == 0)
			return h->element[i + 1]->str;
	return "";
}

/* The address of a runner: its unix socket when it runs on this host, else TCP. */
static void address_of(const redisReply *h, char *out, size_t n)
{
	const char *sock = hfield(h, "linkSocket"), *host = hfield(h, "linkHost");
	if (strcmp(hfield(h, "hostname"), my_host) == 0 && sock[0] && access(sock, F_OK) == 0) {
		snprintf(out, n, "unix:%s", sock);
		return;
	}
	/* A runner listening on every address is reached at its host's name. */
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 || host[0] == '\0')
		host = hfield(h, "hostname");
	snprintf(out, n, strchr(host, ':') ? "tcp:[%s]:%s" : "tcp:%s:%s", host, hfield(h, "port"));
}

/* One look at the registry: links to new runners, none to gone ones. */
static void refresh(struct rds *rds)
{
	redisReply *ids = rds_cmd(rds, "ZRANGEBYSCORE %s %lld +inf", TF_KEY_RUNNERS,
	                          (long long)(now_ms() - TF_RUNNER_ALIVE_MS));
	if (!rds_ok(ids) || ids->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(ids);
		return;
	}
	static unsigned round;
	round++;
	for (size_t k = 0; k < ids->elements; k++) {
		const char *id = ids->element[k]->str;
		char key[128], addr[sizeof(links[0].addr)], token[TF_LINK_TOKEN_LEN + 1];
		snprintf(key, sizeof(key), TF_KEY_RUNNER_FMT, id);
		redisReply *h = rds_cmd(rds, "HGETALL %s", key);
		address_of(h, addr, sizeof(addr));
		snprintf(token, sizeof(token), "%s", hfield(h, "token"));
		bool draining = strcmp(hfield(h, "draining"), "1") == 0;
		pthread_mutex_lock(&links_lock);
		int i = 0;
		while (i < nlinks && strcmp(links[i].id, id) != 0)
			i++;
		if (i == nlinks && nlinks < LINKS_MAX) {
			struct link *l = &links[nlinks++];
			snprintf(l->id, sizeof(l->id), "%s", id);
			l->fd = -1;
			pthread_mutex_init(&l->wlock, NULL);
		}
		bool connect = false;
		if (i < nlinks && token[0]) {
			struct link *l = &links[i];
			l->listed = true;
			l->seen = round;
			snprintf(l->runtimes, sizeof(l->runtimes), ",%s,", hfield(h, "runtimes"));
			if (l->fd < 0)
				l->draining = draining;
			/* A runner that restarted has a new token: the old link is dead or about to be. */
			connect = l->fd < 0 || strcmp(l->token, token) != 0 || strcmp(l->addr, addr) != 0;
			if (connect && l->fd >= 0)
				shutdown(l->fd, SHUT_RDWR);
			memcpy(l->addr, addr, sizeof(l->addr));
			snprintf(l->token, sizeof(l->token), "%s", token);
		}
		pthread_mutex_unlock(&links_lock);
		freeReplyObject(h);
		if (connect && !draining)
			connect_link(i, addr, token);
	}
	freeReplyObject(ids);
	/* Only now: a request meanwhile still sees the runners of the last look. */
	pthread_mutex_lock(&links_lock);
	for (int i = 0; i < nlinks; i++) {
		links[i].listed = links[i].seen == round;
		/* Gone from the registry (no heartbeat for 15 s: a frozen or lost host): its callers hear it now. */
		if (!links[i].listed && links[i].fd >= 0)
			shutdown(links[i].fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&links_lock);
}

static bool overdue(const struct pending *p, const void *arg)
{
	return p->deadline_mono <= *(const int64_t *)arg;
}

static void *registry_main(void *arg)
{
	(void)arg;
	struct rds *rds = rds_open(&A->rdc);
	int64_t last_refresh = 0;

	for (;;) {
		if (mono_ms() - last_refresh >= LINK_REFRESH_MS) {
			refresh(rds);
			last_refresh = mono_ms();
		}
		launch_unsent();
		int64_t now = mono_ms();
		for (struct pending *p = pending_take_all(overdue, &now), *next; p; p = next) {
			next = p->next;
			log_fields(TFLOG_WARN, "no runner answered in time", "requestId", p->j.request_id, "traceId",
			           p->r->trace_id, NULL);
			fail(p, true, "No runner answered in time; try again");
		}
		nanosleep(&(struct timespec){ 0, SWEEP_EVERY_MS * 1000000L }, NULL);
	}
	return NULL;
}

void runlink_start(const struct app *app)
{
	A = app;
	if (gethostname(my_host, sizeof(my_host)) != 0)
		snprintf(my_host, sizeof(my_host), "localhost");
	cleanup_rds = rds_open(&app->rdc);
	pthread_t t;
	if (pthread_create(&t, NULL, registry_main, NULL) != 0)
		fatal("cannot start the runner links");
	pthread_detach(t);
}
