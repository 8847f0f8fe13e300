/*
 * An instance's sandbox: one bubblewrap process with every namespace unshared
 * (so no network but its own loopback), a cleared environment, the runtime,
 * the bootstrap and the function code bound read-only, a private size-capped
 * /tmp, a fresh /proc and a minimal /dev, under the seccomp filter. It runs as an
 * unprivileged host uid of its own, inside the instance's cgroup, with rlimits set.
 *
 * Everything is prepared before fork(); the child only calls async-signal-safe
 * functions (a forked copy of a threaded process must not take locks).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

#define BWRAP "/usr/bin/bwrap"
#define MAX_ARGS 64
#define CHILD_FD_BASE 10  /* pipe ends are moved above the fds they are dup'ed onto */

struct argv_builder {
	const char *v[MAX_ARGS + 1];
	int n;
};

static void arg(struct argv_builder *a, const char *s)
{
	if (a->n < MAX_ARGS)
		a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

#define SECCOMP_FD 5  /* where the child finds the filter bubblewrap loads */
#define SHM_BYTES "16777216"  /* /dev/shm: semaphores and small shared buffers (Lambda has none) */

/*
 * Node.js running Pyodide: these keep an instance inside the smallest memory size
 * (TF_MIN_MEMORY_MB), where the defaults take 140 MB of anonymous memory and it
 * needs 90. WebAssembly is compiled by the baseline compiler only (the optimizing
 * tier adds ~45 MB; Python runs ~1.4x slower without it); the young generation
 * and heap growth are kept small (docs/runtimes.md has the figures).
 */
static const char *const pyodide_node_flags[] = { "--liftoff-only", "--optimize-for-size", "--max-semi-space-size=1" };

/*
 * Writable memory inside is bounded: /tmp at [sandbox] tmp_mb, /dev/shm small, and
 * the root and /dev (tmpfs of bubblewrap's own, of no size) made read-only once
 * everything is mounted on them. Each tmpfs page is charged to the instance's
 * memory cgroup when written, so filling them ends in the function's own ENOSPC or
 * out-of-memory, never the host's.
 */
static void build_argv(struct argv_builder *a, const struct runtime_def *rt, const char *task_dir,
                       const char *tmp_size)
{
	arg(a, BWRAP);
	arg(a, "--unshare-all");
	arg(a, "--unshare-user");  /* named, not implied, so that --disable-userns is accepted */
	arg(a, "--die-with-parent");
	arg(a, "--new-session");
	arg(a, "--disable-userns");
	arg(a, "--clearenv");
	arg(a, "--hostname"), arg(a, "tf");
	arg(a, "--ro-bind"), arg(a, "/usr"), arg(a, "/usr");
	arg(a, "--symlink"), arg(a, "usr/lib"), arg(a, "/lib");
	arg(a, "--symlink"), arg(a, "usr/lib64"), arg(a, "/lib64");
	arg(a, "--symlink"), arg(a, "usr/bin"), arg(a, "/bin");
	if (rt->bind_dir[0])
		arg(a, "--ro-bind"), arg(a, rt->bind_src), arg(a, rt->bind_dir);
	if (rt->pyodide[0])
		arg(a, "--ro-bind"), arg(a, rt->pyodide), arg(a, rt->pyodide);
	arg(a, "--ro-bind"), arg(a, W.bootstrap_dir), arg(a, "/opt/tf");
	arg(a, "--ro-bind"), arg(a, task_dir), arg(a, "/var/task");
	arg(a, "--size"), arg(a, tmp_size), arg(a, "--tmpfs"), arg(a, "/tmp");
	arg(a, "--proc"), arg(a, "/proc");
	arg(a, "--dev"), arg(a, "/dev");
	arg(a, "--size"), arg(a, SHM_BYTES), arg(a, "--tmpfs"), arg(a, "/dev/shm");
	arg(a, "--remount-ro"), arg(a, "/dev");
	arg(a, "--remount-ro"), arg(a, "/");
	arg(a, "--chdir"), arg(a, "/var/task");
	arg(a, "--seccomp"), arg(a, "5");  /* SECCOMP_FD */
	arg(a, rt->interpreter);
	if (rt->pyodide[0]) {
		for (size_t i = 0; i < TF_ARRAY_LEN(pyodide_node_flags); i++)
			arg(a, pyodide_node_flags[i]);
		arg(a, "/opt/tf/pyodide/bootstrap.js");
		arg(a, rt->pyodide);
	} else if (rt->info->lang == TF_LANG_PYTHON) {
		/* Isolated (no PYTHON* variables, no user site) and no site packages. */
		arg(a, "-I");
		arg(a, "-S");
		arg(a, "/opt/tf/python/bootstrap.py");
	} else {
		arg(a, "/opt/tf/node/bootstrap.js");
	}
}

/* Joins the instance's cgroups: the kernel reads "0" in cgroup.procs as "the writer". */
static void child_join(const int *cg_fds)
{
	for (int i = 0; cg_fds[i] >= 0; i++)
		if (write(cg_fds[i], "0", 1) != 1)
			_exit(126);
}

static TF_NORETURN void child(const struct instance *in, int fds[6], const int *cg_fds,
                              const char *const *argv, rlim_t fsize)
{
	static char *const empty_env[] = { NULL };
	uid_t uid = W.uid_base + (uid_t)in->slot;
	/*
	 * Backstops behind the cgroup: the sandbox's uid is its own, so RLIMIT_NPROC
	 * counts exactly its processes and threads; no file it writes outgrows /tmp.
	 */
	struct rlimit core = { 0, 0 }, nofile = { TF_INSTANCE_NOFILE, TF_INSTANCE_NOFILE },
	              fsz = { fsize, fsize }, nproc = { TF_INSTANCE_PIDS_MAX, TF_INSTANCE_PIDS_MAX };

	child_join(cg_fds);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setrlimit(RLIMIT_CORE, &core) != 0 || setrlimit(RLIMIT_NOFILE, &nofile) != 0 ||
	    setrlimit(RLIMIT_FSIZE, &fsz) != 0 || setrlimit(RLIMIT_NPROC, &nproc) != 0)
		_exit(126);
	/* 0 /dev/null, 1 and 2 the log pipe, 3 frames in, 4 frames out, 5 the seccomp filter. */
	int high[6];
	for (int i = 0; i < 6; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD, CHILD_FD_BASE)) < 0)
			_exit(126);
	for (int i = 0; i < 6; i++)
		if (dup2(high[i], i) != i)
			_exit(126);
	if (close_range(SECCOMP_FD + 1, ~0U, 0) != 0)
		_exit(126);
	if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid(uid) != 0)
		_exit(126);
	execve(BWRAP, (char *const *)argv, empty_env);
	_exit(127);
}

