/* xm_notify.h -- systemd's notification protocol (sd_notify(3)) without
 * libsystemd: one datagram per state change to $NOTIFY_SOCKET.
 *
 * xmucd says READY=1 once its component link is up the first time,
 * RELOADING=1 then READY=1 around a reload (SIGHUP), STOPPING=1 when it
 * stops, and WATCHDOG=1 every half of $WATCHDOG_USEC.  Outside systemd
 * (no $NOTIFY_SOCKET) every call does nothing. */
#ifndef SRC_XMUC_XM_NOTIFY_H
#define SRC_XMUC_XM_NOTIFY_H

#include <stdint.h>

/* Sends state ("READY=1", "STOPPING=1", ...; several lines allowed) to
 * $NOTIFY_SOCKET: a path, or an abstract socket when it starts with '@'.
 * Returns 0 when sent, 1 when there is no $NOTIFY_SOCKET, -1 when it
 * could not be sent. */
int xm_notify(const char *state);

/* Sends RELOADING=1 with MONOTONIC_USEC (what Type=notify-reload asks). */
int xm_notify_reloading(void);

/* $WATCHDOG_USEC when it is set for this process ($WATCHDOG_PID absent
 * or ours), else 0. */
uint64_t xm_notify_watchdog_usec(void);

#endif
