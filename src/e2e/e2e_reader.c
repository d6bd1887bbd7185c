/* e2e_reader.c -- the incoming direct stream, sans-I/O (see e2e_reader.h).
 *
 * The header is gathered until its closing '>' (quotes respected, at
 * most E2E_MAX_HEADER octets) and only then given to xs_parser, so that
 * nothing after it reaches expat when the stream switches to Fast
 * Infoset.  With XML framing the same parser goes on with the stanzas;
 * with FI framing each frame (LEB128 length, at most max_stanza octets)
 * is gathered whole and decoded into one stanza. */
#include "config.h"

#include "e2e_reader.h"
#include "e2e_fi.h"
#include "xs_parser.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum phase { HEADER, XML, FI, ENDED };

struct e2e_reader {
    xmpp_ctx_t *ctx;
    xs_parser *xml;
    fi_ctx *fctx;
    e2e_fi_dec *fi;
    struct e2e_reader_cb cb;
    void *ud;
    size_t max_stanza;
    enum phase phase;
    bool stopped;
    int error;
    char error_text[160];
    char hdr[E2E_MAX_HEADER];
    size_t hdr_len;
    uint8_t *frame; /* a partial frame, header included */
    size_t frame_len, frame_cap;
};

static int fail(e2e_reader *r, int code, const char *why)
{
    if (!r->error) {
        r->error = code;
        snprintf(r->error_text, sizeof r->error_text, "%s", why);
    }
    return r->error;
}

static void on_open(void *ud, const char **attrs)
{
    e2e_reader *r = ud;

    r->phase = XML;
    if (r->cb.on_header && !r->stopped)
        r->cb.on_header(r->ud, attrs);
}

static void on_stanza(void *ud, xmpp_stanza_t *st, size_t bytes)
{
    e2e_reader *r = ud;

    (void)bytes;
    if (r->cb.on_stanza && !r->stopped)
        r->cb.on_stanza(r->ud, st);
}

static void on_end(void *ud)
{
    e2e_reader *r = ud;

    r->phase = ENDED;
    if (r->cb.on_close && !r->stopped)
        r->cb.on_close(r->ud);
}

int e2e_reader_new(xmpp_ctx_t *ctx, size_t max_stanza,
                   const struct e2e_reader_cb *cb, void *ud, e2e_reader **out)
{
    static const struct xs_callbacks xcb = {
        .on_open = on_open, .on_stanza = on_stanza, .on_close = on_end};
    struct fi_limits fl = {
        .max_depth = 64, .max_attributes = 256, .max_string = max_stanza};
    struct xs_limits xl = {.max_stanza_bytes = max_stanza, .max_depth = 64};
    e2e_reader *r = calloc(1, sizeof *r);

    if (!r)
        return E2E_READ_ENOMEM;
    r->ctx = ctx;
    r->cb = *cb;
    r->ud = ud;
    r->max_stanza = max_stanza;
    if (xs_parser_new(ctx, &xl, &xcb, r, &r->xml) != XS_OK ||
        fi_ctx_new(NULL, &fl, &r->fctx) != FI_OK ||
        e2e_fi_dec_new(ctx, r->fctx, &r->fi) != 0) {
        e2e_reader_free(r);
        return E2E_READ_ENOMEM;
    }
    *out = r;
    return 0;
}

void e2e_reader_free(e2e_reader *r)
{
    if (!r)
        return;
    xs_parser_free(r->xml);
    e2e_fi_dec_free(r->fi);
    fi_ctx_free(r->fctx);
    free(r->frame);
    free(r);
}

void e2e_reader_use_fi(e2e_reader *r)
{
    r->phase = FI;
}

void e2e_reader_stop(e2e_reader *r)
{
    r->stopped = true;
}

const char *e2e_reader_error_text(const e2e_reader *r)
{
    return r->error_text;
}

const char *e2e_reader_condition(int code)
{
    switch (code) {
    case E2E_READ_ETOOBIG: return "policy-violation";
    case E2E_READ_ENOMEM: return "resource-constraint";
    case E2E_READ_ENOTSTREAM: return "invalid-namespace";
    default: return "not-well-formed";
    }
}

static int xml_error(e2e_reader *r, int code)
{
    switch (code) {
    case XS_ENOMEM: code = E2E_READ_ENOMEM; break;
    case XS_ETOOBIG: code = E2E_READ_ETOOBIG; break;
    case XS_ETOODEEP:
    case XS_ETOOMANY: code = E2E_READ_ETOOBIG; break;
    case XS_ENOTSTREAM: code = E2E_READ_ENOTSTREAM; break;
    default: code = E2E_READ_ESYNTAX;
    }
    return fail(r, code, xs_parser_error_text(r->xml));
}

