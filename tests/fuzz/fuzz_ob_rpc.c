/* fuzz_ob_rpc.c -- libFuzzer harness for the RPC frames a peer may send
 * (obi_rpc_recv): the input is cut into frames (a length byte, then that
 * many bytes), each given to a core that has a call in flight (id 1, to
 * the sender) and two methods, one answering at once and one keeping its
 * requests (answered when the table is full).  Nothing may crash, leak
 * or complete the call twice. */
#include <stdint.h>
#include <stdlib.h>

#include "ob_rpc_internal.h"

static int done_calls;
static ob_rpc_req *kept[8];
static size_t nkept;

static int sink(void *ctx, const char *peer, const void *f, size_t len)
{
    (void)ctx, (void)peer, (void)f, (void)len;
    return OB_OK;
}

static void done(ob_client *c, const struct ob_rpc_result *r, void *arg)
{
    (void)c, (void)r, (void)arg;
    if (++done_calls > 1)
        abort(); /* one call, completed twice */
}

static void now_fn(ob_client *c, ob_rpc_req *q, const void *d, size_t n,
                   void *arg)
{
    (void)c, (void)arg;
    ob_rpc_reply(q, d, n);
}

static void later_fn(ob_client *c, ob_rpc_req *q, const void *d, size_t n,
                     void *arg)
{
    (void)c, (void)d, (void)n, (void)arg;
    if (nkept == sizeof kept / sizeof kept[0])
        while (nkept)
            ob_rpc_fail(kept[--nkept], 1, "full");
    kept[nkept++] = q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct obi_rpc *r;

    done_calls = 0;
    nkept = 0;
    if (obi_rpc_new(NULL, sink, NULL, &r))
        return 0;
    obi_rpc_register(r, "now", now_fn, NULL);
    obi_rpc_register(r, "later", later_fn, NULL);
    obi_rpc_call(r, 0, "p@x/r", "m", "x", 1, 0, done, NULL, NULL);
    while (size) {
        size_t n = data[0] < size - 1 ? data[0] : size - 1;
        obi_rpc_recv(r, 0, "p@x/r", data + 1, n);
        data += 1 + n;
        size -= 1 + n;
    }
    obi_rpc_free(r); /* frees the kept requests */
    return 0;
}
