/* fuzz_xm_live.c -- libFuzzer harness for xmucd's reader of its own live
 * state (xm_live.c, xm_room_live.c): the input is one DATA_DIR/live file;
 * a service starts on that folder (restoring what it accepts), tells the
 * restored occupants to rejoin, saves its state again and is dropped.
 * The files are xmucd's, but a crash, a disk or an old version may leave
 * anything in them: starting must never fail or crash because of one. */
#define _GNU_SOURCE /* nftw, mkdtemp */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xm_log.h"
#include "xm_service.h"

static char dir[64];
static xmpp_ctx_t *ctx;
static uint64_t clock_ms = 1000;

static uint64_t now(void *c)
{
    (void)c;
    return clock_ms;
}

static size_t drop(void *c, xmpp_stanza_t *st)
{
    (void)c, (void)st;
    return 1;
}

static int rm(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st, (void)f, (void)w;
    return remove(p);
}

static void cleanup(void)
{
    nftw(dir, rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* The data folder, made once (removed at exit), with DIR/live. */
static void setup(void)
{
    char live[96];

    snprintf(dir, sizeof dir, "/tmp/fuzz_xm_live.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(live, sizeof live, "%s/live", dir);
    if (mkdir(live, 0700) < 0)
        abort();
    atexit(cleanup);
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    xm_log_set_level(XM_LOG_ERROR);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xm_out out = {drop, NULL, NULL};
    struct xm_service_config cfg = {.domain = "rooms.test",
                                    .max_rooms = 4,
                                    .max_occupants = 64,
                                    .max_stanza_bytes = 8192,
                                    .now_ms = now,
                                    .seed = 1};
    char path[128], err[256];
    xm_service *s;
    FILE *f;

    if (!dir[0])
        setup();
    out.xctx = ctx;
    cfg.data_dir = dir;
    snprintf(path, sizeof path, "%s/live/fuzz.live", dir);
    if (!(f = fopen(path, "w")) || fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    if (xm_service_new(&cfg, &out, err, sizeof err, &s) != XM_OK)
        abort(); /* a bad file must never stop xmucd */
    xm_service_link_up(s);
    clock_ms += 2000;
    xm_service_tick(s);
    xm_service_free(s);
    unlink(path);
    return 0;
}
