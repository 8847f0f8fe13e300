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
	                            "            'fsize': resource.getrlimit(resource.RLIMIT_FSIZE)[0]}\n",
	                            NULL);
	CHECK(b, "the function did not answer");
	long long nproc = jpi(b, "nproc", -1), fsize = jpi(b, "fsize", -1);
	json_object_put(b);
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
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		const char *got = jps(b, denied[i]);
		if (!(got && strcmp(got, "EPERM") == 0)) {
			char msg[128];
			snprintf(msg, sizeof(msg), "%s", got ? got : "?");
			json_object_put(b);
			CHECK(false, "%s: %s (EPERM expected)", denied[i], msg);
		}
	}
	size_t allowed = json_object_array_length(jp(b, "allowedFamilies"));
	json_object_put(b);
	CHECK(allowed == 3, "AF_UNIX, AF_INET and AF_INET6 sockets must work");
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
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		const char *got = jps(b, calls[i]);
		if (!(got && strcmp(got, "ENOSYS") == 0)) {
			char msg[64];
			snprintf(msg, sizeof(msg), "%s", got ? got : "?");
			json_object_put(b);
			CHECK(false, "%s: %s (ENOSYS expected)", calls[i], msg);
		}
	}
	json_object_put(b);
}

static const struct test tests[] = {
	{ "walls: a system call the filter does not list answers ENOSYS (default deny)",
	  a_call_the_filter_does_not_list_answers_enosys },
	{ "walls: a function's processes and files have rlimit backstops", a_functions_processes_and_files_have_rlimit_backstops },
	{ "walls: a runner without usable cgroups refuses to run functions", a_runner_without_usable_cgroups_refuses_to_run_functions },
	{ "walls: every writable mount is bounded", every_writable_mount_is_bounded },
	{ "walls: io_uring, userfaultfd and socket families beyond unix and IP are denied",
	  kernel_surface_beyond_a_functions_needs_is_denied },
};
const struct suite suite_walls = { tests, sizeof(tests) / sizeof(tests[0]) };
