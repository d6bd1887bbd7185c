/* e2e_policy.h -- which direct end-to-end sessions a peer holds (Orbweb
 * paper, section 6.1).
 *
 * A sans-I/O core (prefix e2e_policy_): no XMPP, no sockets, no clock.
 * The caller samples every outgoing stanza per target (a full JID), calls
 * e2e_policy_round() once per round with the time, and carries out the
 * OPEN and CLOSE actions the policy asks for through its act callback,
 * then reports what happened (opened, failed, closed).  Incoming requests
 * are put to e2e_policy_accept().
 *
 * Model (docs/e2e-policy.md has the numbers and the reasons):
 *   priority      p <- p * aging + bytes sampled since the last round
 *   nominal list  the highest scores within the free slots, where a held
 *                 outgoing session scores p * hysteresis and any other
 *                 peer p; peers below min_priority or greylisted are out,
 *                 peers with consecutive failures only fill what is left
 *   greylist      after f consecutive failures a peer is not opened for
 *                 grey_max_ms / (1 + exp(-grey_steep * (f - grey_mid)))
 *   penalty       a closed session's priority is multiplied by penalty
 *
 * Results: 0 (E2E_POLICY_OK) or a negative enum e2e_policy_result;
 * e2e_policy_strerror() names them.  Out of memory is returned, never
 * aborted on, and leaves the state as it was. */
#ifndef SRC_E2E_E2E_POLICY_H
#define SRC_E2E_E2E_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct e2e_policy e2e_policy;

enum e2e_policy_result {
    E2E_POLICY_OK = 0,
    E2E_POLICY_ENOMEM = -1, /* out of memory; nothing changed */
    E2E_POLICY_EINVAL = -2, /* bad argument (parameter, JID) */
    E2E_POLICY_EFULL = -3,  /* peer table full of peers it must keep */
    E2E_POLICY_EBUSY = -4,  /* called from inside its own act callback */
    E2E_POLICY_ELIMIT = -5, /* opened() beyond the session limit */
};

/* Longest peer JID accepted: RFC 7622 allows 1023 bytes per part. */
#define E2E_POLICY_MAX_JID 3071

/* Optional allocator; realloc must accept NULL like realloc(3), free must
 * accept NULL. */
