/*
 * The warm instances of this runner. An instance serves one function version;
 * it is reused for that version's next invocation (a warm start) and stopped
 * after idle_seconds. When every slot is taken, the least recently used idle
 * instance makes room. Stopping happens outside the lock: it waits on the kernel.
 */
#include <string.h>

#include "log.h"
#include "timefmt.h"
#include "worker.h"
#include "xalloc.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct instance *slots;

void pool_init(void)
{
	slots = xcalloc((size_t)W.max_instances, sizeof(*slots));
	for (int i = 0; i < W.max_instances; i++) {
		slots[i].slot = i;
		slots[i].ctl_in = slots[i].ctl_out = slots[i].out_fd = -1;
	}
}

struct instance *pool_acquire(const char *key, bool *warm)
{
	struct instance *best = NULL, *free_slot = NULL, *lru = NULL;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < W.max_instances; i++) {
		struct instance *in = &slots[i];
		if (in->busy)
			continue;
		if (!in->live) {
			if (free_slot == NULL)
				free_slot = in;
		} else if (strcmp(in->key, key) == 0) {
			/* The most recently used: its memory is the most likely still warm. */
			if (best == NULL || in->last_used_ms > best->last_used_ms)
				best = in;
		} else if (lru == NULL || in->last_used_ms < lru->last_used_ms) {
			lru = in;
		}
	}
	struct instance *got = best ? best : free_slot ? free_slot : lru;
	if (got)
		got->busy = true;
	pthread_mutex_unlock(&lock);
	*warm = got == best && best != NULL;
	if (got == lru && lru != NULL && got != free_slot) {
		log_debug("evicting idle instance %d (%s) for %s", lru->slot, lru->key, key);
		instance_stop(lru);
	}
	return got;
}

void pool_release(struct instance *in)
{
	pthread_mutex_lock(&lock);
	in->last_used_ms = mono_ms();
	in->busy = false;
	pthread_mutex_unlock(&lock);
}

/* Takes every idle instance that matches, marks it busy, and stops it unlocked. */
static void stop_where(bool (*pick)(const struct instance *, int64_t), int64_t now)
{
	for (int i = 0; i < W.max_instances; i++) {
		struct instance *in = &slots[i];
		pthread_mutex_lock(&lock);
		bool take = in->live && !in->busy && pick(in, now);
		if (take)
			in->busy = true;
		pthread_mutex_unlock(&lock);
		if (!take)
			continue;
		instance_stop(in);
		pool_release(in);
	}
}

static bool idle_too_long(const struct instance *in, int64_t now)
{
	return now - in->last_used_ms > (int64_t)W.idle_seconds * 1000;
}

static bool any(const struct instance *in, int64_t now)
{
	(void)in;
	(void)now;
	return true;
}

void pool_reap_idle(void)
{
	stop_where(idle_too_long, mono_ms());
}

void pool_stop_all(void)
{
	stop_where(any, mono_ms());
}

int pool_count(int *busy)
{
	int live = 0, b = 0;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < W.max_instances; i++) {
		live += slots[i].live;
		b += slots[i].live && slots[i].busy;
	}
	pthread_mutex_unlock(&lock);
	if (busy)
		*busy = b;
	return live;
}

char *pool_containers_json(void)
{
	json_object *o = json_object_new_object();
	char id[32];

	pthread_mutex_lock(&lock);
	for (int i = 0; i < W.max_instances; i++) {
		if (!slots[i].live || slots[i].label[0] == '\0')
			continue;
		snprintf(id, sizeof(id), "instance-%d", slots[i].slot);
		json_object_object_add(o, slots[i].label, json_object_new_string(id));
	}
	pthread_mutex_unlock(&lock);
	char *text = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}
