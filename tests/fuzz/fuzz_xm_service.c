/* fuzz_xm_service.c -- libFuzzer harness for xmucd's stanza handling: a
 * whole service (rooms, forms, admin requests, limits) is fed the input's
 * stanzas; what it sends is serialized and dropped.  A fake clock moves a
 * little with every stanza so rate limits come and go. */
#include <stdint.h>
#include <stdlib.h>

#include "stanzas.h"
#include "xm_log.h"
#include "xm_service.h"

static uint64_t clock_ms;

static uint64_t now(void *ctx)
{
    (void)ctx;
    return clock_ms;
}

static size_t drop(void *ctx, xmpp_stanza_t *st)
{
    char *buf;
    size_t len = 0;

    (void)ctx;
    if (xmpp_stanza_to_text(st, &buf, &len) == 0)
        xmpp_free(fuzz_ctx(), buf);
    return len;
}

static void handle(void *ud, xmpp_stanza_t *st, size_t bytes)
{
    clock_ms += 7;
    xm_service_handle(ud, st, bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const admins[] = {"admin@test", NULL};
    struct xm_out out = {drop, NULL, fuzz_ctx()};
    struct xm_service_config cfg = {.domain = "rooms.test",
                                    .max_rooms = 8,
                                    .max_occupants = 64,
                                    .max_stanza_bytes = 8192,
                                    .rate_per_s = 50,
                                    .rate_burst = 20,
                                    .admins = admins,
                                    .now_ms = now,
                                    .seed = 1};
    char err[128];
    xm_service *s;

    if (xm_service_new(&cfg, &out, err, sizeof err, &s) != XM_OK)
        return 0;
    xm_log_set_level(XM_LOG_ERROR);
    fuzz_stanzas(data, size, handle, s);
    xm_service_link_down(s);
    xm_service_link_up(s);
    xm_service_shutdown(s);
    xm_service_free(s);
    return 0;
}
