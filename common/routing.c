#include <string.h>

#include "ids.h"
#include "jsonx.h"
#include "num.h"
#include "routing.h"

long long routing_pick(const char *routing, long long dflt)
{
	char why[64];
	long long version = dflt;
	json_object *w = routing ? json_parse_text(routing, strlen(routing), why, sizeof(why)) : NULL;

	if (w && json_object_is_type(w, json_type_object) && json_object_object_length(w) > 0) {
		unsigned char rnd[4];
		random_bytes(rnd, sizeof(rnd));
		/* 2^32 % 100 leaves a bias below one in forty million */
		unsigned draw = ((unsigned)rnd[0] << 24 | (unsigned)rnd[1] << 16 | (unsigned)rnd[2] << 8 | rnd[3]) % 100;
		unsigned acc = 0;
		json_object_object_foreach(w, k, v) {
			long long ver;
			acc += (unsigned)json_object_get_int64(v);
			if (draw < acc && parse_ll(k, 1, INT32_MAX, &ver) == 0) {
				version = ver;
				break;
			}
		}
	}
	json_object_put(w);
	return version;
}
