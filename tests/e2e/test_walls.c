/*
 * The sandbox's walls, provoked from inside a function: limits that fail closed,
 * writable memory that is bounded, and kernel surface that is not there.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Runs a python3.11 function once and returns the JSON its body holds (json_object_put it). */
static json_object *run_python(const char *prefix, const char *code, const char *settings)
{
	char key[128], tenant[80], id[64];
	signup(prefix, key, tenant);
	if (!ready_fn(key, prefix, "python3.11", "main.handler", code, settings, id))
		return NULL;
	struct resp *r = invoke_fn(key, id, NULL);
	return r->status == 200 ? body_json(r) : NULL;
}

static void a_functions_processes_and_files_have_rlimit_backstops(void)
{
	json_object *b = run_python("rlimits",
	                            "import resource\n"
	                            "def handler(event, context):\n"
	                            "    return {'nproc': resource.getrlimit(resource.RLIMIT_NPROC)[0],\n"
	                            "            'fsize': resource.getrlimit(resource.RLIMIT_FSIZE)[0],\n"
	                            "            'core': resource.getrlimit(resource.RLIMIT_CORE)[0],\n"
	                            "            'nofile': resource.getrlimit(resource.RLIMIT_NOFILE)[0]}\n",
	                            NULL);
	CHECK(b, "the function did not answer");
	long long nproc = jpi(b, "nproc", -1), fsize = jpi(b, "fsize", -1), core = jpi(b, "core", -1),
	          nofile = jpi(b, "nofile", -1);
	json_object_put(b);
	CHECK(core == 0, "RLIMIT_CORE is %lld", core);
	CHECK(nofile == 1024, "RLIMIT_NOFILE is %lld", nofile);
	CHECK(nproc > 0 && nproc <= 64, "RLIMIT_NPROC is %lld", nproc);
	CHECK(fsize > 0 && fsize <= 512LL * 1024 * 1024, "RLIMIT_FSIZE is %lld", fsize);
}

static void a_runner_without_usable_cgroups_refuses_to_run_functions(void)
{
	char log[1024], wdir[1024];
	FILE *f;

	CHECK(stack_config("dir", wdir, sizeof(wdir)), "no worker dir");
	/* A second runner told that the cgroup file system is somewhere it is not. */
	setenv("TF_SANDBOX_CGROUP_ROOT", "/nonexistent-cgroups", 1);
	int rc = stack_ctl("start_second_worker", NULL);
	unsetenv("TF_SANDBOX_CGROUP_ROOT");
	CHECK(rc == 0, "cannot start a second worker");
	bool refused = false;
	snprintf(log, sizeof(log), "%s/log/tf-worker-b.log", getenv("TF_STACK_DIR"));
	for (int i = 0; i < 50 && !refused; i++) {
		sleep_ms(100);
		char *text = NULL;
		size_t cap = 0;
		if ((f = fopen(log, "r")) == NULL)
			continue;
		while (getline(&text, &cap, f) > 0 && !refused)
			refused = strstr(text, "refusing to run functions") != NULL;
		free(text);
		fclose(f);
	}
	char pidfile[1024], pid[32] = "";
	snprintf(pidfile, sizeof(pidfile), "%s/run/tf-worker-b.pid", getenv("TF_STACK_DIR"));
	if ((f = fopen(pidfile, "r")) != NULL) {
		if (fgets(pid, sizeof(pid), f) == NULL)
			pid[0] = '\0';
		fclose(f);
	}
	bool alive = pid[0] != '\0';
	for (int i = 0; i < 50 && alive; i++) {
		alive = kill((pid_t)atoi(pid), 0) == 0;
		if (alive)
			sleep_ms(100);
	}
	stack_ctl("kill_one", "tf-worker-b");
	CHECK(refused, "the runner did not say it refuses to run functions");
	CHECK(!alive, "the runner without cgroups is still running");
}

