/*
 * The runner's end of the runner links (docs/invocation-path.md): tf-api
 * processes connect here, on a unix socket for those on this host and TCP for
 * the others, prove they read this runner's token from the registry, and send
 * synchronous jobs; the dispatchers take them from one queue in memory and
 * answer each on the connection it came from. Every few hundred milliseconds,
 * and at once when it begins to drain, the runner tells every link how busy it
 * is and which versions it holds idle and warm, so that tf-api sends a
 * version's next invocation where an instance of it waits.
 */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ids.h"
#include "jsonx.h"
#include "link.h"
#include "log.h"
#include "timefmt.h"
#include "worker.h"
#include "xalloc.h"

#define LINK_BACKLOG 128
#define LINK_WRITE_MS 2000       /* an answer a tf-api does not read within this is dropped with its link */
#define LINK_CONNS_MAX 256       /* tf-api processes at once; more are refused */
#define LINK_HELLO_S 5           /* a new link must say the token within this */

/* One connected tf-api process. */
struct lconn {
	int fd;
	pthread_mutex_t wlock;  /* one frame at a time */
	int refs;               /* its reader, and each job of it queued or running (under conns_lock) */
	bool ready;             /* said the token: it may be sent state */
	bool dead;
};

struct run_item {
	struct job j;
	struct lconn *from;
	struct run_item *next;
};

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lconn *conns[LINK_CONNS_MAX];

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct run_item *q_head, *q_tail;
static int q_len;
static atomic_int running;  /* jobs taken by dispatchers, not yet answered */

static char token[TF_LINK_TOKEN_LEN + 1];
static int unix_fd = -1, tcp_fd = -1;

const char *link_token(void)
{
	return token;
}

static void conn_put(struct lconn *c)
{
	pthread_mutex_lock(&conns_lock);
	bool last = --c->refs == 0;
	if (last)
		for (int i = 0; i < LINK_CONNS_MAX; i++)
			if (conns[i] == c)
				conns[i] = NULL;
	pthread_mutex_unlock(&conns_lock);
	if (!last)
		return;
	close(c->fd);
	pthread_mutex_destroy(&c->wlock);
	free(c);
}

/* Sends a frame; a link that cannot take it is shut, which its reader sees. */
static void conn_send(struct lconn *c, enum link_frame type, const char *text)
{
	pthread_mutex_lock(&c->wlock);
	if (!c->dead && link_send(c->fd, type, text, strlen(text), mono_ms() + LINK_WRITE_MS) != 0) {
		c->dead = true;
		shutdown(c->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&c->wlock);
}

static char *state_text(void)
{
	int busy = 0;
	json_object *o = json_object_new_object();

	pool_count(&busy);
	pthread_mutex_lock(&q_lock);
	busy += q_len;
	pthread_mutex_unlock(&q_lock);
	jadd_int(o, "busy", busy);
	jadd_int(o, "slots", W.slots);
	jadd_bool(o, "draining", W.draining);
	char *idle = pool_idle_json();
	jadd_raw(o, "idle", idle);
	free(idle);
	char *text = xstrdup(json_text(o));
	json_object_put(o);
	return text;
}

void link_broadcast_state(void)
{
	struct lconn *to[LINK_CONNS_MAX];
	int n = 0;

	pthread_mutex_lock(&conns_lock);
	for (int i = 0; i < LINK_CONNS_MAX; i++)
		if (conns[i] && conns[i]->ready && !conns[i]->dead) {
			conns[i]->refs++;
			to[n++] = conns[i];
		}
	pthread_mutex_unlock(&conns_lock);
	if (n == 0)
		return;
	char *text = state_text();
	for (int i = 0; i < n; i++) {
		conn_send(to[i], LINK_STATE, text);
		conn_put(to[i]);
	}
	free(text);
}

static void refuse(struct lconn *c, const char *request_id, const char *reason)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "requestId", request_id);
	jadd_str(o, "reason", reason);
	conn_send(c, LINK_REFUSED, json_text(o));
	json_object_put(o);
}