/* Where the header's start tag ends (one past its '>'), or 0.  A leading
 * XML declaration is skipped. */
static size_t header_end(const char *s, size_t len)
{
    char quote = 0;
    bool in_decl = len >= 2 && s[0] == '<' && s[1] == '?';

    for (size_t i = 0; i < len; i++) {
        if (quote) {
            quote = s[i] == quote ? 0 : quote;
        } else if (s[i] == '\'' || s[i] == '"') {
            quote = s[i];
        } else if (s[i] == '>') {
            if (!in_decl)
                return i + 1;
            in_decl = false;
            while (i + 1 < len && s[i + 1] != '<')
                i++;
        }
    }
    return 0;
}

static int feed_body(e2e_reader *r, const uint8_t *data, size_t len);

static int feed_header(e2e_reader *r, const uint8_t *data, size_t len)
{
    size_t room = sizeof r->hdr - r->hdr_len, take = len < room ? len : room;
    size_t old = r->hdr_len, end;
    int x;

    memcpy(r->hdr + old, data, take);
    r->hdr_len += take;
    if (!(end = header_end(r->hdr, r->hdr_len))) {
        if (r->hdr_len == sizeof r->hdr)
            return fail(r, E2E_READ_ETOOBIG, "stream header too long");
        return 0;
    }
    if ((x = xs_parser_feed(r->xml, r->hdr, end)) != XS_OK)
        return xml_error(r, x);
    if (r->phase == HEADER)
        return fail(r, E2E_READ_ESYNTAX, "no stream header");
    return feed_body(r, data + (end - old), len - (end - old));
}

static int grow_frame(e2e_reader *r, size_t need)
{
    uint8_t *f;

    if (need <= r->frame_cap)
        return 0;
    if (!(f = realloc(r->frame, need)))
        return fail(r, E2E_READ_ENOMEM, "out of memory");
    r->frame = f;
    r->frame_cap = need;
    return 0;
}

/* One whole frame at r->frame: delivers its stanza. */
static int deliver_frame(e2e_reader *r, size_t hdr, size_t n)
{
    xmpp_stanza_t *st;
    int x;

    if (n == 0) {
        on_end(r);
        return 0;
    }
    if ((x = e2e_fi_decode(r->fi, r->frame + hdr, n, &st)) != 0) {
        char why[120];
        snprintf(why, sizeof why, "bad Fast Infoset stanza: %s",
                 fi_strerror(x));
        return fail(r, x == FI_ENOMEM ? E2E_READ_ENOMEM : E2E_READ_ESYNTAX,
                    why);
    }
    on_stanza(r, st, n);
    xmpp_stanza_release(st);
    return 0;
}

/* Appends to the partial frame and delivers every complete one. */
static int feed_fi(e2e_reader *r, const uint8_t *data, size_t len)
{
    for (;;) {
        size_t n = 0, need, take;
        int hdr =
            r->frame_len ? fi_frame_header(r->frame, r->frame_len, &n) : 0;

        if (r->stopped || r->phase != FI)
            return 0;
        if (hdr < 0)
            return fail(r, E2E_READ_ESYNTAX, "bad frame header");
        if (hdr > 0 && n > r->max_stanza)
            return fail(r, E2E_READ_ETOOBIG,
                        "a stanza is larger than the limit");
        need = hdr ? (size_t)hdr + n : r->frame_len + 1;
        if (hdr && r->frame_len == need) {
            r->frame_len = 0;
            if (deliver_frame(r, (size_t)hdr, n))
                return r->error;
            continue;
        }
        if (!len)
            return 0;
        take = need - r->frame_len < len ? need - r->frame_len : len;
        if (grow_frame(r, need))
            return r->error;
        memcpy(r->frame + r->frame_len, data, take);
        r->frame_len += take;
        data += take;
        len -= take;
    }
}

static int feed_body(e2e_reader *r, const uint8_t *data, size_t len)
{
    int x;

    if (r->stopped || !len)
        return 0;
    switch (r->phase) {
    case XML:
        if ((x = xs_parser_feed(r->xml, (const char *)data, len)) != XS_OK)
            return xml_error(r, x);
        return 0;
    case FI: return feed_fi(r, data, len);
    case ENDED: return 0; /* after the end: ignored */
    default: return fail(r, E2E_READ_ESYNTAX, "no stream header");
    }
}

int e2e_reader_feed(e2e_reader *r, const uint8_t *data, size_t len)
{
    if (r->error)
        return r->error;
    if (r->phase == HEADER)
        return feed_header(r, data, len);
    return feed_body(r, data, len);
}