/* Every writable place is bounded: / and /dev read-only, /dev/shm small, /tmp its size. */
static void every_writable_mount_is_bounded(void)
{
	json_object *b = run_python("mounts",
	                            "import errno, os\n"
	                            "def tries(path):\n"
	                            "    try:\n"
	                            "        with open(path, 'w') as f: f.write('x')\n"
	                            "        return 'written'\n"
	                            "    except OSError as e:\n"
	                            "        return errno.errorcode.get(e.errno)\n"
	                            "def size(path):\n"
	                            "    s = os.statvfs(path)\n"
	                            "    return s.f_blocks * s.f_frsize\n"
	                            "def fill(path):\n"
	                            "    mb = 0\n"
	                            "    try:\n"
	                            "        with open(path, 'wb') as f:\n"
	                            "            while mb < 4096:\n"
	                            "                f.write(b'x' * (1 << 20)); f.flush(); mb += 1\n"
	                            "    except OSError as e:\n"
	                            "        return {'mb': mb, 'error': errno.errorcode.get(e.errno)}\n"
	                            "    return {'mb': mb}\n"
	                            "def handler(event, context):\n"
	                            "    out = {p: tries(p.rstrip('/') + '/probe') for p in ('/', '/dev', '/var', '/opt', '/usr', '/var/task')}\n"
	                            "    out['shm'] = size('/dev/shm')\n"
	                            "    out['tmp'] = size('/tmp')\n"
	                            "    out['fillShm'] = fill('/dev/shm/fill')\n"
	                            "    return out\n",
	                            "{\"memoryMB\":512,\"timeout\":20}");
	CHECK(b, "the function did not answer");
	const char *places[] = { "/", "/dev", "/var", "/opt", "/usr", "/var/task" };
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		const char *got = jps(b, places[i]);
		CHECK(got && (strcmp(got, "EROFS") == 0 || strcmp(got, "EACCES") == 0), "%s: %s", places[i],
		      got ? got : "?");
	}
	long long shm = jpi(b, "shm", -1), tmp = jpi(b, "tmp", -1), filled = jpi(b, "fillShm.mb", -1);
	const char *why = jps(b, "fillShm.error");
	bool ok_fill = why && strcmp(why, "ENOSPC") == 0 && filled <= 64;
	json_object_put(b);
	CHECK(shm > 0 && shm <= 64LL * 1024 * 1024, "/dev/shm is %lld bytes", shm);
	CHECK(tmp > 0 && tmp <= 512LL * 1024 * 1024, "/tmp is %lld bytes", tmp);
	CHECK(ok_fill, "filling /dev/shm stopped at %lld MB (%s)", filled, why ? why : "no error");
}

/* Python's calls through libc's syscall(): io_uring, userfaultfd, and socket families. */
/* The first of names whose answer in b is not want, NULL when all are; its answer ("?" if none) into got. */
static const char *first_not(json_object *b, const char *const *names, size_t n, const char *want, char *got, size_t gotsz)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = jps(b, names[i]);
		if (!(v && strcmp(v, want) == 0)) {
			snprintf(got, gotsz, "%s", v ? v : "?");
			return names[i];
		}
	}
	return NULL;
}

