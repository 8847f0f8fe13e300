/*
 * Code packages over the platform API (docs/code-packages.md): what a ZIP may
 * hold is decided at upload, where the client is told which entry is at fault,
 * and a version that was accepted runs the same on a cold start and from a spare.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "codezip.h"
#include "platform.h"
#include "xalloc.h"

/* An entry: 'f' file holding data, 'd' directory, 'l' link to data. */
struct entry {
	const char *path;
	char type;
	const char *data;
};

static la_ssize_t collect(struct archive *a, void *ctx, const void *p, size_t n)
{
	(void)a;
	buf_append(ctx, p, n);
	return (la_ssize_t)n;
}

/* A ZIP of these entries, made by libarchive as a client's tool would. */
static void make_zip(const struct entry *e, size_t n, struct buf *out)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open(a, out, NULL, collect, NULL);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_mtime(ae, 315532800, 0);
		if (e[i].type == 'l') {
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_perm(ae, 0777);
			archive_entry_set_symlink(ae, e[i].data);
		} else if (e[i].type == 'd') {
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae, 0755);
		} else {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_size(ae, (la_int64_t)strlen(e[i].data));
		}
		archive_write_header(a, ae);
		if (e[i].type == 'f')
			archive_write_data(a, e[i].data, strlen(e[i].data));
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
}

/* POST .../versions with this archive. */
static struct resp *upload(const char *key, const char *fn, const struct buf *zip)
{
	struct buf b64 = BUF_INIT;
	base64_encode(zip->data, zip->len, &b64);
	char *body = xasprintf("{\"code\":\"%s\"}", b64.data);
	struct resp *r = httpf("POST", key, body, V1 "/functions/%s/versions", fn);
	free(body);
	buf_free(&b64);
	return r;
}

static struct resp *upload_entries(const char *key, const char *fn, const struct entry *e, size_t n)
{
	struct buf zip = BUF_INIT;
	make_zip(e, n, &zip);
	struct resp *r = upload(key, fn, &zip);
	buf_free(&zip);
	return r;
}

#define UPLOAD(key, fn, arr) upload_entries(key, fn, arr, sizeof(arr) / sizeof(arr[0]))

/* A 400 INVALID_CODE_PACKAGE whose message and details say text. */
static bool refused_saying(const struct resp *r, const char *text)
{
	const char *m = jps(r->json, "error.message"), *d = jps(r->json, "error.details.0.message");
	return platform_error(r, 400, "INVALID_CODE_PACKAGE") && names_field(r, "code") && m && strstr(m, text) && d &&
	       strstr(d, text);
}

/* A tenant with a Python function of this name and no version yet. */
static bool bare_fn(char key[128], const char *prefix, const char *name)
{
	char tenant[80], body[256];
	signup(prefix, key, tenant);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"timeout\":30}",
	         name);
	return http("POST", "/api/billing/upgrade", key, NULL)->status == 200 &&
	       http("POST", V1 "/functions", key, body)->status == 201;
}

static bool no_version(const char *key, const char *fn)
{
	return jpi(httpf("GET", key, NULL, V1 "/functions/%s/versions", fn)->json, "total", -1) == 0;
}

static const char OK_PY[] = "def handler(event, context):\n    return 'ok'\n";

/*
 * Each link's own text climbs at most one level, so a check of each link alone
 * passes them; followed in turn on the runner, they reach the host's files.
 */
