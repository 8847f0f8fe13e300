/*
 * An alias's traffic split: routingConfig {"<version>": weight, ...}, whole
 * percents summing to 100, as stored. The draw is the one rule both the API
 * (invoke) and the worker (schedules) follow.
 */
#ifndef TF_ROUTING_H
#define TF_ROUTING_H

/*
 * The version one invocation goes to: a uniform draw in [0, 100) against the
 * cumulative weights of routing (JSON text, or NULL); dflt when routing is
 * NULL, empty or unreadable.
 */
long long routing_pick(const char *routing, long long dflt);

#endif
