/*
 * The instances of this runner. An instance serves one function version; it is
 * reused for that version's next invocation (a warm start) and stopped after
 * idle_seconds. A few spares per runtime are booted ahead of need, with no
 * function yet: a new function's first invocation adopts one and skips the
 * interpreter's start. When the node runs out of slots or of its memory budget,
 * the least recently used idle instances make room. Stopping and booting happen
 * outside the lock: they wait on the kernel.
 */
#include <string.h>

#include "log.h"
#include "timefmt.h"
#include "worker.h"
#include "xalloc.h"

#define SPARE_CHECK_MS 1000  /* the filler looks again this often even unasked */
#define ROOM_WAIT_MS 5000    /* an invocation waits this long for room before failing */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spares_wanted = PTHREAD_COND_INITIALIZER;
static pthread_cond_t room = PTHREAD_COND_INITIALIZER;  /* an instance was released */
static struct instance *slots;

void pool_init(void)
{
	slots = xcalloc((size_t)W.max_instances, sizeof(*slots));
	for (int i = 0; i < W.max_instances; i++) {
		slots[i].slot = i;
		slots[i].ctl_in = slots[i].ctl_out = slots[i].out_fd = slots[i].runtime_task_fd = -1;
	}
}

/*
 * Memory the instances are promised, in MB (under the lock): the live ones and
 * those being started or adopted, at the size they are being given.
 */
static long long promised_mb(void)
{
	long long sum = 0;
	for (int i = 0; i < W.max_instances; i++)
		if (slots[i].live || slots[i].busy)
			sum += slots[i].budget_mb;
	return sum;
}

/*
 * The idle instance to stop first, other than not, or NULL (under the lock):
 * a spare (booted again in milliseconds) before any function's instance, then
 * the least recently used.
 */
static struct instance *least_recent_idle(const struct instance *not)
{
	struct instance *lru = NULL;
	for (int i = 0; i < W.max_instances; i++) {
		struct instance *in = &slots[i];
		if (in == not || !in->live || in->busy)
			continue;
		if (lru == NULL || (in->spare && !lru->spare) ||
		    (in->spare == lru->spare && in->last_used_ms < lru->last_used_ms))
			lru = in;
	}
	return lru;
}

/*
 * Picks and holds an instance for key (under the lock); victims get the idle ones to stop
 * for room. *short_of_room says that max_victims were not enough to make it.
 */
static struct instance *pick(const char *key, const struct runtime_def *rt, int memory_mb, enum acquired *how,
                             struct instance **victims, int *nvictims, int max_victims, bool *short_of_room)
{
	struct instance *warm = NULL, *spare = NULL, *free_slot = NULL;

	*nvictims = 0;
	*short_of_room = false;
	for (int i = 0; i < W.max_instances; i++) {
		struct instance *in = &slots[i];
		if (in->busy)
			continue;
		if (!in->live) {
			if (free_slot == NULL)
				free_slot = in;
		} else if (in->spare) {
			if (in->rt == rt && spare == NULL)
				spare = in;
		} else if (strcmp(in->key, key) == 0) {
			/* The most recently used: its memory is the most likely still warm. */
			if (warm == NULL || in->last_used_ms > warm->last_used_ms)
				warm = in;
		}
	}
	struct instance *got = warm ? warm : spare ? spare : free_slot ? free_slot : least_recent_idle(NULL);
	if (got && got != warm) {
		/* Room in the memory budget: idle instances go, spares and the least recently used first. */
		long long need = promised_mb() - ((got->live || got->busy) ? got->budget_mb : 0) + memory_mb;
		for (struct instance *v; need > W.memory_budget_mb && *nvictims < max_victims;) {
			if ((v = least_recent_idle(got)) == NULL)
				break;
			v->busy = true;
			victims[(*nvictims)++] = v;
			need -= v->budget_mb;
		}
		if (need > W.memory_budget_mb) {
			*short_of_room = *nvictims == max_victims && least_recent_idle(got) != NULL;
			for (int i = 0; i < *nvictims; i++)
				victims[i]->busy = false;
			*nvictims = 0;
			got = NULL;
		}
	}
	if (got) {
		got->busy = true;
		*how = got == warm ? ACQ_WARM : got == spare ? ACQ_SPARE : ACQ_NEW;
		got->spare = false;  /* adopted: the filler counts one spare fewer at once */
		got->budget_mb = memory_mb;
	}
	return got;
}

#define FEW_VICTIMS 8  /* victims an acquisition has room for before it allocates */

struct instance *pool_acquire(const char *key, const struct runtime_def *rt, int memory_mb, enum acquired *how)
{
	/*
	 * As many victims as it takes, every idle instance at the most: a few on the
	 * stack, and the whole array only when those were not enough.
	 */
	struct instance *few[FEW_VICTIMS], **victims = few;
	int max_victims = W.max_instances < FEW_VICTIMS ? W.max_instances : FEW_VICTIMS;
	struct instance *got;
	struct timespec until;
	int nvictims = 0;
	bool short_of_room = false;

