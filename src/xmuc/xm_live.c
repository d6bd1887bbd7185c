/* xm_live.c -- rooms' live state in the data folder (see xm_live.h).
 * File names are percent-encoded room names plus ".live", as xm_store.c
 * does for persistent rooms. */
#include "config.h"

#include "xm_live.h"
#include "xm_room_live.h"
#include "xm_roomcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (64u << 20) /* a larger .live file is not read */

struct xm_live {
    char *dir;                /* DATA_DIR/live */
    volatile uint64_t *table; /* slots x (epoch, seq) */
    uint32_t slots;
    uint8_t *used;    /* per slot: bound or claimed */
    uint32_t hint;    /* where to look for a free slot first */
    uint64_t next_ms; /* next flush due */
};

static int map_table(xm_live *l, char *err, size_t errlen)
{
    char path[4200];
    size_t bytes = (size_t)l->slots * 2 * sizeof(uint64_t);
    int fd;
    void *m;

    snprintf(path, sizeof path, "%s/seqs", l->dir);
    if ((fd = open(path, O_RDWR | O_CREAT, 0600)) < 0 ||
        ftruncate(fd, (off_t)bytes) < 0 ||
        (m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
            MAP_FAILED) {
        snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    l->table = m;
    return 0;
}

int xm_live_open(const char *data_dir, uint32_t slots, char *err, size_t errlen,
                 xm_live **out)
{
    xm_live *l = calloc(1, sizeof *l);

    *out = NULL;
    if (!l || asprintf(&l->dir, "%s/live", data_dir) < 0 ||
        !(l->used = calloc(slots ? slots : 1, 1))) {
        snprintf(err, errlen, "out of memory");
        if (l)
            l->dir = NULL;
        xm_live_free(l);
        return XM_ENOMEM;
    }
    l->slots = slots;
    /* private: the rooms' signing keys are in it (an older folder, too) */
    if ((mkdir(l->dir, 0700) < 0 && errno != EEXIST) ||
        chmod(l->dir, 0700) < 0 || access(l->dir, W_OK) < 0) {
        snprintf(err, errlen, "cannot use %s: %s", l->dir, strerror(errno));
        xm_live_free(l);
        return XM_EIO;
    }
    if (slots && map_table(l, err, errlen) < 0) {
        xm_live_free(l);
        return XM_EIO;
    }
    *out = l;
    return XM_OK;
}

void xm_live_free(xm_live *l)
{
    if (!l)
        return;
    if (l->table)
        munmap((void *)l->table, (size_t)l->slots * 2 * sizeof(uint64_t));
    free(l->used);
    free(l->dir);
    free(l);
}

static int live_path(const xm_live *l, const char *name, const char *suffix,
                     char *buf, size_t len)
{
    char *enc = xm_pct_encode(name);
    int n;

    if (!enc)
        return -1;
    n = snprintf(buf, len, "%s/%s.live%s", l->dir, enc, suffix);
    free(enc);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

volatile uint64_t *xm_live_slot(xm_live *l, uint32_t index)
{
    return index && index <= l->slots ? &l->table[2 * (size_t)(index - 1)]
                                      : NULL;
}

void xm_live_claim(xm_live *l, uint32_t index)
{
    if (index && index <= l->slots)
        l->used[index - 1] = 1;
}

/* A free slot's 1-based index, or 0 when the table is full. */
static uint32_t slot_alloc(xm_live *l)
{
    for (uint32_t n = 0; n < l->slots; n++) {
        uint32_t i = (l->hint + n) % l->slots;
        if (!l->used[i]) {
            l->used[i] = 1;
            l->hint = i + 1;
            return i + 1;
        }
    }
    return 0;
}

/* The whole file (at most FILE_MAX bytes), NUL-terminated, or NULL. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    long n;

    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        (unsigned long)n <= FILE_MAX && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1))) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else
            buf[n] = '\0';
    }
    if (f)
        fclose(f);
    return buf;
}

int xm_live_each(xm_live *l,
                 int (*restore)(void *ctx, const char *name, char *text),
                 void *ctx)
{
    char path[4400];
    DIR *d = opendir(l->dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        char *name, *text;
        if (len < 6 || strcmp(e->d_name + len - 5, ".live"))
            continue; /* also skips leftover .tmp files */
        snprintf(path, sizeof path, "%s/%s", l->dir, e->d_name);
        e->d_name[len - 5] = '\0';
        if (!(name = xm_pct_decode(e->d_name)))
            continue;
        if ((text = slurp(path)) && restore(ctx, name, text) == 0)
            n++;
        else
            unlink(path); /* unreadable, or refused: forgotten */
        free(text);
        free(name);
    }
    if (d)
        closedir(d);
    for (uint32_t i = 0; i < l->slots; i++)
        if (!l->used[i])
            l->table[2 * i] = l->table[2 * i + 1] = 0;
    return n;
}

int xm_live_save(xm_live *l, xm_room *r)
{
    char path[4400], tmp[4404];
    uint32_t slot;
    FILE *f;
    int ok;

    if (!xm_room_live_slot(r) && (slot = slot_alloc(l)))
        xm_room_live_bind(r, xm_live_slot(l, slot), slot);
    if (!xm_room_live_changed(r))
        return 0;
    if (live_path(l, xm_room_name(r), "", path, sizeof path) < 0 ||
        live_path(l, xm_room_name(r), ".tmp", tmp, sizeof tmp) < 0 ||
        !(f = fopen(tmp, "w")))
        return -1;
    ok = xm_room_live_save(r, f) == 0;
    if (fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        xm_room_live_touch(r); /* try again at the next flush */
        return -1;
    }
    return 0;
}

void xm_live_drop(xm_live *l, xm_room *r)
{
    char path[4400];
    uint32_t slot = xm_room_live_slot(r);

    if (live_path(l, xm_room_name(r), "", path, sizeof path) == 0)
        unlink(path);
    if (slot && slot <= l->slots) {
        l->table[2 * (size_t)(slot - 1)] = 0;
        l->used[slot - 1] = 0;
    }
    xm_room_live_bind(r, NULL, 0);
}

bool xm_live_due(const xm_live *l, uint64_t now)
{
    return now >= l->next_ms;
}

void xm_live_flushed(xm_live *l, uint64_t now, uint64_t took_ms)
{
    l->next_ms = now + (took_ms * 10 > 1000 ? took_ms * 10 : 1000);
}