static int pipe_pair(int p[2])
{
	return pipe2(p, O_CLOEXEC);
}

int sandbox_spawn(struct instance *in, const char *task_dir)
{
	struct argv_builder a = { .n = 0 };
	char tmp_size[32];
	int devnull = -1, p_in[2] = { -1, -1 }, p_ctl[2] = { -1, -1 }, p_out[2] = { -1, -1 },
	    cg_fds[4] = { -1, -1, -1, -1 }, filter = -1;
	int rc = -1;

	snprintf(tmp_size, sizeof(tmp_size), "%lld", (long long)W.tmp_mb * 1024 * 1024);
	build_argv(&a, in->rt, task_dir, tmp_size);
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || pipe_pair(p_in) != 0 ||
	    pipe_pair(p_ctl) != 0 || pipe_pair(p_out) != 0) {
		log_error("sandbox pipes: %s", strerror(errno));
		goto out;
	}
	/* Without its filter a sandbox does not start: the filter is a wall, not an option. */
	if ((filter = seccomp_program_fd()) < 0) {
		log_error("no seccomp filter for instance %d", in->slot);
		goto out;
	}
	if (cgroup_join_fds(&in->cg, cg_fds) != 0) {
		log_error("cannot open the cgroup of instance %d: %s", in->slot, strerror(errno));
		goto out;
	}
	/*
	 * stdout and stderr share one pipe, so lines keep the order they were written
	 * in; the bootstraps mark stderr lines (docs/runtime-protocol.md).
	 */
	int child_fds[6] = { devnull, p_out[1], p_out[1], p_in[0], p_ctl[1], filter };
	pid_t pid = fork();
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(in, child_fds, cg_fds, a.v, (rlim_t)W.tmp_mb * 1024 * 1024);

	in->pid = pid;
	in->ctl_in = p_in[1], p_in[1] = -1;
	in->ctl_out = p_ctl[0], p_ctl[0] = -1;
	in->out_fd = p_out[0], p_out[0] = -1;
	/* The worker never blocks on an instance: every read and write waits in poll. */
	int mine[3] = { in->ctl_in, in->ctl_out, in->out_fd };
	for (int i = 0; i < 3; i++)
		fcntl(mine[i], F_SETFL, fcntl(mine[i], F_GETFL) | O_NONBLOCK);
	rc = 0;
out:
	{
		int all[] = { devnull, p_in[0], p_in[1], p_ctl[0], p_ctl[1], p_out[0], p_out[1],
		              cg_fds[0], cg_fds[1], cg_fds[2], filter };
		for (size_t i = 0; i < TF_ARRAY_LEN(all); i++)
			if (all[i] >= 0)
				close(all[i]);
	}
	return rc;
}