static void kernel_surface_beyond_a_functions_needs_is_denied(void)
{
	json_object *b = run_python("surface",
	                            "import ctypes, errno, socket\n"
	                            "libc = ctypes.CDLL(None, use_errno=True)\n"
	                            "CALLS = {'io_uring_setup': (425, 8, 0), 'io_uring_enter': (426, 0, 0, 0, 0, 0, 0),\n"
	                            "         'io_uring_register': (427, 0, 0, 0, 0), 'userfaultfd': (323, 0)}\n"
	                            "FAMILIES = {'AF_VSOCK': 40, 'AF_NETLINK': 16, 'AF_PACKET': 17, 'AF_ALG': 38,\n"
	                            "            'AF_KEY': 15, 'AF_BLUETOOTH': 31, 'AF_XDP': 44, 'AF_UNSPEC': 0, 'past': 4096}\n"
	                            "def handler(event, context):\n"
	                            "    out = {}\n"
	                            "    for name, args in CALLS.items():\n"
	                            "        ctypes.set_errno(0)\n"
	                            "        rc = libc.syscall(*[ctypes.c_long(a) for a in args])\n"
	                            "        out[name] = errno.errorcode.get(ctypes.get_errno()) if rc == -1 else 'allowed'\n"
	                            "    for name, fam in FAMILIES.items():\n"
	                            "        ctypes.set_errno(0)\n"
	                            "        fd = libc.socket(fam, socket.SOCK_DGRAM if fam not in (40,) else socket.SOCK_STREAM, 0)\n"
	                            "        out[name] = errno.errorcode.get(ctypes.get_errno()) if fd == -1 else 'allowed'\n"
	                            "    ok = []\n"
	                            "    for fam in (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6):\n"
	                            "        socket.socket(fam, socket.SOCK_STREAM).close(); ok.append(fam)\n"
	                            "    out['allowedFamilies'] = ok\n"
	                            "    return out\n",
	                            NULL);
	CHECK(b, "the function did not answer");
	const char *denied[] = { "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd", "AF_VSOCK",
	                         "AF_NETLINK", "AF_PACKET", "AF_ALG", "AF_KEY", "AF_BLUETOOTH", "AF_XDP", "AF_UNSPEC",
	                         "past" };
	char got[64];
	const char *bad = first_not(b, denied, sizeof(denied) / sizeof(denied[0]), "EPERM", got, sizeof(got));
	if (bad)
		json_object_put(b);
	CHECK(bad == NULL, "%s: %s (EPERM expected)", bad, got);
	size_t allowed = json_object_array_length(jp(b, "allowedFamilies"));
	json_object_put(b);
	CHECK(allowed == 3, "AF_UNIX, AF_INET and AF_INET6 sockets must work");
}

/* The calls the other tests do not make, each with arguments that would be harmless if it ran. */
static void every_other_denied_call_is_refused(void)
{
	json_object *b = run_python("denied",
	                            "import ctypes, errno, fcntl, termios\n"
	                            "libc = ctypes.CDLL(None, use_errno=True)\n"
	                            "EPERM = {'process_vm_readv': (310, 1, 0, 0, 0, 0, 0), 'process_vm_writev': (311, 1, 0, 0, 0, 0, 0),\n"
	                            "  'kcmp': (312, 1, 1, 0, 0, 0), 'pidfd_getfd': (438, 0, 0, 0), 'umount2': (166, 0, 0),\n"
	                            "  'pivot_root': (155, 0, 0), 'open_tree': (428, 0, 0, 0), 'move_mount': (429, 0, 0, 0, 0, 0),\n"
	                            "  'fsopen': (430, 0, 0), 'fsconfig': (431, 0, 0, 0, 0, 0), 'fsmount': (432, 0, 0, 0),\n"
	                            "  'fspick': (433, 0, 0, 0), 'mount_setattr': (442, 0, 0, 0, 0, 0),\n"
	                            "  'name_to_handle_at': (303, 0, 0, 0, 0, 0), 'open_by_handle_at': (304, 0, 0, 0),\n"
	                            "  'finit_module': (313, 0, 0, 0), 'delete_module': (176, 0, 0), 'kexec_file_load': (320, 0, 0, 0, 0, 0),\n"
	                            "  'reboot': (169, 0, 0, 0, 0), 'swapon': (167, 0, 0), 'swapoff': (168, 0), 'syslog': (103, 0, 0, 0),\n"
	                            "  'acct': (163, 0), 'quotactl': (179, 0, 0, 0, 0), 'lookup_dcookie': (212, 0, 0, 0),\n"
	                            "  'iopl': (172, 0), 'ioperm': (173, 0, 0, 0), 'settimeofday': (164, 0, 0), 'clock_settime': (227, 0, 0),\n"
	                            "  'clock_adjtime': (305, 0, 0), 'adjtimex': (159, 0), 'vhangup': (153,), 'request_key': (249, 0, 0, 0, 0),\n"
	                            "  'fanotify_init': (300, 0, 0), 'mknod': (133, 0, 0, 0), 'mknodat': (259, 0, 0, 0, 0)}\n"
	                            "def call(args):\n"
	                            "    ctypes.set_errno(0)\n"
	                            "    rc = libc.syscall(*[ctypes.c_long(a) for a in args])\n"
	                            "    return errno.errorcode.get(ctypes.get_errno()) if rc == -1 else 'allowed'\n"
	                            "def handler(event, context):\n"
	                            "    out = {name: call(args) for name, args in EPERM.items()}\n"
	                            "    out['clone3'] = call((435, 0, 0))\n"
	                            "    c = ctypes.c_char(b'x')\n"
	                            "    ctypes.set_errno(0)\n"
	                            "    rc = libc.ioctl(0, termios.TIOCSTI, ctypes.byref(c))\n"
	                            "    out['TIOCSTI'] = errno.errorcode.get(ctypes.get_errno()) if rc == -1 else 'allowed'\n"
	                            "    out['socket_upper_bits'] = call((41, (1 << 32) | 2, 1, 0))\n"
	                            "    return out\n",
	                            NULL);
	CHECK(b, "the function did not answer");
	char bad[512] = "";
	json_object_object_foreach(b, name, v) {
		const char *got = json_object_get_string(v);
		const char *want = strcmp(name, "clone3") == 0 ? "ENOSYS" : "EPERM";
		if (strcmp(got, want) != 0 && strlen(bad) < sizeof(bad) - 80)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), " %s=%s (%s expected)", name, got, want);
	}
	size_t n = (size_t)json_object_object_length(b);
	json_object_put(b);
	CHECK(n == 39, "%zu calls answered", n);
	CHECK(bad[0] == '\0', "not refused:%s", bad);
}

