/* xm_live.h -- rooms' live state in the data folder, so that a restarted
 * xmucd (killed, crashed or stopped) gets its rooms, their owners and
 * their groupcast numbering back and can tell the occupants to rejoin
 * (prefix xm_live_; docs/xmucd.md, "Restarts").
 *
 * DATA_DIR/live/NAME.live holds each room's text (xm_room_live.c),
 * rewritten (temporary file, rename) when the room changed, at most once
 * per flush; DATA_DIR/live/seqs is a table of (epoch, seq) slots mapped
 * into memory, where a room's sequence number is stored on every
 * groupcast.  Neither is synced to disk: they are meant to outlive the
 * process, not the machine (after a power loss the occupants' sessions
 * are gone too). */
#ifndef SRC_XMUC_XM_LIVE_H
#define SRC_XMUC_XM_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "xm_error.h"
#include "xm_room.h"

typedef struct xm_live xm_live;

/* How long a restored room is kept without occupants, so that they can
 * come back before an empty temporary room is removed. */
#define XM_LIVE_GRACE_MS 60000

/* Opens (creating) DATA_DIR/live with a table of `slots` seq slots.
 * Returns XM_OK and sets *out, or with *out NULL and a reason in err:
 * XM_ENOMEM when out of memory, XM_EIO when the folder or the table
 * cannot be used. */
int xm_live_open(const char *data_dir, uint32_t slots, char *err, size_t errlen,
                 xm_live **out);
/* Unmaps and frees; the files stay. */
void xm_live_free(xm_live *l);

/* Calls restore(ctx, name, text) for every saved room (text is the
 * file's contents, modifiable, freed after the call); then slots no
 * restored room claimed (xm_live_claim) are cleared.  The number of
 * rooms for which restore returned 0. */
int xm_live_each(xm_live *l,
                 int (*restore)(void *ctx, const char *name, char *text),
                 void *ctx);
/* The slot with 1-based index (NULL when out of range), and claiming it
 * for a restored room. */
volatile uint64_t *xm_live_slot(xm_live *l, uint32_t index);
void xm_live_claim(xm_live *l, uint32_t index);

/* Saves r if it changed since its last save, binding it to a free slot
 * first if it has none.  0 or -1 (logged by the caller). */
int xm_live_save(xm_live *l, xm_room *r);
/* r is going away: its file is removed and its slot freed. */
void xm_live_drop(xm_live *l, xm_room *r);

/* Flush pacing: whether a flush is due at now, and recording one that
 * took took_ms (the next is due one second later, or ten times took_ms
 * when that is longer, so flushing takes at most a tenth of the time). */
bool xm_live_due(const xm_live *l, uint64_t now);
void xm_live_flushed(xm_live *l, uint64_t now, uint64_t took_ms);

#endif
