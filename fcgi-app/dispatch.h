#ifndef TF_DISPATCH_H
#define TF_DISPATCH_H

#include "api.h"

void dispatch(const struct app *app, struct conn *conn, FCGX_Request *fr);

#endif
