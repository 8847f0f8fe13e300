/*
 * The runtimes this runner has. Each is proven at start-up by booting its
 * bootstrap in a real sandbox: the interpreter must start there and report a
 * version of its own line (nodejs20 is some v20.x, never another Node), or the
 * runtime is not advertised and no function runs on it here.
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include "log.h"
#include "strfmt.h"
#include "worker.h"

static bool executable(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* python3.12 on PATH (pyenv shims are scripts that need pyenv: skipped), else in a pyenv root. */
static void find_python312(char *out, size_t n)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	glob_t g = { 0 };

	out[0] = '\0';
	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/local/bin:/usr/bin");
	for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char cand[PATH_MAX];
		if (strstr(d, "/shims") || strfmt(cand, sizeof(cand), "%s/python3.12", d) != 0)
			continue;
		if (executable(cand)) {
			if (realpath(cand, out) == NULL)
				snprintf(out, n, "%s", cand);
			return;
		}
	}
	const char *root = getenv("PYENV_ROOT");
	char pattern[PATH_MAX];
	if (strfmt(pattern, sizeof(pattern), "%s/versions/3.12.*/bin/python3.12", root ? root : "/root/.pyenv") == 0 &&
	    glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0)
		snprintf(out, n, "%s", g.gl_pathv[g.gl_pathc - 1]);  /* the newest patch release */
	globfree(&g);
}

/* What to bind for an interpreter outside /usr: its installation root (bin/..). */
static void bind_root(const char *interpreter, char *out, size_t n)
{
	char tmp[PATH_MAX];

	out[0] = '\0';
	if (strncmp(interpreter, "/usr/", 5) == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s", interpreter);
	char *bin = dirname(tmp);
	snprintf(out, n, "%s", dirname(bin));
}

static void default_interpreter(const struct runtime_info *info, char *out, size_t n)
{
	out[0] = '\0';
	if (strcmp(info->id, "python3.11") == 0)
		snprintf(out, n, "/usr/bin/python3.11");
	else if (strcmp(info->id, "python3.12") == 0)
		find_python312(out, n);
}

/* Whether every directory down to path lets others pass (the sandbox uids are others). */
static bool reachable_by_others(const char *path)
{
	char tmp[PATH_MAX];
	struct stat st;

	if (strfmt(tmp, sizeof(tmp), "%s", path) != 0)
		return false;
	for (char *p = tmp + strlen(tmp); p > tmp; p = strrchr(tmp, '/')) {
		*p = '\0';
		const char *dir = tmp[0] ? tmp : "/";
		if (stat(dir, &st) != 0 || !(st.st_mode & S_IXOTH))
			return false;
	}
	return stat(path, &st) == 0 && (st.st_mode & S_IXOTH) && (st.st_mode & S_IROTH);
}

/*
 * An installation the sandbox uids cannot reach (a pyenv under /root, mode 0700)
 * is mirrored, read-only, under the worker's own directory in a mount namespace
 * private to the worker; the sandbox binds the mirror back at the original path.
 * The host's mounts and permissions stay as they were.
 */
static int mirror(struct runtime_def *d)
{
	static bool private_ns;
	char dst[PATH_MAX];

	if (!private_ns) {
		if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
			log_warn("cannot make a private mount namespace: %s", strerror(errno));
			return -1;
		}
		private_ns = true;
	}
	if (strfmt(dst, sizeof(dst), "%s/runtimes", W.dir) != 0)
		return -1;
	mkdir(dst, 0755);
	if (strfmt(dst, sizeof(dst), "%s/runtimes/%s", W.dir, d->info->id) != 0)
		return -1;
	mkdir(dst, 0755);
	if (mount(d->bind_dir, dst, NULL, MS_BIND | MS_REC, NULL) != 0 ||
	    mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0) {
		log_warn("cannot mirror %s: %s", d->bind_dir, strerror(errno));
		return -1;
	}
	snprintf(d->bind_src, sizeof(d->bind_src), "%s", dst);
	return 0;
}

/*
 * python3.12 where the host has no native 3.12 (Debian 12 has none): Pyodide, CPython
 * compiled to WebAssembly, at [runtimes] pyodide (the installation scripts/lib/deps.sh
 * makes), run by the nodejs22 interpreter, which the table's order has detected already.
 */
#define PYODIDE_SETTING "pyodide"  /* [runtimes] python3.12 = pyodide chooses it over a native one */
#define PYODIDE_NODE "nodejs22"

