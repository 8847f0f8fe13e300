/*
 * One instance's life: boot the sandbox, check the interpreter is the one the
 * runtime names, load the handler once, then serve invocations one at a time.
 * Whatever the instance does, the worker stays in charge: reads and writes wait
 * in poll() against the invocation's deadline, frames are bounded, and an
 * instance that times out, crashes or breaks the protocol is killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "ids.h"
#include "strfmt.h"
#include "jsonx.h"
#include "textsafe.h"
#include "log.h"
#include "timefmt.h"
#include "worker.h"
#include "xalloc.h"

#define EXIT_GRACE_MS 200   /* for an exiting runtime to be reaped with its own status */
#define MAX_SANDBOX_PIDS 256
#define TF_FRAME_KEEP 65536  /* the frame buffer an idle instance keeps */

enum wait_kind { W_FRAME, W_TIMEOUT, W_EOF, W_OVERFLOW };

void log_lines_free(struct log_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].message);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void log_push(struct log_lines *l, const char *level, const char *p, size_t n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = (struct log_line){ now_ms(), level, xstrndup(p, n) };
	l->bytes += n;
}

/* A line as the function wrote it, any bytes: stored as valid UTF-8 (textsafe.h). */
static void log_add(struct log_lines *l, const char *level, const char *p, size_t n)
{
	if (l->bytes + n > TF_MAX_LOG_BYTES) {
		l->dropped_bytes += n;
		return;
	}
	if (utf8_valid(p, n) && memchr(p, '\0', n) == NULL) {
		log_push(l, level, p, n);
		return;
	}
	char *t = text_bounded(p, n, TF_MAX_LOG_LINE);
	log_push(l, level, t, strlen(t));
	free(t);
}

#define STDERR_MARK '\x1e'  /* the bootstraps start every stderr line with it */

static void log_line(struct log_lines *logs, const struct buf *line)
{
	if (line->len > 0 && line->data[0] == STDERR_MARK)
		log_add(logs, "ERROR", line->data + 1, line->len - 1);
	else
		log_add(logs, "INFO", line->data, line->len);
}

/*
 * Moves the lines the log pipe holds into the logs: all of them up to EAGAIN or end
 * of file with drain, else what a poll announced. Returns 1 at end of file.
 */
static int pump_output(struct instance *in, struct log_lines *logs, bool drain)
{
	bool full;
	int rc;

	/* A fill that stopped at the bound left the rest in the pipe: read on until one does not. */
	do {
		rc = in->out_fd < 0 ? 1 : drain ? linebuf_fill(&in->out, in->out_fd) : linebuf_read(&in->out, in->out_fd, false);
		full = in->out.b.len >= in->out.max;
		while (linebuf_next(&in->out, &in->line))
			log_line(logs, &in->line);
	} while (rc == 0 && full);
	if (rc != 0 && linebuf_rest(&in->out, &in->line))
		log_line(logs, &in->line);
	return rc != 0;
}

/*
 * Waits for the next control frame, moving stdout and stderr into the logs
 * meanwhile, until the frame, the deadline, the end of the control pipe, or
 * a frame over the size bound.
 *
 * *logs_taken says whether every log byte written before the frame is in the logs
 * already. The bootstraps write a frame only once the logs before it are in their
 * pipe, and poll(2) looks at the log pipe after the control pipe: a poll that saw
 * the frame and found the log pipe empty, or was followed by a read of it, leaves
 * nothing of those logs behind, and no further read is needed to find them.
 */
static enum wait_kind wait_frame(struct instance *in, int64_t deadline, struct log_lines *logs,
                                 struct buf *frame, bool *logs_taken)
{
	bool out_open = true;

