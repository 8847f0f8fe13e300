#ifndef TF_RATELIMIT_H
#define TF_RATELIMIT_H

#include "config.h"

void ratelimit_init(const struct config *cfg);

#endif
