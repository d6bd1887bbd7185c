/* ob_sock_internal.h -- what the kernel says about a socket (ob_sock.c). */
#ifndef SRC_SUBSTRATE_OB_SOCK_INTERNAL_H
#define SRC_SUBSTRATE_OB_SOCK_INTERNAL_H

#include <stdint.h>

/* Bytes written to the socket fd so far (acknowledged by the
 * peer, or still in the kernel's send queue); 0 when it cannot tell. */
uint64_t obi_sock_written(int fd);

#endif
