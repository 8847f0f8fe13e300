#ifndef TF_ALIASES_H
#define TF_ALIASES_H

#include "api.h"

/* The version an invocation through this alias runs: drawn by weight when it routes. */
int alias_pick_version(struct req *r, const char *fn_id, const char *alias, long long *version);

#endif