static void a_chain_of_links_that_climbs_out_is_refused(void)
{
	char key[128];
	CHECK(bare_fn(key, "pkchain", "chain"), "function");
	const struct entry etc[] = {
		{ "main.py", 'f', OK_PY }, { "ln", 'l', "." }, { "u1", 'l', "ln/.." }, { "u2", 'l', "u1/.." },
		{ "u3", 'l', "u2/.." }, { "u4", 'l', "u3/.." }, { "u5", 'l', "u4/.." }, { "u6", 'l', "u5/.." },
		{ "u7", 'l', "u6/.." }, { "pw", 'l', "u7/etc/passwd" },
	};
	struct resp *r = UPLOAD(key, "chain", etc);
	CHECK(refused_saying(r, "Link \"pw\" (to \"u7/etc/passwd\") leads outside the package"), "%ld %s", r->status, r->body);
	/* One level up from the package is the runner's code cache: every other function's code. */
	const struct entry cache[] = { { "main.py", 'f', OK_PY }, { "ln", 'l', "." }, { "all", 'l', "ln/.." } };
	r = UPLOAD(key, "chain", cache);
	CHECK(refused_saying(r, "Link \"all\""), "%ld %s", r->status, r->body);
	const struct entry back[] = { { "main.py", 'f', OK_PY }, { "app/", 'd', "" }, { "app/m", 'l', "../../app/main.py" } };
	r = UPLOAD(key, "chain", back);
	CHECK(refused_saying(r, "Link \"app/m\""), "a step above the root that comes back down: %ld %s", r->status, r->body);
	const struct entry loop[] = { { "main.py", 'f', OK_PY }, { "a", 'l', "b" }, { "b", 'l', "a" } };
	r = UPLOAD(key, "chain", loop);
	CHECK(refused_saying(r, "never resolves"), "%ld %s", r->status, r->body);
	CHECK(no_version(key, "chain"), "a refused package became a version");
}

/* Before, each of these was stored (201) and every invocation then answered 503. */
static void duplicates_and_clashes_are_refused_naming_the_entry(void)
{
	char key[128];
	CHECK(bare_fn(key, "pkdup", "dup"), "function");
	const struct entry twice[] = { { "main.py", 'f', OK_PY }, { "main.py", 'f', "def handler(e, c):\n    return 2\n" } };
	struct resp *r = UPLOAD(key, "dup", twice);
	CHECK(refused_saying(r, "Entry \"main.py\" appears twice"), "%ld %s", r->status, r->body);
	const struct entry both[] = { { "main.py", 'f', OK_PY }, { "lib", 'f', "x" }, { "lib/", 'd', "" } };
	r = UPLOAD(key, "dup", both);
	CHECK(refused_saying(r, "Entry \"lib\" is both a directory and a file"), "%ld %s", r->status, r->body);
	const struct entry inside_file[] = { { "main.py", 'f', OK_PY }, { "lib", 'f', "x" }, { "lib/util.py", 'f', "y" } };
	r = UPLOAD(key, "dup", inside_file);
	CHECK(refused_saying(r, "Entry \"lib/util.py\" is inside \"lib\", which is a file"), "%ld %s", r->status, r->body);
	const struct entry inside_link[] = {
		{ "main.py", 'f', OK_PY }, { "real/", 'd', "" }, { "lib", 'l', "real" }, { "lib/util.py", 'f', "y" },
	};
	r = UPLOAD(key, "dup", inside_link);
	CHECK(refused_saying(r, "Entry \"lib/util.py\" is inside \"lib\", which is a link"), "%ld %s", r->status, r->body);
	CHECK(no_version(key, "dup"), "a refused package became a version");
}