	/* Without room now, wait a little for running instances to finish before giving up. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ROOM_WAIT_MS / 1000;
	*how = ACQ_NONE;
	pthread_mutex_lock(&lock);
	for (;;) {
		got = pick(key, rt, memory_mb, how, victims, &nvictims, max_victims, &short_of_room);
		if (got == NULL && short_of_room && victims == few) {
			pthread_mutex_unlock(&lock);
			victims = xcalloc((size_t)W.max_instances, sizeof(*victims));
			max_victims = W.max_instances;
			pthread_mutex_lock(&lock);
			continue;
		}
		if (got != NULL || W.stopping || pthread_cond_timedwait(&room, &lock, &until) != 0)
			break;
	}
	pthread_mutex_unlock(&lock);

	for (int i = 0; i < nvictims; i++) {
		log_debug("evicting idle instance %d (%s) for %s", victims[i]->slot, victims[i]->key, key);
		instance_stop(victims[i]);
		pool_release(victims[i]);
	}
	if (victims != few)
		free(victims);
	if (*how == ACQ_NEW && got->live) {
		log_debug("evicting idle instance %d (%s) for %s", got->slot, got->key, key);
		instance_stop(got);
	}
	if (*how == ACQ_SPARE)
		pthread_cond_signal(&spares_wanted);
	return got;
}

void pool_release(struct instance *in)
{
	pthread_mutex_lock(&lock);
	in->last_used_ms = mono_ms();
	in->busy = false;
	if (!in->live) {
		in->spare = false;
		in->budget_mb = 0;
	}
	pthread_cond_broadcast(&room);
	pthread_mutex_unlock(&lock);
}

void pool_name(struct instance *in, const char *key, const char *label, const char *code_sha)
{
	pthread_mutex_lock(&lock);
	snprintf(in->key, sizeof(in->key), "%s", key);
	snprintf(in->label, sizeof(in->label), "%s", label);
	snprintf(in->code_sha, sizeof(in->code_sha), "%s", code_sha);
	pthread_mutex_unlock(&lock);
}

bool pool_uses_code(const char *sha)
{
	bool used = false;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < W.max_instances && !used; i++)
		used = (slots[i].live || slots[i].busy) && strcmp(slots[i].code_sha, sha) == 0;
	pthread_mutex_unlock(&lock);
	return used;
}

/* Takes every idle instance that matches, marks it busy, and stops it unlocked. */
static void stop_where(bool (*matches)(const struct instance *, int64_t), int64_t now)
{
	for (int i = 0; i < W.max_instances; i++) {
		struct instance *in = &slots[i];
		pthread_mutex_lock(&lock);
		bool take = in->live && !in->busy && matches(in, now);
		if (take)
			in->busy = true;
		pthread_mutex_unlock(&lock);
		if (!take)
			continue;
		instance_stop(in);
		pool_release(in);
	}
}

/* Versions whose idle instances are kept (a blue version after its switch), under lock. */
static char kept[POOL_MAX_KEPT][96];
static int nkept;

void pool_set_kept(char keys[][96], int n)
{
	pthread_mutex_lock(&lock);
	nkept = n < POOL_MAX_KEPT ? n : POOL_MAX_KEPT;
	for (int i = 0; i < nkept; i++)
		snprintf(kept[i], sizeof(kept[i]), "%s", keys[i]);
	pthread_mutex_unlock(&lock);
}

static bool is_kept(const struct instance *in)
{
	for (int i = 0; i < nkept; i++)
		if (strcmp(in->key, kept[i]) == 0)
			return true;
	return false;
}

static bool idle_too_long(const struct instance *in, int64_t now)
{
	/* Spares wait on purpose; they are counted, not timed. */
	return !in->spare && now - in->last_used_ms > (int64_t)W.idle_seconds * 1000 && !is_kept(in);
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

/*
 * A free slot for one more spare of rt, marked busy, when it has fewer than
 * W.prestart and the node has room; else NULL. Spares never evict anything.
 */
static struct instance *spare_slot(const struct runtime_def *rt)
{
	struct instance *got = NULL;
	int have = 0;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < W.max_instances; i++) {
		struct instance *in = &slots[i];
		if (in->spare && in->rt == rt)
			have++;
		else if (!in->live && !in->busy && got == NULL)
			got = in;
	}
	if (have >= W.prestart || promised_mb() + TF_MIN_MEMORY_MB > W.memory_budget_mb)
		got = NULL;
	if (got) {
		got->busy = true;
		got->spare = true;  /* counted from now, so that no other thread boots it twice */
		got->rt = rt;
		got->budget_mb = TF_MIN_MEMORY_MB;
	}
	pthread_mutex_unlock(&lock);
	return got;
}

/* Boots spares until every available runtime has W.prestart of them (or no room is left). */
static void fill_spares(void)
{
	for (unsigned r = 0; r < W.nruntimes && !W.stopping; r++) {
		const struct runtime_def *rt = &W.runtimes[r];
		struct instance *in;
		while (rt->available && !W.stopping && (in = spare_slot(rt)) != NULL) {
			int booted = instance_prestart(in, rt);
			pool_release(in);
			if (booted != 0) {
				log_warn("cannot boot a spare %s instance", rt->info->id);
				break;
			}
		}
	}
}

void *spares_main(void *arg)
{
	(void)arg;
	while (!W.stopping) {
		fill_spares();
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SPARE_CHECK_MS / 1000;
		pthread_mutex_lock(&lock);
		pthread_cond_timedwait(&spares_wanted, &lock, &until);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
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

/* Whether an instance serves a function version and waits for its next invocation (under the lock). */
static bool idle_warm(const struct instance *in)
{
	return in->live && !in->busy && !in->spare && in->key[0];
}

int pool_idle(const char *key)
{
	int n = 0;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < W.max_instances; i++)
		n += idle_warm(&slots[i]) && strcmp(slots[i].key, key) == 0;
	pthread_mutex_unlock(&lock);
	return n;
}

char *pool_idle_json(void)
{
	json_object *o = json_object_new_object();

	pthread_mutex_lock(&lock);
	for (int i = 0; i < W.max_instances; i++) {
		if (!idle_warm(&slots[i]))
			continue;
		json_object *n = NULL;
		json_object_object_get_ex(o, slots[i].key, &n);
		json_object_object_add(o, slots[i].key, json_object_new_int(n ? json_object_get_int(n) + 1 : 1));
	}
	pthread_mutex_unlock(&lock);
	char *text = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}