/* A uts namespace of its own (host name "tf"), and a uid of each instance's own: two at once differ. */
static void own_hostname_and_uid_per_instance(void)
{
	char key[128], tenant[80], slow[64], quick[64], path[128];
	const char *code = "import os, socket, time\n"
	                   "def handler(event, context):\n"
	                   "    time.sleep(event.get('s', 0))\n"
	                   "    return {'uid': os.getuid(), 'host': socket.gethostname()}\n";
	long status = 0;
	char *body = NULL;

	signup("uids", key, tenant);
	CHECK(ready_fn(key, "slow", "python3.11", "main.handler", code, NULL, slow) &&
	      ready_fn(key, "quick", "python3.11", "main.handler", code, NULL, quick), "ready");
	snprintf(path, sizeof(path), "/saas/api/v1/sdk/tau/functions/%s/invoke", slow);
	struct burst *bu = burst_start(path, key, "{\"payload\":{\"s\":2}}", 1);
	sleep_ms(700);
	struct resp *r = invoke_fn(key, quick, NULL);
	json_object *q = r->status == 200 ? body_json(r) : NULL;
	burst_wait(bu, &status, &body, 1);
	json_object *o = json_tokener_parse(body ? body : "");
	json_object *sbody = NULL;
	if (o && jps(o, "body"))
		sbody = json_tokener_parse(jps(o, "body"));
	long long uq = jpi(q, "uid", -1), us = jpi(sbody, "uid", -1);
	bool host_ok = jis(q, "host", "tf") && jis(sbody, "host", "tf");
	json_object_put(q);
	json_object_put(sbody);
	json_object_put(o);
	free(body);
	CHECK(status == 200 && uq > 0 && us > 0, "answers: %ld, uids %lld and %lld", status, uq, us);
	CHECK(host_ok, "a sandbox's host name is not its own");
	CHECK(uq != us, "two instances running at once share uid %lld", uq);
}

/* One line of 40,000 characters is kept as lines of at most 16 KB, in order. */
static void a_long_log_line_is_split(void)
{
	char key[128], tenant[80], id[64];
	signup("longline", key, tenant);
	CHECK(ready_fn(key, "long", "python3.11", "main.handler",
	               "def handler(event, context):\n    print('y' * 40000)\n    return 'ok'\n", NULL, id), "ready");
	CHECK_STATUS(invoke_fn(key, id, NULL), 200);
	size_t lines = 0, chars = 0;
	bool within = true;
	for (int i = 0; i < 50 && chars < 40000; i++) {
		sleep_ms(100);
		struct resp *r = httpf("GET", key, NULL, "/saas/api/v1/sdk/tau/functions/%s/logs", id);
		json_object *logs = jp(r->json, "logs");
		lines = logs ? json_object_array_length(logs) : 0, chars = 0, within = true;
		for (size_t k = 0; k < lines; k++) {
			size_t n = strlen(jps(json_object_array_get_idx(logs, k), "message") ? jps(json_object_array_get_idx(logs, k), "message") : "");
			chars += n;
			within = within && n <= 16 * 1024;
		}
	}
	CHECK(chars == 40000 && lines == 3 && within, "%zu lines of %zu characters in all (within 16 KB: %d)", lines, chars, within);
}