/* Made by Python's zipfile with external_attr = (0o010644 << 16): "main.py" and a named pipe "pipe". */
static const unsigned char python_fifo_zip[] = {
	0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x3b, 0x89,
	0xf6, 0x8b, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x6d, 0x61,
	0x69, 0x6e, 0x2e, 0x70, 0x79, 0x78, 0x20, 0x3d, 0x20, 0x31, 0x0a, 0x50, 0x4b, 0x03, 0x04, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x70, 0x69, 0x70, 0x65, 0x50, 0x4b, 0x01,
	0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x3b, 0x89, 0xf6,
	0x8b, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0xa4, 0x81, 0x00, 0x00, 0x00, 0x00, 0x6d, 0x61, 0x69, 0x6e, 0x2e,
	0x70, 0x79, 0x50, 0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa4, 0x11, 0x2b, 0x00, 0x00, 0x00,
	0x70, 0x69, 0x70, 0x65, 0x50, 0x4b, 0x05, 0x06, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00,
	0x67, 0x00, 0x00, 0x00, 0x4d, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* libarchive reads a named pipe in a ZIP as an empty regular file; before, it was stored as one. */
static void a_named_pipe_or_a_device_is_refused(void)
{
	char key[128];
	struct buf zip = BUF_INIT;
	CHECK(bare_fn(key, "pkfifo", "fifo"), "function");
	buf_append(&zip, python_fifo_zip, sizeof(python_fifo_zip));
	struct resp *r = upload(key, "fifo", &zip);
	buf_free(&zip);
	CHECK(refused_saying(r, "Entry \"pipe\" is a named pipe (FIFO)"), "%ld %s", r->status, r->body);
	/* A character device, claimed in the central directory of an archive libarchive made. */
	const struct entry e[] = { { "main.py", 'f', OK_PY }, { "tty", 'f', "" } };
	make_zip(e, 2, &zip);
	char *cd = memmem(zip.data, zip.len, "PK\1\2", 4);
	cd = cd ? memmem(cd + 4, zip.len - (size_t)(cd + 4 - zip.data), "PK\1\2", 4) : NULL;
	CHECK(cd != NULL, "no second central directory entry");
	uint32_t attr = 0020644u << 16;
	memcpy(cd + 38, &attr, 4);  /* little-endian host */
	r = upload(key, "fifo", &zip);
	buf_free(&zip);
	CHECK(refused_saying(r, "Entry \"tty\" is a device"), "%ld %s", r->status, r->body);
	CHECK(no_version(key, "fifo"), "a refused package became a version");
}

/* Before, libarchive's streaming reader took an archive cut short for a whole one. */
static void an_archive_without_its_end_record_is_refused(void)
{
	char key[128];
	struct buf zip = BUF_INIT;
	CHECK(bare_fn(key, "pkcut", "cut"), "function");
	const struct entry e[] = { { "main.py", 'f', OK_PY }, { "lib/util.py", 'f', "X = 1\n" } };
	make_zip(e, 2, &zip);
	size_t whole = zip.len;
	zip.len = whole - 22;  /* the end-of-central-directory record */
	struct resp *r = upload(key, "cut", &zip);
	CHECK(refused_saying(r, "end-of-central-directory record is missing"), "%ld %s", r->status, r->body);
	char *cd = memmem(zip.data, zip.len, "PK\1\2", 4);
	CHECK(cd != NULL, "no central directory");
	zip.len = (size_t)(cd - zip.data);  /* the central directory too */
	r = upload(key, "cut", &zip);
	CHECK(refused_saying(r, "end-of-central-directory record is missing"), "%ld %s", r->status, r->body);
	zip.len = whole;
	r = upload(key, "cut", &zip);
	CHECK(r->status == 201, "the whole archive: %ld %s", r->status, r->body);
	buf_free(&zip);
}

/* Before, the limit was the spares' (32 levels): such a package ran on a cold start only. */
static void nesting_past_the_depth_limit_is_refused(void)
{
	char key[128], deep[TF_MAX_ZIP_DEPTH * 2 + 16] = "";
	CHECK(bare_fn(key, "pkdeep", "deep"), "function");
	for (int i = 0; i < TF_MAX_ZIP_DEPTH; i++)
		strcat(deep, "d/");
	strcat(deep, "x.txt");
	const struct entry e[] = { { "main.py", 'f', OK_PY }, { deep, 'f', "x" } };
	struct resp *r = UPLOAD(key, "deep", e);
	CHECK(refused_saying(r, "is nested more than 128 levels deep"), "%ld %s", r->status, r->body);
	CHECK(no_version(key, "deep"), "a refused package became a version");
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The handler, reached through the link main.py: when its interpreter started,
 * and /var/task as it sees it, links not followed, and files read through links.
 */
static const char TREE_PY[] =
	"import json, os, time\n"
	"def started():\n"
	"    with open('/proc/self/stat') as f:\n"
	"        ticks = int(f.read().rsplit(')', 1)[1].split()[19])\n"
	"    with open('/proc/uptime') as f:\n"
	"        up = float(f.read().split()[0])\n"
	"    return time.time() - up + ticks / os.sysconf('SC_CLK_TCK')\n"
	"def tree():\n"
	"    out = []\n"
	"    for root, dirs, files in os.walk('/var/task'):\n"
	"        for n in dirs + files:\n"
	"            p = os.path.join(root, n)\n"
	"            rel = os.path.relpath(p, '/var/task')\n"
	"            if os.path.islink(p):\n"
	"                out.append([rel, 'link', os.readlink(p), os.path.exists(p)])\n"
	"            elif os.path.isdir(p):\n"
	"                out.append([rel, 'dir'])\n"
	"            else:\n"
	"                out.append([rel, 'file', os.path.getsize(p)])\n"
	"    return sorted(out)\n"
	"def read(p):\n"
	"    with open('/var/task/' + p) as f:\n"
	"        return f.read()\n"
	"def handler(event, context):\n"
	"    via = [read('bottom/deep.txt'), read('a/b/top/lib/data.txt'), read('lib/data.txt')]\n"
	"    return {'statusCode': 200, 'body': json.dumps({'started': started(), 'tree': tree(), 'via': via})}\n";

struct run {
	double started;
	char *seen;  /* tree and files read through links, as JSON */
};

/* Invokes fn until a runner answers (one may be starting); false with the test failed otherwise. */
static bool run_tree(const char *key, const char *fn, struct run *out)
{
	struct resp *r = NULL;
	for (int i = 0; i < 20; i++) {
		r = httpf("POST", key, "{\"payload\":{}}", V1 "/functions/%s/invoke", fn);
		if (r->status == 200)
			break;
		sleep_ms(500);
	}
	json_object *b = r->status == 200 ? body_json(r) : NULL;
	if (b == NULL || !json_object_get_boolean(jp(r->json, "wasColdStart"))) {
		t_fail(__FILE__, __LINE__, "invocation: %ld %.600s", r->status, r->body);
		json_object_put(b);
		return false;
	}
	out->started = json_object_get_double(jp(b, "started"));
	json_object_object_del(b, "started");
	out->seen = xstrdup(json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(b);
	return true;
}

/*
 * Kept links and deep nesting, the same from a spare as on a cold start. A spare
 * adopts a package through codecache_link, which before dropped symlinks and
 * stopped at 32 levels; a cold start binds the unpacked package itself. The
 * first invocation of a new function adopts a spare (its interpreter started
 * before the function existed, as in test_engine.c); the second runs on a
 * second runner started with no spares, where it must boot its own interpreter.
 * Two packages: links alone, and links with a hundred levels of nesting.
 */
static void kept_links_and_deep_nesting_run_the_same_from_a_spare_and_cold(void)
{
	static char deepdir[TF_MAX_ZIP_DEPTH * 2 + 8], deepfile[TF_MAX_ZIP_DEPTH * 2 + 16];
	char key[128], name[80];
	struct run spare[2] = { { 0 } }, cold[2] = { { 0 } };
	deepdir[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(deepdir, i ? "/d" : "d");
	snprintf(deepfile, sizeof(deepfile), "%s/deep.txt", deepdir);
	const struct entry links[] = {
		{ "src/app.py", 'f', TREE_PY }, { "main.py", 'l', "src/app.py" }, { "src/data.txt", 'f', "through lib" },
		{ "lib", 'l', "src" }, { "a/b/top", 'l', "../.." }, { "bottom", 'l', "src" }, { "src/deep.txt", 'f', "shallow" },
		{ "dangling", 'l', "not/there" }, { "empty/", 'd', "" },
	};
	const struct entry deep[] = {
		{ "src/app.py", 'f', TREE_PY }, { "main.py", 'l', "src/app.py" }, { "src/data.txt", 'f', "through lib" },
		{ "lib", 'l', "src" }, { "a/b/top", 'l', "../.." }, { deepfile, 'f', "a hundred levels down" },
		{ "bottom", 'l', deepdir }, { "dangling", 'l', "not/there" }, { "empty/", 'd', "" },
	};
	const struct { const struct entry *e; size_t n; const char *bottom; } pkgs[2] = {
		{ links, sizeof(links) / sizeof(links[0]), "shallow" },
		{ deep, sizeof(deep) / sizeof(deep[0]), "a hundred levels down" },
	};
	signup("pkkeep", key, name);
	CHECK_STATUS(http("POST", "/api/billing/upgrade", key, NULL), 200);
	for (int p = 0; p < 2; p++) {
		char body[256], via[128];
		sleep_ms(1500);  /* the spares taken before are booted again by now */
		double before = wall_now();
		snprintf(name, sizeof(name), "keep%d", p);
		snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"timeout\":30}",
		         name);
		CHECK_STATUS(http("POST", V1 "/functions", key, body), 201);
		struct resp *r = upload_entries(key, name, pkgs[p].e, pkgs[p].n);
		CHECK(r->status == 201, "%ld %s", r->status, r->body);
		if (!run_tree(key, name, &spare[p]))
			goto out;
		CHECK(spare[p].started < before, "%s: not adopted by a spare: its interpreter started %.3f s after the function was created",
		      name, spare[p].started - before);
		snprintf(via, sizeof(via), "\"via\":[\"%s\",\"through lib\",\"through lib\"]", pkgs[p].bottom);
		CHECK(strstr(spare[p].seen, via) && strstr(spare[p].seen, "[\"main.py\",\"link\",\"src/app.py\",true]") &&
		      strstr(spare[p].seen, "[\"dangling\",\"link\",\"not/there\",false]") &&
		      strstr(spare[p].seen, "[\"empty\",\"dir\"]"),
		      "%s from a spare: %.1500s", name, spare[p].seen);
	}
	/* The same versions on a runner with no spares: cold starts. */
	CHECK(stack_ctl("stop_one", "tf-worker") == 0, "cannot stop the worker");
	setenv("TF_WORKER_PRESTART", "0", 1);
	int started_b = stack_ctl("start_second_worker", NULL);
	unsetenv("TF_WORKER_PRESTART");
	double before_cold = wall_now();
	bool ran = started_b == 0 && run_tree(key, "keep0", &cold[0]) && run_tree(key, "keep1", &cold[1]);
	stack_ctl("stop_one", "tf-worker-b");
	int restarted = stack_ctl("start_worker", NULL);
	if (restarted == 0) {
		/* The next test's invocations wait for a runner no longer than their timeout. */
		struct run again = { 0 };
		run_tree(key, "keep0", &again);
		free(again.seen);
	}
	CHECK(started_b == 0 && restarted == 0, "cannot switch runners");
	if (!ran)
		goto out;
	for (int p = 0; p < 2; p++) {
		CHECK(cold[p].started > before_cold - 0.05,
		      "keep%d: not a cold start: its interpreter started %.3f s before the invocation", p, before_cold - cold[p].started);
		CHECK(strcmp(spare[p].seen, cold[p].seen) == 0, "keep%d from a spare: %.1200s\ncold: %.1200s", p, spare[p].seen,
		      cold[p].seen);
	}
out:
	for (int p = 0; p < 2; p++) {
		free(spare[p].seen);
		free(cold[p].seen);
	}
}

static const struct test tests[] = {
	{ "packages: a chain of links that climbs out of the package, or loops, is refused (400) naming the link", a_chain_of_links_that_climbs_out_is_refused },
	{ "packages: a duplicate entry, a file and a directory of one name, an entry under a file or a link are refused naming it", duplicates_and_clashes_are_refused_naming_the_entry },
	{ "packages: a named pipe or a device entry is refused, not stored as an empty file", a_named_pipe_or_a_device_is_refused },
	{ "packages: an archive without its end-of-central-directory record is refused", an_archive_without_its_end_record_is_refused },
	{ "packages: nesting past TF_MAX_ZIP_DEPTH is refused at upload", nesting_past_the_depth_limit_is_refused },
	{ "packages: kept links and deep nesting run the same from a spare and on a cold start", kept_links_and_deep_nesting_run_the_same_from_a_spare_and_cold },
};
const struct suite suite_packages = { tests, sizeof(tests) / sizeof(tests[0]) };
