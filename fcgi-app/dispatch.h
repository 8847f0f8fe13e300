#ifndef TF_DISPATCH_H
#define TF_DISPATCH_H

#include "api.h"

/*
 * Serves one request. Returns true when the request was parked (runlink.h): it
 * and fr belong to a runner link now, which finishes them; false when answered.
 */
bool dispatch(const struct app *app, struct conn *conn, FCGX_Request *fr);
/* Sends the answer (or the error when rc != 0), logs the request, and frees it and its FastCGI request. */
void dispatch_finish(struct req *r, int rc);

#endif
