/* xm_room_live.h -- a room's state across a restart of xmucd (prefix
 * xm_room_live_; xm_room_live.c says what and why).  xm_live.c stores
 * it; the service restores it. */
#ifndef SRC_XMUC_XM_ROOM_LIVE_H
#define SRC_XMUC_XM_ROOM_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "xm_room.h"
#include "xm_room_gc.h"

/* The first lines of a room's saved text. */
struct xm_room_live_head {
    uint64_t epoch, seq;
    uint32_t slot; /* 1-based seq slot; 0: none */
    bool has_key;  /* a "key" line: the signing key's seed */
    uint8_t key[32];
};

/* A new room's epoch (random, never 0); called by xm_room_new. */
void xm_room_live_init(xm_room *r);
/* The groupcast epoch, sent in every self-presence (<view epoch=/>). */
uint64_t xm_room_epoch(const xm_room *r);
/* The room's seq slot (1-based), 0 when it has none yet. */
uint32_t xm_room_live_slot(const xm_room *r);
/* The configuration, affiliations or subject changed. */
void xm_room_live_touch(xm_room *r);
/* Anything to save since the last xm_room_live_save (joins, leaves, nick
 * changes, xm_room_live_touch)? */
bool xm_room_live_changed(const xm_room *r);
/* From now on r's sequence number is also stored in slot[1] (slot[0]
 * gets the epoch), a slot of the memory-mapped table; index is 1-based.
 * slot NULL unbinds. */
void xm_room_live_bind(xm_room *r, volatile uint64_t *slot, uint32_t index);
/* Writes r's text (the file comment of xm_room_live.c).  0 or -1. */
int xm_room_live_save(xm_room *r, FILE *f);
/* Splits a saved text in place: its head, the configuration part (for
 * xm_room_load) and the occupant lines.  0, or -1 when malformed or cut
 * short. */
int xm_room_live_parse(char *text, struct xm_room_live_head *h, char **config,
                       char **occupants);
/* Adds the occupant lines (modified in place) to the occupants told to
 * rejoin at the next link up (xm_room_notify_forgotten).  0 or -1. */
int xm_room_live_occupants(xm_room *r, char *text);
/* r was restored at now: it keeps h's epoch and carries on its numbering
 * when slot (the table's slot h->slot, or NULL) still holds that epoch
 * (true: bind it to that slot); otherwise it keeps its fresh epoch and
 * numbers from 1 (false). */
bool xm_room_live_restore(xm_room *r, const struct xm_room_live_head *h,
                          volatile uint64_t *slot, uint64_t now);
/* A restored room within grace_ms of its restoration (kept even empty so
 * its occupants can come back), one whose grace is over, and ending it. */
bool xm_room_live_graced(const xm_room *r, uint64_t now, uint64_t grace_ms);
bool xm_room_live_grace_over(const xm_room *r, uint64_t now, uint64_t grace_ms);
void xm_room_live_end_grace(xm_room *r);

#endif
