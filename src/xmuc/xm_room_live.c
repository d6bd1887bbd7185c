/* xm_room_live.c -- what a room must keep to survive a restart of xmucd
 * (prefix xm_room_live_): its groupcast epoch and sequence number, and
 * who was in it, as text for xm_live.c to store in the data folder.
 *
 * The idea: a restarted xmucd cannot take occupants back (their
 * presences went to the old process), but it can tell each of them that
 * it was removed (110 + 332, as after a link loss) so their clients
 * rejoin at once, and it can keep the room they rejoin as it was:
 * configuration, affiliations (the owner stays the owner), and the
 * groupcast stream (same epoch, numbering carried on).  The sequence
 * number is written on every groupcast into a slot of a memory-mapped
 * file (a store to memory; the kernel keeps the page when the process
 * dies), the rest lazily (xm_live.c).
 *
 * The text: "epoch E", "slot K" (K >= 1), "seq S", "key HEX" (the
 * signing key's seed, 64 hex digits: the data folder is 0700), then
 * xm_room_save's lines (configuration, affiliations, subject), then a line
 * "--", then one "occupant NICK JID" line each (percent-encoded). */
#include "config.h"

#include "xm_log.h"
#include "xm_room_internal.h"
#include "xm_room_live.h"
#include "vm.h"
#include "ut_rand.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Spreads x (the service's seed, the room's name, the clock) into 64
 * bits: one splitmix64 step from state x. */
static uint64_t mix(uint64_t x)
{
    return ut_splitmix64(&x);
}

void xm_room_live_init(xm_room *r)
{
    uint64_t h = r->env->seed ^ mix(r->env->now_ms(r->env->ctx));

    for (const unsigned char *p = (const unsigned char *)r->name; *p; p++)
        h = mix(h ^ *p);
    r->epoch = (h & 0x7fffffffffffffffULL) | 1; /* never 0 */
    r->live_version = UINT64_MAX;
}

uint64_t xm_room_epoch(const xm_room *r)
{
    return r->epoch;
}
uint32_t xm_room_live_slot(const xm_room *r)
{
    return r->seq_index;
}

void xm_room_live_touch(xm_room *r)
{
    r->live_dirty = true;
}

bool xm_room_live_changed(const xm_room *r)
{
    return r->live_dirty || r->live_version != r->version;
}

void xm_room_live_bind(xm_room *r, volatile uint64_t *slot, uint32_t index)
{
    r->seq_slot = slot;
    r->seq_index = index;
    if (slot) {
        slot[0] = r->epoch;
        slot[1] = r->seq;
    }
}

bool xm_room_live_graced(const xm_room *r, uint64_t now, uint64_t grace_ms)
{
    return r->restored_ms && now - r->restored_ms < grace_ms;
}

bool xm_room_live_grace_over(const xm_room *r, uint64_t now, uint64_t grace_ms)
{
    return r->restored_ms && now - r->restored_ms >= grace_ms;
}

void xm_room_live_end_grace(xm_room *r)
{
    r->restored_ms = 0;
}

static int save_occupants(const xm_room *r, FILE *f)
{
    for (uint32_t i = 0; i < r->cap; i++) {
        char *nick, *jid;
        if (!r->occ[i])
            continue;
        nick = xm_pct_encode(r->occ[i]->nick);
        jid = xm_pct_encode(r->occ[i]->jid);
        if (nick && jid)
            fprintf(f, "occupant %s %s\n", nick, jid);
        free(nick);
        free(jid);
        if (!nick || !jid)
            return -1;
    }
    return 0;
}

int xm_room_live_save(xm_room *r, FILE *f)
{
    uint8_t seed[32];

    fprintf(f, "epoch %" PRIu64 "\nslot %" PRIu32 "\nseq %" PRIu64 "\n",
            r->epoch, r->seq_index, r->seq);
    if (xm_room_gc_key_seed(r, seed) == 0) {
        fputs("key ", f);
        for (size_t i = 0; i < sizeof seed; i++)
            fprintf(f, "%02x", seed[i]);
        fputc('\n', f);
    }
    if (xm_room_save(r, f) < 0 || fputs("--\n", f) < 0 ||
        save_occupants(r, f) < 0 || ferror(f))
        return -1;
    r->live_version = r->version;
    r->live_dirty = false;
    return 0;
}

