/* ob_wait_internal.h -- the wait helpers and the poll-loop accessors
 * (ob_wait.c): what the client module calls of them. */
#ifndef SRC_SUBSTRATE_OB_WAIT_INTERNAL_H
#define SRC_SUBSTRATE_OB_WAIT_INTERNAL_H

#include "ob_core_internal.h"

/* Frees c's poll state (its epoll descriptor), if ob_poll_fd made one. */
void obi_poll_free(ob_client *c);

#endif