static void enqueue(struct lconn *c, struct job *j)
{
	struct run_item *it = xcalloc(1, sizeof(*it));
	it->j = *j;
	it->from = c;
	pthread_mutex_lock(&conns_lock);
	c->refs++;
	pthread_mutex_unlock(&conns_lock);
	pthread_mutex_lock(&q_lock);
	if (q_tail)
		q_tail->next = it;
	else
		q_head = it;
	q_tail = it;
	q_len++;
	pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
}

/* One frame from a tf-api: the token first, then jobs. 0 to go on, -1 to drop the link. */
static int on_frame(struct lconn *c, const char *line, size_t len)
{
	if (len < 2 || line[1] != ' ')
		return -1;
	if (!c->ready) {
		/* Compared whole; the token is random, so its length says nothing. */
		if (line[0] != LINK_HELLO || len - 2 != strlen(token) || memcmp(line + 2, token, len - 2) != 0)
			return -1;
		c->ready = true;
		struct timeval forever = { 0, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &forever, sizeof(forever));
		char *text = state_text();
		conn_send(c, LINK_STATE, text);
		free(text);
		return 0;
	}
	if (line[0] != LINK_JOB)
		return -1;
	struct job j;
	char why[128];
	if (job_from_json(line + 2, len - 2, &j, why, sizeof(why)) != 0) {
		log_error("a malformed job on a runner link: %s", why);
		return -1;
	}
	if (W.draining) {
		/* Nothing new once draining: tf-api sends it to another runner. */
		refuse(c, j.request_id, "draining");
		job_free(&j);
		return 0;
	}
	enqueue(c, &j);
	return 0;
}

static void *reader_main(void *arg)
{
	struct lconn *c = arg;
	struct linebuf lb;
	struct buf line = BUF_INIT;

	linebuf_init(&lb, TF_LINK_MAX_FRAME);
	for (bool open = true; open;) {
		int rc = linebuf_read(&lb, c->fd, true);
		while (open && linebuf_next(&lb, &line))
			open = !lb.overflow && on_frame(c, line.data, line.len) == 0;
		if (rc != 0)
			open = false;
	}
	pthread_mutex_lock(&c->wlock);
	c->dead = true;
	shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&c->wlock);
	buf_free(&line);
	linebuf_free(&lb);
	conn_put(c);
	return NULL;
}

static void accept_one(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct lconn *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->refs = 1;
	pthread_mutex_init(&c->wlock, NULL);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  /* fails harmlessly on a unix socket */
	struct timeval tv = { .tv_sec = LINK_WRITE_MS / 1000, .tv_usec = 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* A connection that does not say the token soon is dropped: it holds a slot and a buffer. */
	struct timeval hello = { .tv_sec = LINK_HELLO_S, .tv_usec = 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &hello, sizeof(hello));
	int slot = -1;
	pthread_mutex_lock(&conns_lock);
	for (int i = 0; i < LINK_CONNS_MAX && slot < 0; i++)
		if (conns[i] == NULL)
			conns[slot = i] = c;
	pthread_mutex_unlock(&conns_lock);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (slot < 0 || pthread_create(&t, &attr, reader_main, c) != 0) {
		log_warn("a runner link was refused: %s", slot < 0 ? "too many links" : "no thread");
		conn_put(c);
	}
	pthread_attr_destroy(&attr);
}

static void *listener_main(void *arg)
{
	(void)arg;
	struct pollfd p[2] = { { .fd = unix_fd, .events = POLLIN }, { .fd = tcp_fd, .events = POLLIN } };

	while (!W.stopping) {
		if (poll(p, 2, 500) <= 0)
			continue;
		for (int i = 0; i < 2; i++)
			if (p[i].revents & POLLIN)
				accept_one(p[i].fd);
	}
	return NULL;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		fatal("worker.link_socket %s is too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	mode_t old = umask(0117);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, LINK_BACKLOG) != 0)
		fatal("cannot listen on %s: %s", path, strerror(errno));
	umask(old);
	/* Open to the group tf-api runs in; the token is the wall behind it. */
	struct group *g = getgrnam(config_str(W.cfg, "worker", "link_group", "taufunctions"));
	if (g && chown(path, (uid_t)-1, g->gr_gid) != 0)
		log_warn("cannot give %s to group %s", path, g->gr_name);
	return fd;
}

/* The TCP listener on [worker] link_host:link_port (0: any free port); the port it got. */
static int listen_tcp(const char *host, int port, int *got)
{
	char service[16];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;

	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(host, service, &hints, &res) != 0)
		fatal("worker.link_host %s does not resolve", host);
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, LINK_BACKLOG) != 0)
		fatal("cannot listen on %s port %d: %s", host, port, strerror(errno));
	freeaddrinfo(res);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*got = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                      : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