typedef struct e2e_policy_allocator {
    void *(*realloc)(void *ctx, void *ptr, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
} e2e_policy_allocator;

struct e2e_policy_params {
    int limit;            /* max sessions held (in + out + pending); 8 */
    double aging;         /* (0,1): priority *= aging each round; 0.5 */
    uint64_t round_ms;    /* the period the caller runs rounds at; 1000 */
    double penalty;       /* [0,1]: priority factor when a session
                             closes; 0.1 */
    double min_priority;  /* below this score no session is wanted;
                             8192 (bytes, i.e. 4 KiB/round sustained) */
    uint64_t grey_max_ms; /* greylist sigmoid: height; 60000 */
    double grey_mid;      /* failures at half height; 3 */
    double grey_steep;    /* slope; 1.5 */
    /* additions to the lead's interface */
    double hysteresis;        /* >= 1: a held outgoing session's score
                                 factor; 1.5 */
    size_t max_peers;         /* peers tracked at most; 4096 */
    double forget_below;      /* idle, not greylisted peers whose priority
                                 fell below this are forgotten; 64 */
    uint64_t open_timeout_ms; /* a pending open not reported within this
                                 counts as failed; 30000 */
    const e2e_policy_allocator *alloc; /* copied; NULL: the C library */
};

enum e2e_policy_action { E2E_POLICY_OPEN, E2E_POLICY_CLOSE };

/* Asks the caller to open (initiate) or close a session with peer.  The
 * policy has already counted it: an OPEN is pending until opened() or
 * failed(), a CLOSE is gone at once (penalty applied).  peer is lent for
 * the call.  The callback must not call back into the same policy (those
 * calls return E2E_POLICY_EBUSY, accept returns false); queue instead. */
typedef void (*e2e_policy_act_fn)(void *ud, enum e2e_policy_action a,
                                  const char *peer);

/* Fills *out with the defaults above. */
void e2e_policy_defaults(struct e2e_policy_params *out);
/* p NULL: defaults.  EINVAL when a parameter is out of range (limit < 1,
 * aging outside (0,1), penalty outside [0,1], hysteresis < 1, max_peers
 * < limit, negative priorities, grey_steep <= 0, round_ms 0, grey_max_ms
 * above 2^52). */
int e2e_policy_new(const struct e2e_policy_params *p, e2e_policy_act_fn act,
                   void *ud, e2e_policy **out);
void e2e_policy_free(e2e_policy *p);

/* An outgoing stanza of `bytes` to peer (a full JID), on any path.
 * May forget the lowest-priority idle peer when the table is full
 * (EFULL when every tracked peer must be kept). */
int e2e_policy_sample(e2e_policy *p, const char *peer, size_t bytes);
/* A peer the caller needs a session with whatever its traffic (liborbweb
 * pins its groupcast neighbours).  While pinned (more pin() than unpin()
 * calls) the peer ranks as if it had min_priority more priority, so it
 * qualifies on its own and traffic still orders pinned peers, and it is
 * never forgotten.  The greylist and the limit apply as to any peer.
 * unpin() of a peer not pinned is a no-op.  0, or EINVAL, ENOMEM, EFULL,
 * EBUSY as sample(). */
int e2e_policy_pin(e2e_policy *p, const char *peer);
int e2e_policy_unpin(e2e_policy *p, const char *peer);
/* One round at now_ms: ages priorities, expires pending opens, forgets
 * faded peers, computes the nominal list and calls act(): CLOSE for held
 * outgoing sessions no longer nominal first, then OPEN for nominal peers
 * without a session.  Returns the number of actions, or a negative
 * error (nothing changed then). */
int e2e_policy_round(e2e_policy *p, uint64_t now_ms);

/* Outcomes reported by the I/O layer.  opened(): the session is up (a
 * pending peer moves to held; a peer not pending takes a free slot or gets
 * ELIMIT, and the caller must close it); resets the peer's failures.
 * Reporting an already held session again changes nothing. */
int e2e_policy_opened(e2e_policy *p, const char *peer, bool incoming,
                      uint64_t now_ms);
/* The attempt failed (declined, timed out, error): frees its slot, counts
 * a consecutive failure and greylists the peer.  On a held session it
 * closes it as closed() would, then counts the failure. */
int e2e_policy_failed(e2e_policy *p, const char *peer, uint64_t now_ms);
/* A held session ended: frees the slot, priority *= penalty.  A peer
 * without a session (already closed by a CLOSE action) is a no-op; an
 * attempt that ends before it was up is reported with failed(). */
int e2e_policy_closed(e2e_policy *p, const char *peer, uint64_t now_ms);

/* An incoming request.  true: accepted, a slot is reserved (pending until
 * opened() or failed()); when all slots were taken, the lowest-scoring
 * held outgoing session was displaced (act(CLOSE) called first), which
 * happens only if the newcomer has no consecutive failures and its
 * priority is not lower than that session's score (p * hysteresis).  A peer
 * already held or pending is accepted without a new slot (simultaneous opens).
 * false: the caller declines with a resource-constraint error. */
bool e2e_policy_accept(e2e_policy *p, const char *peer, uint64_t now_ms);

bool e2e_policy_greylisted(const e2e_policy *p, const char *peer,
                           uint64_t now_ms);
/* Sessions held (opened, in + out). */
size_t e2e_policy_sessions(const e2e_policy *p);
/* Slots reserved for opens not yet reported (in + out). */
size_t e2e_policy_pending(const e2e_policy *p);
/* Peers tracked. */
size_t e2e_policy_peers(const e2e_policy *p);
/* The peer's priority as of the last round (0 when untracked). */
double e2e_policy_priority(const e2e_policy *p, const char *peer);
/* The greylist duration after f consecutive failures, in ms (rounded to
 * the nearest ms; 0 for f == 0). */
uint64_t e2e_policy_grey_ms(const e2e_policy *p, unsigned f);
/* The parameters in force (round_ms is the period to run rounds at). */
const struct e2e_policy_params *e2e_policy_params(const e2e_policy *p);
const char *e2e_policy_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