static bool pyodide_runner(struct runtime_def *d)
{
	const char *root = config_str(W.cfg, "runtimes", "pyodide", NULL);
	const struct runtime_def *node = runtime_def_find(PYODIDE_NODE);
	char entry[PATH_MAX];

	/* What a native interpreter that did not boot left here is not Pyodide's. */
	d->interpreter[0] = d->bind_dir[0] = d->bind_src[0] = d->pyodide[0] = '\0';
	if (root == NULL || *root == '\0') {
		snprintf(d->reason, sizeof(d->reason), "no native interpreter works here and no [runtimes] pyodide is configured");
		return false;
	}
	if (node == NULL || !node->available) {
		snprintf(d->reason, sizeof(d->reason), "Pyodide runs on %s, which is unavailable", PYODIDE_NODE);
		return false;
	}
	if (strfmt(entry, sizeof(entry), "%s/node_modules/pyodide/pyodide.js", root) != 0 || access(entry, R_OK) != 0 ||
	    strfmt(d->pyodide, sizeof(d->pyodide), "%s", root) != 0) {
		strfmt(d->reason, sizeof(d->reason), "no Pyodide installation at %s", root);
		d->pyodide[0] = '\0';
		return false;
	}
	if (!reachable_by_others(d->pyodide)) {
		strfmt(d->reason, sizeof(d->reason), "the sandbox cannot reach the Pyodide installation at %s", root);
		d->pyodide[0] = '\0';
		return false;
	}
	memcpy(d->interpreter, node->interpreter, sizeof(d->interpreter));
	memcpy(d->bind_dir, node->bind_dir, sizeof(d->bind_dir));
	memcpy(d->bind_src, node->bind_src, sizeof(d->bind_src));
	return true;
}

/* Boots the runtime once in a sandbox (slot beyond the pool's) and reads its version. */
static void probe(struct runtime_def *d, int slot, const char *empty_dir)
{
	struct instance in = { .slot = slot };

	if (instance_boot(&in, d, empty_dir, TF_MIN_MEMORY_MB * 2, d->version, sizeof(d->version)) != 0) {
		snprintf(d->reason, sizeof(d->reason), "did not boot in the sandbox as %s*", d->info->version_prefix);
		return;
	}
	instance_stop(&in);
	d->available = true;
}

/* An interpreter of the host's own: configured, or found where default_interpreter looks. */
static void detect_native(struct runtime_def *d, const char *conf, int slot, const char *empty)
{
	if (conf && *conf)
		snprintf(d->interpreter, sizeof(d->interpreter), "%s", conf);
	else
		default_interpreter(d->info, d->interpreter, sizeof(d->interpreter));
	if (!executable(d->interpreter)) {
		snprintf(d->reason, sizeof(d->reason), "no interpreter configured or found");
		return;
	}
	bind_root(d->interpreter, d->bind_dir, sizeof(d->bind_dir));
	memcpy(d->bind_src, d->bind_dir, sizeof(d->bind_src));
	if (d->bind_dir[0] && !reachable_by_others(d->bind_dir) && mirror(d) != 0)
		strfmt(d->reason, sizeof(d->reason), "the sandbox cannot reach the interpreter's installation");
	else
		probe(d, slot, empty);
}

void runtimes_detect(void)
{
	char empty[PATH_MAX];

	strfmt(empty, sizeof(empty), "%s/empty", W.dir);  /* W.dir leaves room */
	mkdir(empty, 0755);
	W.nruntimes = 0;
	for (unsigned i = 0; i < tf_runtime_count && i < TF_ARRAY_LEN(W.runtimes); i++) {
		struct runtime_def *d = &W.runtimes[W.nruntimes++];
		memset(d, 0, sizeof(*d));
		d->info = &tf_runtimes[i];
		const char *conf = config_str(W.cfg, "runtimes", d->info->id, NULL);
		int slot = W.max_instances + (int)i;
		bool py312 = strcmp(d->info->id, "python3.12") == 0;
		bool forced = py312 && conf && strcmp(conf, PYODIDE_SETTING) == 0;
		/* A native 3.12 is preferred; Pyodide serves where none is found or none works. */
		if (!forced)
			detect_native(d, conf, slot, empty);
		if (py312 && !d->available && (forced || !(conf && *conf)) && pyodide_runner(d))
			probe(d, slot, empty);
		if (d->available && d->pyodide[0])
			log_info("runtime %s: Pyodide at %s on %s (%s)", d->info->id, d->pyodide, d->interpreter, d->version);
		else if (d->available)
			log_info("runtime %s: %s (%s)", d->info->id, d->interpreter, d->version);
		else
			log_warn("runtime %s unavailable: %s%s%s", d->info->id, d->reason,
			         d->interpreter[0] ? " at " : "", d->interpreter);
	}
}

const struct runtime_def *runtime_def_find(const char *id)
{
	for (unsigned i = 0; i < W.nruntimes; i++)
		if (strcmp(W.runtimes[i].info->id, id) == 0)
			return &W.runtimes[i];
	return NULL;
}

void runtimes_advertised(char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < W.nruntimes; i++) {
		if (!W.runtimes[i].available)
			continue;
		int k = snprintf(out + len, n - len, "%s%s", len ? "," : "", W.runtimes[i].info->id);
		if (k < 0 || (size_t)k >= n - len)
			break;
		len += (size_t)k;
	}
}