/* /tmp is memory: a 128 MB function writing 300 MB there meets its own out-of-memory, not /tmp's size. */
static void tmp_counts_against_memory(void)
{
	char key[128], tenant[80], id[64];
	signup("tmpmem", key, tenant);
	CHECK(ready_fn(key, "fill", "python3.11", "main.handler",
	               "def handler(event, context):\n    with open('/tmp/fill', 'wb') as f:\n"
	               "        for _ in range(300):\n            f.write(b'x' * (1 << 20)); f.flush()\n    return 'kept'\n",
	               "{\"memoryMB\":128,\"timeout\":20}", id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK(r->status == 200 && jis(r->json, "errorType", "Runtime.OutOfMemory"), "%.300s", r->body);
}

/*
 * The filter is default deny: a call it does not list does not exist for the
 * function (ENOSYS), though the kernel has it and would answer without the filter.
 */
static void a_call_the_filter_does_not_list_answers_enosys(void)
{
	json_object *b = run_python("unlisted",
	                            "import ctypes, errno\n"
	                            "libc = ctypes.CDLL(None, use_errno=True)\n"
	                            "CALLS = {'modify_ldt': (154, 0, 0, 0), 'move_pages': (279, 0, 0, 0, 0, 0, 0),\n"
	                            "         'migrate_pages': (256, 0, 0, 0, 0), 'mbind': (237, 0, 0, 0, 0, 0, 0),\n"
	                            "         'sysfs': (139, 3)}\n"
	                            "def handler(event, context):\n"
	                            "    out = {}\n"
	                            "    for name, args in CALLS.items():\n"
	                            "        ctypes.set_errno(0)\n"
	                            "        rc = libc.syscall(*[ctypes.c_long(a) for a in args])\n"
	                            "        out[name] = errno.errorcode.get(ctypes.get_errno()) if rc == -1 else 'allowed'\n"
	                            "    return out\n",
	                            NULL);
	CHECK(b, "the function did not answer");
	const char *calls[] = { "modify_ldt", "move_pages", "migrate_pages", "mbind", "sysfs" };
	char got[64];
	const char *bad = first_not(b, calls, sizeof(calls) / sizeof(calls[0]), "ENOSYS", got, sizeof(got));
	json_object_put(b);
	CHECK(bad == NULL, "%s: %s (ENOSYS expected)", bad, got);
}

static const struct test tests[] = {
	{ "walls: a system call the filter does not list answers ENOSYS (default deny)",
	  a_call_the_filter_does_not_list_answers_enosys },
	{ "walls: a function's processes and files have rlimit backstops", a_functions_processes_and_files_have_rlimit_backstops },
	{ "walls: every other denied call is EPERM; clone3 is ENOSYS; TIOCSTI and socket families past int are refused",
	  every_other_denied_call_is_refused },
	{ "walls: the sandbox has its own host name, and each instance its own uid", own_hostname_and_uid_per_instance },
	{ "walls: a long log line is split at 16 KB", a_long_log_line_is_split },
	{ "walls: what a function writes to /tmp counts against its memorySize", tmp_counts_against_memory },
	{ "walls: a runner without usable cgroups refuses to run functions", a_runner_without_usable_cgroups_refuses_to_run_functions },
	{ "walls: every writable mount is bounded", every_writable_mount_is_bounded },
	{ "walls: io_uring, userfaultfd and socket families beyond unix and IP are denied",
	  kernel_surface_beyond_a_functions_needs_is_denied },
};
const struct suite suite_walls = { tests, sizeof(tests) / sizeof(tests[0]) };