void link_start(void)
{
	char def[PATH_MAX + 16];

	random_token(token, sizeof(token), "", TF_LINK_TOKEN_LEN);
	snprintf(def, sizeof(def), "%s/link.sock", W.dir);
	snprintf(W.link_socket, sizeof(W.link_socket), "%s", config_str(W.cfg, "worker", "link_socket", def));
	snprintf(W.link_host, sizeof(W.link_host), "%s", config_str(W.cfg, "worker", "link_host", "127.0.0.1"));
	unix_fd = listen_unix(W.link_socket);
	tcp_fd = listen_tcp(W.link_host, (int)config_int(W.cfg, "worker", "link_port", 0, 0, 65535), &W.link_port);
	pthread_t t;
	if (pthread_create(&t, NULL, listener_main, NULL) != 0)
		fatal("cannot start the runner link listener");
	pthread_detach(t);
	log_info("runner links on %s and %s port %d", W.link_socket, W.link_host, W.link_port);
}

struct run_item *link_take(int wait_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q_lock);
	while (q_head == NULL && pthread_cond_timedwait(&q_cond, &q_lock, &until) == 0)
		;
	struct run_item *it = q_head;
	if (it) {
		q_head = it->next;
		if (q_head == NULL)
			q_tail = NULL;
		q_len--;
		atomic_fetch_add(&running, 1);
	}
	pthread_mutex_unlock(&q_lock);
	return it;
}

struct job *link_job(struct run_item *it)
{
	return &it->j;
}

void link_answer(struct run_item *it, const struct outcome *oc, int idle)
{
	char *text = outcome_to_json(oc);
	struct buf b = BUF_INIT;
	buf_printf(&b, "%d %s", idle, text);
	conn_send(it->from, LINK_OUTCOME, b.data);
	buf_free(&b);
	free(text);
}

void link_refuse(struct run_item *it, const char *reason)
{
	refuse(it->from, it->j.request_id, reason);
}

void link_done(struct run_item *it)
{
	conn_put(it->from);
	job_free(&it->j);
	free(it);
	atomic_fetch_sub(&running, 1);
}

int link_queued(void)
{
	pthread_mutex_lock(&q_lock);
	int n = q_len;
	pthread_mutex_unlock(&q_lock);
	return n;
}

int link_in_flight(void)
{
	pthread_mutex_lock(&q_lock);
	int n = q_len;
	pthread_mutex_unlock(&q_lock);
	return n + atomic_load(&running);
}

void link_stop(void)
{
	if (unix_fd >= 0)
		unlink(W.link_socket);
	pthread_mutex_lock(&conns_lock);
	for (int i = 0; i < LINK_CONNS_MAX; i++)
		if (conns[i])
			shutdown(conns[i]->fd, SHUT_RDWR);
	pthread_mutex_unlock(&conns_lock);
}
