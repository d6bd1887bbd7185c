/* hs_netns.h -- network segments for tests, made of network namespaces.
 *
 * hs_netns_new(n) builds a core namespace (where the test's XMPP server
 * and xmucd run) and n segment namespaces, each joined to the core by
 * its own veth pair:
 *
 *     segment k (1..n): 10.213.k.2/24  <-- veth -->  core: 10.213.k.1/24
 *
 * A segment reaches the core (the server, on 10.213.k.1) and nothing
 * else: it has only its connected route, so a connection to another
 * segment fails at once (ENETUNREACH), and the core does not forward.
 * Every peer started in one segment shares that segment's address; peers
 * in a segment reach each other on it.
 *
 * Namespaces are entered per thread (setns): hs_netns_enter() moves the
 * calling thread, and the sockets it opens afterwards, into a namespace;
 * processes forked from that thread start there.  Tests should not move
 * their main thread (Criterion's own messaging may need its namespace):
 * hs_netns_call() runs a function in a fresh thread inside a namespace.  The
 * namespaces are removed by hs_netns_free(), or by a supervisor (hs_proc) if
 * the test dies first.  Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and
 * iproute2's ip; hs_netns_new says so (HS_NETNS_EPERM) when it cannot. */
#ifndef TOOLS_HARNESS_HS_NETNS_H
#define TOOLS_HARNESS_HS_NETNS_H

#include <stddef.h>

typedef struct hs_netns hs_netns;

#define HS_NETNS_MAX 16

enum hs_netns_result {
    HS_NETNS_OK = 0,
    HS_NETNS_ENOMEM = -1,
    HS_NETNS_EINVAL = -2, /* n out of range */
    HS_NETNS_EPERM = -3,  /* not root, or no ip */
    HS_NETNS_ESYS = -4,   /* a command or system call failed */
};

/* Builds the core and n segments (1..HS_NETNS_MAX).  Returns HS_NETNS_OK
 * and sets *out, or a negative HS_NETNS_E* code with *out NULL and a
 * reason in err (not root, no ip, a command that failed and what it
 * said). */
int hs_netns_new(int n, char *err, size_t errlen, hs_netns **out);

/* Removes the namespaces and frees.  Threads still inside one keep it
 * alive until they leave.  NULL is a no-op. */
void hs_netns_free(hs_netns *ns);

int hs_netns_segments(const hs_netns *ns);

/* The namespace's name (seg 0 is the core). */
const char *hs_netns_name(const hs_netns *ns, int seg);

/* The core's address on segment seg's link ("10.213.seg.1"): where peers
 * of that segment reach the server. */
const char *hs_netns_core_addr(const hs_netns *ns, int seg);

/* Segment seg's own address ("10.213.seg.2"). */
const char *hs_netns_seg_addr(const hs_netns *ns, int seg);

/* Bytes the core has sent to segment seg (1..n) on its link, and received
 * from it, since the link was made (the core side's interface counters,
 * IP headers included).  0, or -1 when they cannot be read. */
int hs_netns_link_bytes(const hs_netns *ns, int seg, unsigned long long *to_seg,
                        unsigned long long *from_seg);

/* Moves the calling thread into namespace seg (0: the core).  0 or -1. */
int hs_netns_enter(const hs_netns *ns, int seg);

/* Moves the calling thread back to the namespace it was created in. */
int hs_netns_leave(const hs_netns *ns);

/* Runs fn(arg) in a new thread inside namespace seg and waits for it.
 * 0, or -1 when the thread could not be made or could not enter. */
int hs_netns_call(const hs_netns *ns, int seg, void (*fn)(void *), void *arg);

#endif
