/*
 * Each instance gets its own cgroup: memory capped at the function's
 * memorySize (swap included, or swap would let it past), a pids cap that stops
 * fork bombs, and a CPU weight in proportion to memory. Hosts differ: cgroup v2
 * (one unified tree) or v1 (one tree per controller); which is found at start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "num.h"
#include "strfmt.h"
#include "worker.h"

#define CG_KILL_TRIES 200   /* 5 ms apart: a second for the kernel to reap a box */

static enum cgroup_mode mode = CGROUP_NONE;
static char cg_root[PATH_MAX];  /* where the cgroup file systems are mounted ([sandbox] cgroup_root) */
static char base_v2[PATH_MAX];
static char base_memory[PATH_MAX], base_pids[PATH_MAX], base_cpu[PATH_MAX];

static int write_file(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	if (strfmt(path, sizeof(path), "%s/%s", dir, file) != 0)
		return -1;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

static int read_file(const char *dir, const char *file, char *out, size_t n)
{
	char path[PATH_MAX];
	if (strfmt(path, sizeof(path), "%s/%s", dir, file) != 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t got = read(fd, out, n - 1);
	close(fd);
	if (got < 0)
		return -1;
	out[got] = '\0';
	return 0;
}

/* A figure's file, kept open: each read is then one pread, with no path to walk. */
static int open_figure(const char *dir, const char *file)
{
	char path[PATH_MAX];
	if (strfmt(path, sizeof(path), "%s/%s", dir, file) != 0)
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* A number from a figure's file kept open (the kernel renders it afresh at offset 0). */
static long long pread_number(int fd)
{
	char v[64];
	long long n;
	ssize_t got = fd >= 0 ? pread(fd, v, sizeof(v) - 1, 0) : -1;
	if (got <= 0)
		return -1;
	v[got] = '\0';
	v[strcspn(v, "\n")] = '\0';
	return parse_ll(v, 0, INT64_MAX, &n) == 0 ? n : -1;
}

static void close_figures(struct cgroup *cg)
{
	int *fds[] = { &cg->peak_fd, &cg->tasks_fd, &cg->tasks_peak_fd };
	for (size_t i = 0; i < TF_ARRAY_LEN(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/*
 * Opens the files read after every invocation. One that cannot be opened is read by
 * its path instead (the peak), or not taken as proof (the task counts).
 */
static void open_figures(struct cgroup *cg)
{
	const char *tasks_dir = mode == CGROUP_V1 ? cg->pids : cg->memory;

	cg->peak_fd = open_figure(cg->memory, mode == CGROUP_V1 ? "memory.max_usage_in_bytes" : "memory.peak");
	cg->tasks_fd = open_figure(tasks_dir, "pids.current");
	cg->tasks_peak_fd = open_figure(tasks_dir, "pids.peak");
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	if (strfmt(tmp, sizeof(tmp), "%s", path) != 0)
		return -1;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* The worker's own cgroup path in the v1 hierarchy holding controller. */
static int own_v1_path(const char *controller, char *out, size_t n)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[PATH_MAX + 64];
	int rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c2 = '\0';
		for (char *tok = strtok(c1 + 1, ","); tok; tok = strtok(NULL, ",")) {
			if (strcmp(tok, controller) == 0) {
				c2[1 + strcspn(c2 + 1, "\n")] = '\0';
				snprintf(out, n, "%s", strcmp(c2 + 1, "/") == 0 ? "" : c2 + 1);
				rc = 0;
			}
		}
	}
	fclose(f);
	return rc;
}

/* Kills whatever is still in one cgroup directory and removes it. */
static void kill_and_remove(const char *dir)
{
	char procs[8192];

	if (dir[0] == '\0' || access(dir, F_OK) != 0)
		return;
	for (int i = 0; i < CG_KILL_TRIES; i++) {
		if (read_file(dir, "cgroup.procs", procs, sizeof(procs)) != 0 || procs[0] == '\0')
			break;
		for (char *tok = strtok(procs, "\n"); tok; tok = strtok(NULL, "\n")) {
			long long pid;
			if (parse_ll(tok, 1, INT32_MAX, &pid) == 0)
				kill((pid_t)pid, SIGKILL);
		}
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	if (rmdir(dir) != 0 && errno != ENOENT)
		log_warn("cannot remove cgroup %s: %s", dir, strerror(errno));
}

/* Removes instance cgroups a previous run of this runner left behind. */
static void sweep(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *de;
	char path[PATH_MAX];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != 'i' || strfmt(path, sizeof(path), "%s/%s", base, de->d_name) != 0)
			continue;
		kill_and_remove(path);
	}
	closedir(d);
}

/*
 * Enables each controller on its own in dir's subtree: a host may delegate memory
 * and pids but not cpu, and one write of all three would then enable none.
 * Memory and pids are the walls and must be there; CPU weight is a nicety.
 */
static bool enable_v2(const char *dir)
{
	static const struct { const char *name; bool required; } controllers[] = {
		{ "memory", true }, { "pids", true }, { "cpu", false },
	};
	char want[16];

	for (size_t i = 0; i < TF_ARRAY_LEN(controllers); i++) {
		snprintf(want, sizeof(want), "+%s", controllers[i].name);
		if (write_file(dir, "cgroup.subtree_control", want) == 0)
			continue;
		if (controllers[i].required) {
			log_warn("cgroup v2: cannot enable %s under %s: %s", controllers[i].name, dir, strerror(errno));
			return false;
		}
		log_warn("cgroup v2: no %s controller under %s; instances get no CPU weight", controllers[i].name, dir);
	}
	return true;
}

static bool init_v2(const char *runner)
{
	char top[PATH_MAX];

	/*
	 * Under the v2 root, where processes and enabled controllers may live side
	 * by side; a cgroup of our own would hold our siblings' processes too.
	 */
	if (strfmt(top, sizeof(top), "%s/taufunctions", cg_root) != 0 ||
	    strfmt(base_v2, sizeof(base_v2), "%s/%s", top, runner) != 0 || mkdir_p(base_v2) != 0) {
		log_warn("cgroup v2: cannot create %s: %s", base_v2, strerror(errno));
		return false;
	}
	if (!enable_v2(top) || !enable_v2(base_v2))
		return false;
	sweep(base_v2);
	return true;
}

static bool init_v1_controller(const char *controller, const char *runner, char *base, size_t n)
{
	char own[PATH_MAX];

	if (own_v1_path(controller, own, sizeof(own)) != 0)
		return false;
	if (strfmt(base, n, "%s/%s%s/taufunctions-%s", cg_root, controller, own, runner) != 0 ||
	    mkdir_p(base) != 0) {
		log_warn("cgroup v1: cannot create %s: %s", base, strerror(errno));
		return false;
	}
	sweep(base);
	return true;
}

enum cgroup_mode cgroup_init(const char *root, const char *runner)
{
	char probe[PATH_MAX];

	snprintf(cg_root, sizeof(cg_root), "%s", root);
	if (strfmt(probe, sizeof(probe), "%s/cgroup.controllers", cg_root) == 0 && access(probe, F_OK) == 0) {
		mode = init_v2(runner) ? CGROUP_V2 : CGROUP_NONE;
	} else if (strfmt(probe, sizeof(probe), "%s/memory/memory.limit_in_bytes", cg_root) == 0 &&
	           access(probe, F_OK) == 0) {
		bool ok = init_v1_controller("memory", runner, base_memory, sizeof(base_memory)) &&
		          init_v1_controller("pids", runner, base_pids, sizeof(base_pids));
		/* CPU weight is a nicety; memory and pids are the walls. */
		if (ok && !init_v1_controller("cpu", runner, base_cpu, sizeof(base_cpu)))
			base_cpu[0] = '\0';
		mode = ok ? CGROUP_V1 : CGROUP_NONE;
	}
	return mode;
}

int cgroup_set_memory(struct cgroup *cg, int memory_mb)
{
	char bytes[32], weight[16];

	if (!cg->created || mode == CGROUP_NONE)
		return 0;
	snprintf(bytes, sizeof(bytes), "%lld", (long long)memory_mb * 1024 * 1024);
	if (mode == CGROUP_V2) {
		snprintf(weight, sizeof(weight), "%d", memory_mb * 100 / 1024 < 1 ? 1 : memory_mb * 100 / 1024);
		if (write_file(cg->memory, "memory.max", bytes) != 0)
			return -1;
		write_file(cg->memory, "memory.swap.max", "0");
		write_file(cg->memory, "cpu.weight", weight);
		return 0;
	}
	/*
	 * v1 keeps memory+swap at or above memory: raising takes the memory+swap
	 * limit first, lowering the memory limit first. Writing memory, then
	 * memory+swap, then memory again does either. Without swap accounting the
	 * memsw file is absent and there is no swap to limit.
	 */
	snprintf(weight, sizeof(weight), "%d", memory_mb < 2 ? 2 : memory_mb);
	write_file(cg->memory, "memory.limit_in_bytes", bytes);
	write_file(cg->memory, "memory.memsw.limit_in_bytes", bytes);
	if (write_file(cg->memory, "memory.limit_in_bytes", bytes) != 0)
		return -1;
	if (cg->cpu[0])
		write_file(cg->cpu, "cpu.shares", weight);
	return 0;
}

int cgroup_create(struct cgroup *cg, int slot, int memory_mb)
{
	char pids[16];

	memset(cg, 0, sizeof(*cg));
	cg->peak_fd = cg->tasks_fd = cg->tasks_peak_fd = -1;
	if (mode == CGROUP_NONE)
		return -1;  /* no instance runs without its memory and process caps */
	snprintf(pids, sizeof(pids), "%d", TF_INSTANCE_PIDS_MAX);
	if (mode == CGROUP_V2) {
		if (strfmt(cg->memory, sizeof(cg->memory), "%s/i%d", base_v2, slot) != 0)
			goto fail;
		kill_and_remove(cg->memory);
		if (mkdir(cg->memory, 0755) != 0 || write_file(cg->memory, "pids.max", pids) != 0)
			goto fail;
	} else {
		if (strfmt(cg->memory, sizeof(cg->memory), "%s/i%d", base_memory, slot) != 0 ||
		    strfmt(cg->pids, sizeof(cg->pids), "%s/i%d", base_pids, slot) != 0 ||
		    (base_cpu[0] && strfmt(cg->cpu, sizeof(cg->cpu), "%s/i%d", base_cpu, slot) != 0))
			goto fail;
		kill_and_remove(cg->memory);
		kill_and_remove(cg->pids);
		kill_and_remove(cg->cpu);
		if (mkdir(cg->memory, 0755) != 0 || mkdir(cg->pids, 0755) != 0 || write_file(cg->pids, "pids.max", pids) != 0)
			goto fail;
		if (cg->cpu[0] && mkdir(cg->cpu, 0755) != 0)
			cg->cpu[0] = '\0';
	}
	cg->created = true;
	if (cgroup_set_memory(cg, memory_mb) != 0)
		goto fail;
	open_figures(cg);
	return 0;
fail:
	log_error("cannot create cgroup for instance %d: %s", slot, strerror(errno));
	cg->created = true;
	cgroup_destroy(cg);
	return -1;
}

int cgroup_join_fds(const struct cgroup *cg, int fds[4])
{
	const char *dirs[3] = { cg->memory, cg->pids, cg->cpu };
	int n = 0;
	char path[PATH_MAX];

	if (!cg->created) {
		errno = ENOENT;
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		if (dirs[i][0] == '\0')
			continue;
		int fd = strfmt(path, sizeof(path), "%s/cgroup.procs", dirs[i]) == 0
		             ? open(path, O_WRONLY | O_CLOEXEC) : -1;
		if (fd < 0) {
			while (n > 0)
				close(fds[--n]);
			return -1;
		}
		fds[n++] = fd;
	}
	fds[n] = -1;
	return 0;
}

static long long read_number(const char *dir, const char *file)
{
	char v[64];
	long long n;
	if (read_file(dir, file, v, sizeof(v)) != 0)
		return -1;
	v[strcspn(v, "\n")] = '\0';
	return parse_ll(v, 0, INT64_MAX, &n) == 0 ? n : -1;
}

long long cgroup_peak_bytes(const struct cgroup *cg)
{
	if (!cg->created)
		return -1;
	long long peak = pread_number(cg->peak_fd);
	if (peak >= 0)
		return peak;
	if (mode == CGROUP_V1)
		return read_number(cg->memory, "memory.max_usage_in_bytes");
	peak = read_number(cg->memory, "memory.peak");
	return peak >= 0 ? peak : read_number(cg->memory, "memory.current");
}

int cgroup_tasks(const struct cgroup *cg, long long *now, long long *peak)
{
	if (!cg->created)
		return -1;
	*now = pread_number(cg->tasks_fd);
	*peak = pread_number(cg->tasks_peak_fd);
	return *now >= 0 && *peak >= 0 ? 0 : -1;
}

bool cgroup_oom_killed(const struct cgroup *cg)
{
	char text[1024];

	if (!cg->created ||
	    read_file(cg->memory, mode == CGROUP_V1 ? "memory.oom_control" : "memory.events", text,
	              sizeof(text)) != 0)
		return false;
	const char *p = strstr(text, "oom_kill ");
	return p && p[9] != '0';
}

void cgroup_destroy(struct cgroup *cg)
{
	if (!cg->created)
		return;
	close_figures(cg);
	kill_and_remove(cg->memory);
	kill_and_remove(cg->pids);
	kill_and_remove(cg->cpu);
	cg->created = false;
}

int cgroup_pids(const struct cgroup *cg, pid_t *out, int max)
{
	char text[16384];
	int n = 0;

	/* v1's memory controller and v2's one directory both list every process. */
	if (!cg->created || read_file(cg->memory, "cgroup.procs", text, sizeof(text)) != 0)
		return -1;
	for (char *save, *tok = strtok_r(text, "\n", &save); tok && n < max; tok = strtok_r(NULL, "\n", &save)) {
		long long pid;
		if (parse_ll(tok, 1, INT32_MAX, &pid) == 0)
			out[n++] = (pid_t)pid;
	}
	return n;
}