	*logs_taken = false;
	for (;;) {
		if (linebuf_next(&in->ctl, frame))
			return in->ctl.overflow ? W_OVERFLOW : W_FRAME;
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return W_TIMEOUT;
		struct pollfd p[2] = {
			{ .fd = in->ctl_out, .events = POLLIN },
			{ .fd = out_open ? in->out_fd : -1, .events = POLLIN },
		};
		int n = poll(p, 2, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno != EINTR)
			return W_EOF;
		if (n <= 0)
			continue;
		if (p[1].revents && pump_output(in, logs, false))
			out_open = false;
		if (p[0].revents) {
			int rc = linebuf_read(&in->ctl, in->ctl_out, false);
			if (rc != 0 && !linebuf_next(&in->ctl, frame))
				return W_EOF;
			if (rc != 0)
				return in->ctl.overflow ? W_OVERFLOW : W_FRAME;
			if (linebuf_next(&in->ctl, frame)) {
				*logs_taken = true;
				return in->ctl.overflow ? W_OVERFLOW : W_FRAME;
			}
		}
	}
}

/* Takes everything already written to stdout and stderr, without waiting. */
static void drain_output(struct instance *in, struct log_lines *logs)
{
	pump_output(in, logs, true);
}

/* Reaps the sandbox; its exit status when it ended by itself, -1 when it had to be killed. */
static int reap(struct instance *in, bool kill_first)
{
	int status = 0;

	if (in->pid <= 0)
		return -1;
	if (!kill_first) {
		for (int i = 0; i < EXIT_GRACE_MS / 5; i++) {
			if (waitpid(in->pid, &status, WNOHANG) == in->pid) {
				in->pid = 0;
				return status;
			}
			nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
		}
	}
	kill(in->pid, SIGKILL);
	while (waitpid(in->pid, &status, 0) < 0 && errno == EINTR)
		;
	in->pid = 0;
	return -1;
}