/* One "occupant NICK JID" line's value (modified in place) into
 * r->forgotten (told 332 on link up). */
static int add_forgotten(xm_room *r, char *value)
{
    char *sp = strchr(value, ' ');
    struct xm_forgotten *f;

    if (!sp || sp == value || !sp[1] || strchr(sp + 1, ' '))
        return -1;
    *sp = '\0';
    if (!(f = realloc(r->forgotten, (r->n_forgotten + 1) * sizeof *f)))
        return -1;
    r->forgotten = f;
    f = &f[r->n_forgotten];
    f->nick = xm_pct_decode(value);
    f->jid = xm_pct_decode(sp + 1);
    if (!f->nick || !f->jid || !*f->nick || !*f->jid) {
        free(f->nick);
        free(f->jid);
        return -1;
    }
    r->n_forgotten++;
    return 0;
}

static int head_set(struct xm_room_live_head *h, const char *name,
                    unsigned long long v)
{
    if (!strcmp(name, "epoch"))
        h->epoch = v;
    else if (!strcmp(name, "slot") && v <= UINT32_MAX)
        h->slot = (uint32_t)v;
    else if (!strcmp(name, "seq"))
        h->seq = v;
    else
        return -1;
    return 0;
}

/* "key HEX\n" at line into h; the length of the line, or 0. */
static size_t key_line(const char *line, struct xm_room_live_head *h)
{
    unsigned v;

    if (strncmp(line, "key ", 4) ||
        strspn(line + 4, "0123456789abcdef") != 64 || line[68] != '\n')
        return 0;
    for (size_t i = 0; i < sizeof h->key; i++) {
        sscanf(line + 4 + 2 * i, "%2x", &v);
        h->key[i] = (uint8_t)v;
    }
    h->has_key = true;
    return 69;
}

int xm_room_live_parse(char *text, struct xm_room_live_head *h, char **config,
                       char **occupants)
{
    char *line = text, *sep, name[16];
    unsigned long long v;
    int n;

    memset(h, 0, sizeof *h);
    for (size_t k;;)
        if ((k = key_line(line, h)))
            line += k;
        else if (sscanf(line, "%15s %llu%n", name, &v, &n) == 2 &&
                 line[n] == '\n' && head_set(h, name, v) == 0)
            line += n + 1;
        else
            break;
    if (!strncmp(line, "--\n", 3))
        sep = line;
    else if ((sep = strstr(line, "\n--\n")))
        sep++;
    else
        return -1; /* a file cut short */
    *sep = '\0';
    *config = line;
    *occupants = sep + 3;
    return h->epoch ? 0 : -1;
}

/* Splits "name value" in place; false for a malformed line. */
static bool split_line(char *s, char **name, char **value)
{
    char *sp = strchr(s, ' ');

    if (!sp || sp == s)
        return false;
    *sp = '\0';
    *name = s;
    *value = sp + 1;
    return true;
}

int xm_room_live_occupants(xm_room *r, char *text)
{
    char *line = text, *next, *name, *value;

    for (; line && *line; line = next) {
        size_t n = strcspn(line, "\n");
        next = line[n] ? line + n + 1 : NULL;
        line[n] = '\0';
        if (!split_line(line, &name, &value) || strcmp(name, "occupant") ||
            add_forgotten(r, value) < 0)
            return -1;
    }
    return 0;
}

bool xm_room_live_restore(xm_room *r, const struct xm_room_live_head *h,
                          volatile uint64_t *slot, uint64_t now)
{
    r->restored_ms = now ? now : 1;
    if (!slot || slot[0] != h->epoch)
        return false; /* the stream's numbering is lost: a new epoch */
    r->epoch = h->epoch;
    r->seq = slot[1] > h->seq ? slot[1] : h->seq;
    if (h->has_key && xm_room_gc_set_key(r, h->key) < 0)
        xm_warn("room %s: its signing key did not come back: members drop "
                "the old stream's records still in flight",
                r->name);
    return true;
}