/* The parent of a process, from /proc (its name may hold spaces and parentheses). */
static pid_t parent_of(pid_t pid)
{
	char path[64], text[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	char *close = strrchr(text, ')');
	int ppid = -1;
	if (close == NULL || sscanf(close + 1, " %*c %d", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

/*
 * Finds the sandbox's init (bubblewrap's child) and the interpreter (init's child)
 * among the instance's processes, right after boot when those are all there are.
 */
static void find_runtime(struct instance *in)
{
	pid_t pids[MAX_SANDBOX_PIDS];
	int n = cgroup_pids(&in->cg, pids, MAX_SANDBOX_PIDS);

	in->init_pid = in->runtime_pid = 0;
	for (int i = 0; i < n; i++)
		if (parent_of(pids[i]) == in->pid)
			in->init_pid = pids[i];
	for (int i = 0; i < n && in->init_pid; i++)
		if (parent_of(pids[i]) == in->init_pid)
			in->runtime_pid = pids[i];
	if (in->runtime_pid) {
		/* Bound to that process: once it is gone, it shows no threads rather than another's. */
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task", (int)in->runtime_pid);
		in->runtime_task_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
}

/*
 * The interpreter's threads now, or -1: procfs gives its task directory a link count
 * of 2 plus the threads (proc_task_getattr), which one fstat(2) reads.
 */
static long runtime_threads(const struct instance *in)
{
	struct stat st;

	if (in->runtime_task_fd < 0 || fstat(in->runtime_task_fd, &st) != 0 || st.st_nlink <= 2)
		return -1;
	return (long)st.st_nlink - 2;
}

/*
 * Nothing a function starts outlives its invocation. Processes beyond bubblewrap,
 * its init and the interpreter (the double-forked ones are init's children) mean
 * the function spawned some; killing them alone would leave zombies the runtime
 * never reaps, holding the pids cap. So the whole instance goes, and the next
 * invocation starts clean. Returns whether it did.
 */
static bool ends_with_leftovers(struct instance *in)
{
	pid_t pids[MAX_SANDBOX_PIDS];
	long long tasks, most;

	/*
	 * Listing them costs a path walk and a pid list the kernel builds and sorts; three
	 * reads of figures kept open decide the usual case. The interpreter's thread count
	 * is read before the cgroup's task count and its all-time peak. The peak is at
	 * least what the cgroup held when the threads were counted, so a peak of
	 * bubblewrap, its init (one task each) and those threads proves nothing else was
	 * there then; the count now, equal to it, covers the peak's imprecision (tasks
	 * starting at the same moment can leave it short). An instance whose function ever
	 * ran a process, or a thread it has since ended, keeps a higher peak and is
	 * listed every time.
	 */
	long threads = runtime_threads(in);
	if (threads > 0 && cgroup_tasks(&in->cg, &tasks, &most) == 0 && tasks == threads + 2 && most == tasks)
		return false;
	int n = cgroup_pids(&in->cg, pids, MAX_SANDBOX_PIDS);

	for (int i = 0; i < n; i++) {
		if (pids[i] != in->pid && pids[i] != in->init_pid && pids[i] != in->runtime_pid) {
			instance_stop(in);
			return true;
		}
	}
	return false;
}

/* The task directory of a spare: its own, bound read-only at /var/task before any code is in it. */
static int task_dir_of(const struct instance *in, char *out, size_t n)
{
	return strfmt(out, n, "%s/task/%d", W.dir, in->slot);
}

bool instance_usable(struct instance *in)
{
	struct pollfd p = { .fd = in->ctl_out, .events = POLLIN };

	/*
	 * Between invocations the control pipe is silent: a hang-up means the runtime
	 * ended after its last answer, and anything to read broke the protocol.
	 */
	return in->live && in->ctl_out >= 0 && poll(&p, 1, 0) == 0;
}

void instance_stop(struct instance *in)
{
	if (in->pid > 0)
		reap(in, true);
	int fds[3] = { in->ctl_in, in->ctl_out, in->out_fd };
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	in->ctl_in = in->ctl_out = in->out_fd = -1;
	if (in->runtime_task_fd >= 0)
		close(in->runtime_task_fd);
	in->runtime_task_fd = -1;
	cgroup_destroy(&in->cg);
	linebuf_free(&in->ctl);
	linebuf_free(&in->out);
	buf_free(&in->frame);
	buf_free(&in->line);
	if (in->staged) {
		char dir[PATH_MAX];
		if (task_dir_of(in, dir, sizeof(dir)) == 0)
			remove_tree(dir);
		in->staged = false;
	}
	in->live = false;
	in->key[0] = '\0';
	in->label[0] = '\0';
	in->code_sha[0] = '\0';
}

static void fail(struct outcome *oc, enum outcome_status st, const char *type, const char *fmt, ...)
	TF_PRINTF(4, 5);

static void fail(struct outcome *oc, enum outcome_status st, const char *type, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	oc->status = st;
	json_object_put(oc->error);
	oc->error = lambda_error(type, msg);
}

/* The runtime ended on its own: out of memory, or an exit. The instance is gone. */
static void runtime_ended(struct instance *in, const struct job *j, struct outcome *oc)
{
	bool oom = cgroup_oom_killed(&in->cg);
	int status = reap(in, false);

	if (oom)
		fail(oc, OUTCOME_OUT_OF_MEMORY, "Runtime.OutOfMemory",
		     "Runtime exited: out of memory (memorySize %d MB)", j->memory_mb);
	else if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) > 128)
		fail(oc, OUTCOME_CRASHED, "Runtime.ExitError", "Runtime exited with error: signal %d",
		     WEXITSTATUS(status) - 128);
	else if (status >= 0 && WIFEXITED(status))
		fail(oc, OUTCOME_CRASHED, "Runtime.ExitError", "Runtime exited with error: exit status %d",
		     WEXITSTATUS(status));
	else
		fail(oc, OUTCOME_CRASHED, "Runtime.ExitError", "Runtime exited without answering");
	instance_stop(in);
}

/*
 * A frame of the runtime's, parsed. The function runs in the same process as the
 * bootstrap and can write any bytes to the frame pipe: text that is not UTF-8 is
 * repaired first, so that nothing taken from it is unstorable or unshowable.
 */
static json_object *parse_frame(const struct buf *frame)
{
	char why[64];

	if (utf8_valid(frame->data, frame->len))
		return json_parse_text(frame->data, frame->len, why, sizeof(why));
	struct buf fixed = BUF_INIT;
	utf8_repair(&fixed, frame->data, frame->len);
	json_object *f = json_parse_text(fixed.data ? fixed.data : "", fixed.len, why, sizeof(why));
	buf_free(&fixed);
	return f;
}

static int send_frame(struct instance *in, const char *text, size_t len, int64_t deadline)
{
	return frame_write_all(in->ctl_in, text, len, deadline);
}

int instance_boot(struct instance *in, const struct runtime_def *rt, const char *task_dir,
                  int memory_mb, char *version, size_t vsz)
{
	struct buf frame = BUF_INIT;
	struct log_lines discard = { 0 };
	int rc = -1;

	in->rt = rt;
	in->ctl_in = in->ctl_out = in->out_fd = in->runtime_task_fd = -1;
	linebuf_init(&in->ctl, TF_MAX_FRAME);
	linebuf_init(&in->out, TF_MAX_LOG_LINE);
	in->live = true;
	in->memory_mb = memory_mb;
	if (cgroup_create(&in->cg, in->slot, memory_mb) != 0 || sandbox_spawn(in, task_dir) != 0)
		goto out;
	int64_t deadline = mono_ms() + TF_INIT_TIMEOUT_MS;
	bool taken;
	if (wait_frame(in, deadline, &discard, &frame, &taken) != W_FRAME)
		goto out;
	char why[64];
	json_object *boot = json_parse_text(frame.data, frame.len, why, sizeof(why));
	const char *v = jstr(boot, "runtimeVersion");
	const char *type = jstr(boot, "type");
	if (type && strcmp(type, "boot") == 0 && v)
		snprintf(version, vsz, "%s", v);
	json_object_put(boot);
	if (version[0] == '\0' || strncmp(version, rt->info->version_prefix, strlen(rt->info->version_prefix)) != 0) {
		log_error("runtime %s booted as \"%s\", refusing it", rt->info->id, version);
		goto out;
	}
	find_runtime(in);
	rc = 0;
out:
	if (rc != 0) {
		/* What the runtime printed while failing to boot is worth an operator's eyes. */
		drain_output(in, &discard);
		for (size_t i = 0; i < discard.n; i++)
			log_warn("%s boot: %s", rt->info->id, discard.v[i].message);
		instance_stop(in);
	}
	log_lines_free(&discard);
	buf_free(&frame);
	return rc;
}

static void stream_name(const struct job *j, char *out, size_t n)
{
	char day[16], id[16];
	utc_day(now_ms(), day, sizeof(day));
	random_id(id, sizeof(id), "", 12);
	snprintf(out, n, "%.4s-%.2s-%.2s/%s-%s", day, day + 4, day + 6, j->function_name, id);
}

/* Sends the load frame and waits for the handler to be ready; the instance is stopped on failure. */
static int load(struct instance *in, const struct job *j, struct outcome *oc, struct log_lines *logs)
{
	char stream[160], group[160], ver[16];
	struct buf frame = BUF_INIT;
	int rc = -1;

	stream_name(j, stream, sizeof(stream));
	snprintf(in->log_stream, sizeof(in->log_stream), "%s", stream);
	snprintf(group, sizeof(group), "/tf/%s/%s", j->tenant, j->function_name);
	snprintf(ver, sizeof(ver), "%d", j->version);
	json_object *load = json_object_new_object();
	jadd_str(load, "type", "load");
	jadd_str(load, "handler", j->handler);
	json_object_object_add(load, "env", json_object_get(j->env));
	jadd_str(load, "functionName", j->function_name);
	jadd_str(load, "functionVersion", ver);
	jadd_int(load, "memoryLimitInMB", j->memory_mb);
	jadd_str(load, "logGroupName", group);
	jadd_str(load, "logStreamName", stream);
	char *text = xasprintf("%s\n", json_text(load));
	json_object_put(load);
	int64_t deadline = mono_ms() + TF_INIT_TIMEOUT_MS;
	int sent = send_frame(in, text, strlen(text), deadline);
	free(text);
	bool taken;
	enum wait_kind w = sent == 0 ? wait_frame(in, deadline, logs, &frame, &taken) : W_EOF;
	if (w == W_TIMEOUT) {
		fail(oc, OUTCOME_TIMEOUT, "Sandbox.Timedout", "Init timed out after %d.00 seconds", TF_INIT_TIMEOUT_MS / 1000);
		instance_stop(in);
		goto out;
	}
	if (w == W_EOF) {
		runtime_ended(in, j, oc);
		goto out;
	}
	json_object *f = w == W_FRAME ? parse_frame(&frame) : NULL;
	const char *type = jstr(f, "type");
	if (type && strcmp(type, "ready") == 0) {
		rc = 0;
	} else if (type && strcmp(type, "error") == 0 && json_object_is_type(jget(f, "error"), json_type_object)) {
		oc->status = OUTCOME_FUNCTION_ERROR;
		oc->error = error_bounded(jget(f, "error"));
		drain_output(in, logs);
		instance_stop(in);
	} else {
		fail(oc, OUTCOME_CRASHED, "Runtime.InvalidResponse", "The runtime broke the protocol while loading");
		instance_stop(in);
	}
	json_object_put(f);
out:
	buf_free(&frame);
	return rc;
}

int instance_start(struct instance *in, const struct job *j, const struct runtime_def *rt,
                   const char *code_dir, struct outcome *oc, struct log_lines *logs)
{
	char version[32] = "";
	double t0 = mono_ms_f();
	int rc = -1;

	if (instance_boot(in, rt, code_dir, j->memory_mb, version, sizeof(version)) != 0)
		fail(oc, OUTCOME_PLATFORM_ERROR, "Runtime.Unavailable", "The %s runtime did not start", j->runtime);
	else
		rc = load(in, j, oc, logs);
	oc->init_ms = mono_ms_f() - t0;
	return rc;
}

int instance_prestart(struct instance *in, const struct runtime_def *rt)
{
	char dir[PATH_MAX], version[32] = "";

	if (task_dir_of(in, dir, sizeof(dir)) != 0)
		return -1;
	remove_tree(dir);
	if (mkdir(dir, 0755) != 0) {
		log_error("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	in->staged = true;  /* from here instance_stop empties it, a failed boot's included */
	if (instance_boot(in, rt, dir, TF_MIN_MEMORY_MB, version, sizeof(version)) != 0)
		return -1;
	in->last_used_ms = mono_ms();
	return 0;
}

int instance_adopt(struct instance *in, const struct job *j, const char *code_dir, struct outcome *oc,
                   struct log_lines *logs)
{
	char dir[PATH_MAX];
	double t0 = mono_ms_f();
	int rc = -1;

	/* Only the job's own code goes in; the sandbox sees it appear under /var/task. */
	if (task_dir_of(in, dir, sizeof(dir)) != 0 || codecache_link(code_dir, dir) != 0) {
		fail(oc, OUTCOME_PLATFORM_ERROR, "Runtime.Unavailable", "The function's code could not be staged");
		instance_stop(in);
	} else if (j->memory_mb != in->memory_mb && cgroup_set_memory(&in->cg, j->memory_mb) != 0) {
		fail(oc, OUTCOME_PLATFORM_ERROR, "Runtime.Unavailable", "The instance's memory could not be sized");
		instance_stop(in);
	} else {
		in->memory_mb = j->memory_mb;
		rc = load(in, j, oc, logs);
	}
	oc->init_ms = mono_ms_f() - t0;
	return rc;
}

/*
 * Sends the invoke frame: its head, then the event as the JSON text it already is,
 * then its end, in one write and without copying the event.
 */
static int send_invoke(struct instance *in, const struct job *j, int64_t deadline_ms, int64_t deadline)
{
	struct buf *b = &in->frame;  /* free until the answer comes into it */
	char arn[256];

	buf_reset(b);
	buf_puts(b, "{\"type\":\"invoke\",\"requestId\":");
	buf_json_string(b, j->request_id, strlen(j->request_id));
	buf_printf(b, ",\"deadlineMs\":%lld,\"invokedFunctionArn\":", (long long)deadline_ms);
	snprintf(arn, sizeof(arn), "tf:%s:function:%s:%d", j->tenant, j->function_name, j->version);
	buf_json_string(b, arn, strlen(arn));
	buf_puts(b, ",\"event\":");
	const char *event = j->payload ? j->payload : "null";
	struct iovec iov[3] = {
		{ b->data, b->len },
		{ (void *)event, strlen(event) },
		{ (void *)"}\n", 2 },
	};
	return frame_writev_all(in->ctl_in, iov, 3, deadline);
}

/* Reads a result or error frame of this invocation into the outcome. */
static void take_answer(struct instance *in, const struct job *j, const struct buf *frame,
                        struct outcome *oc)
{
	json_object *f = parse_frame(frame);
	const char *type = jstr(f, "type"), *rid = jstr(f, "requestId");

	if (f == NULL || type == NULL || rid == NULL || strcmp(rid, j->request_id) != 0) {
		fail(oc, OUTCOME_CRASHED, "Runtime.InvalidResponse", "The runtime sent an invalid frame");
		instance_stop(in);
	} else if (strcmp(type, "result") == 0) {
		json_object *res = jget(f, "result");
		const char *text = res ? json_text(res) : "null";
		if (strlen(text) > TF_MAX_RESPONSE) {
			fail(oc, OUTCOME_FUNCTION_ERROR, "Function.ResponseSizeTooLarge",
			     "Response payload size exceeded maximum allowed payload size (%ld bytes).", TF_MAX_RESPONSE);
		} else {
			oc->status = OUTCOME_SUCCEEDED;
			oc->result = xstrdup(text);
		}
	} else if (strcmp(type, "error") == 0 && json_object_is_type(jget(f, "error"), json_type_object)) {
		oc->status = OUTCOME_FUNCTION_ERROR;
		oc->error = error_bounded(jget(f, "error"));
	} else {
		fail(oc, OUTCOME_CRASHED, "Runtime.InvalidResponse", "The runtime sent an unknown frame");
		instance_stop(in);
	}
	json_object_put(f);
}

void instance_invoke(struct instance *in, const struct job *j, struct outcome *oc,
                     struct log_lines *logs)
{
	struct buf *frame = &in->frame;
	int64_t deadline = mono_ms() + (int64_t)j->timeout_s * 1000;
	double t0 = mono_ms_f();
	bool logs_taken = false;

	snprintf(oc->log_stream, sizeof(oc->log_stream), "%s", in->log_stream);
	/*
	 * Output left over from between invocations belongs to no one else: the wait
	 * below reads it with this invocation's.
	 */
	enum wait_kind w = send_invoke(in, j, now_ms() + (int64_t)j->timeout_s * 1000, deadline) == 0
	                       ? wait_frame(in, deadline, logs, frame, &logs_taken)
	                       : (mono_ms() >= deadline ? W_TIMEOUT : W_EOF);
	oc->duration_ms = mono_ms_f() - t0;
	/* Read before a failing instance is stopped and its cgroup removed. */
	long long peak = cgroup_peak_bytes(&in->cg);
	switch (w) {
	case W_FRAME:
		if (!logs_taken)
			drain_output(in, logs);
		take_answer(in, j, frame, oc);
		break;
	case W_TIMEOUT:
		fail(oc, OUTCOME_TIMEOUT, "Sandbox.Timedout", "Task timed out after %d.00 seconds", j->timeout_s);
		drain_output(in, logs);
		instance_stop(in);
		break;
	case W_EOF:
		drain_output(in, logs);
		runtime_ended(in, j, oc);
		break;
	case W_OVERFLOW:
		fail(oc, OUTCOME_FUNCTION_ERROR, "Function.ResponseSizeTooLarge",
		     "Response payload size exceeded maximum allowed payload size (%ld bytes).", TF_MAX_RESPONSE);
		instance_stop(in);
		break;
	}
	oc->memory_used_mb = peak > 0 ? (int)((peak + 1024 * 1024 - 1) / (1024 * 1024)) : 0;
	oc->billed_ms = billed_ms_of(oc->duration_ms);
	if (logs->dropped_bytes) {
		char note[128];
		int n = snprintf(note, sizeof(note), "[%zu bytes of log output over the %ld KiB limit were dropped]",
		                 logs->dropped_bytes, TF_MAX_LOG_BYTES / TF_KIB);
		log_push(logs, "ERROR", note, (size_t)n);
	}
	if (in->live && in->runtime_pid)
		ends_with_leftovers(in);
	in->invocations++;
	/* Kept for the next invocation, unless a large frame made it large. */
	if (frame->cap > TF_FRAME_KEEP)
		buf_free(frame);
}
