/* xm_roomcfg.c -- room configuration: defaults, the owner data form
 * (XEP-0045 section 10.2 plus our fields) and the saved text form.
 *
 * One table describes every field once: its form variable, its type, and
 * how to read and write it, so the form, the submit parser and the saved
 * file cannot drift apart. */
#include "config.h"

#include "xm_roomcfg.h"
#include "xm_stanza.h"
#include "vm.h"
#include "ut_ns.h"

#include <stdlib.h>
#include <string.h>

static const char *const groupcasts[] = {"relay", "tree", "pbcast", "tapbcast",
                                         NULL};

enum ftype {
    F_TEXT,
    F_SECRET,
    F_BOOL,
    F_UINT,
    F_MANAGER,
    F_GROUPCAST,
    F_WHOIS
};

struct field {
    const char *var;   /* form variable */
    const char *saved; /* name in the saved file */
    const char *label;
    enum ftype type;
    size_t offset; /* into struct xm_roomcfg */
};

#define OFF(m) offsetof(struct xm_roomcfg, m)
static const struct field fields[] = {
    {"muc#roomconfig_roomname", "title", "Room name", F_TEXT, OFF(title)},
    {"muc#roomconfig_roomdesc", "description", "Description", F_TEXT,
     OFF(description)},
    {"muc#roomconfig_persistentroom", "persistent", "Keep the room when empty",
     F_BOOL, OFF(persistent)},
    {"muc#roomconfig_publicroom", "public", "List the room in disco#items",
     F_BOOL, OFF(public_room)},
    {"muc#roomconfig_membersonly", "members_only", "Only members may join",
     F_BOOL, OFF(members_only)},
    {"muc#roomconfig_roomsecret", "password", "Password (empty: none)",
     F_SECRET, OFF(password)},
    {"muc#roomconfig_maxusers", "max_occupants", "Maximum occupants", F_UINT,
     OFF(max_occupants)},
    {"muc#roomconfig_whois", "semi_anonymous", "Who may see real JIDs", F_WHOIS,
     OFF(semi_anonymous)},
    {"muc#roomconfig_changesubject", "occupants_change_subject",
     "Occupants may change the subject", F_BOOL, OFF(occupants_change_subject)},
    {UT_NS_XMUC_FIELD "view_manager", "manager", "View manager", F_MANAGER,
     OFF(manager)},
    {UT_NS_XMUC_FIELD "view_size", "view_size", "Default view size (rbt)",
     F_UINT, OFF(view_size)},
    {UT_NS_XMUC_FIELD "degree", "degree",
     "Default out-degree (random; 0: log2 n)", F_UINT, OFF(degree)},
    {UT_NS_XMUC_FIELD "groupcast", "groupcast", "Groupcast engine", F_GROUPCAST,
     OFF(groupcast)},
    {UT_NS_XMUC_FIELD "injection_points", "injection_points",
     "Injection points per groupcast (tree, pbcast; 0: 2)", F_UINT,
     OFF(injection_points)},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

void xm_roomcfg_init(struct xm_roomcfg *c, uint32_t max_occupants)
{
    memset(c, 0, sizeof *c);
    strcpy(c->manager, "complete");
    strcpy(c->groupcast, "relay");
    c->max_occupants = max_occupants;
    c->public_room = true;
}

void xm_roomcfg_clear(struct xm_roomcfg *c)
{
    free(c->title);
    free(c->description);
    free(c->password);
    memset(c, 0, sizeof *c);
}

static int dup_or_null(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && !*dst ? -1 : 0;
}

int xm_roomcfg_copy(struct xm_roomcfg *dst, const struct xm_roomcfg *src)
{
    *dst = *src;
    dst->title = dst->description = dst->password = NULL;
    if (dup_or_null(&dst->title, src->title) < 0 ||
        dup_or_null(&dst->description, src->description) < 0 ||
        dup_or_null(&dst->password, src->password) < 0) {
        xm_roomcfg_clear(dst);
        return -1;
    }
    return 0;
}

static bool in_list(const char *const *list, const char *v)
{
    for (; *list; list++)
        if (!strcmp(*list, v))
            return true;
    return false;
}

/* ---- reading and writing one field as text ---------------------------- */

static void field_text(const struct xm_roomcfg *c, const struct field *f,
                       char *buf, size_t len)
{
    const char *base = (const char *)c + f->offset;

    switch (f->type) {
    case F_TEXT:
    case F_SECRET:
        snprintf(buf, len, "%s",
                 *(char *const *)base ? *(char *const *)base : "");
        break;
    case F_BOOL: snprintf(buf, len, "%d", *(const bool *)base ? 1 : 0); break;
    case F_UINT: snprintf(buf, len, "%u", *(const uint32_t *)base); break;
    case F_WHOIS:
        snprintf(buf, len, "%s", *(const bool *)base ? "moderators" : "anyone");
        break;
    default: snprintf(buf, len, "%s", base);
    }
}

/* Sets a field from text; 0, or -1 when the value is bad or memory ran out. */
static int field_set(struct xm_roomcfg *c, const struct field *f, const char *v,
                     uint32_t max_cap)
{
    char *base = (char *)c + f->offset, *end;
    unsigned long n;

    switch (f->type) {
    case F_TEXT:
    case F_SECRET:
        free(*(char **)base);
        *(char **)base = NULL;
        return *v ? dup_or_null((char **)base, v) : 0;
    case F_BOOL:
        if (strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "true") &&
            strcmp(v, "false"))
            return -1;
        *(bool *)base = !strcmp(v, "1") || !strcmp(v, "true");
        return 0;
    case F_UINT:
        n = strtoul(v, &end, 10);
        if (!*v || *end ||
            n > (f->offset == OFF(max_occupants) ? max_cap : 255u))
            return -1;
        *(uint32_t *)base = (uint32_t)n;
        return 0;
    case F_WHOIS:
        if (strcmp(v, "moderators") && strcmp(v, "anyone"))
            return -1;
        *(bool *)base = !strcmp(v, "moderators");
        return 0;
    case F_MANAGER:
    case F_GROUPCAST:
        if (f->type == F_MANAGER ? !vm_manager_known(v)
                                 : !in_list(groupcasts, v))
            return -1;
        snprintf(base,
                 f->type == F_MANAGER ? sizeof c->manager : sizeof c->groupcast,
                 "%s", v);
        return 0;
    }
    return -1;
}

/* ---- the data form ----------------------------------------------------- */

static const char *form_type(enum ftype t)
{
    switch (t) {
    case F_TEXT: return "text-single";
    case F_SECRET: return "text-private";
    case F_BOOL: return "boolean";
    case F_UINT: return "text-single";
    default: return "list-single";
    }
}

static void add_option(xmpp_stanza_t *field, const char *opt)
{
    xmpp_stanza_t *o = xm_child(field, "option", NULL);

    if (o) {
        xmpp_stanza_set_attribute(o, "label", opt);
        xm_child_text(o, "value", opt);
    }
}

static void add_options(xmpp_stanza_t *field, const char *const *opts)
{
    for (; *opts; opts++)
        add_option(field, *opts);
}

static void add_field(xmpp_stanza_t *x, const struct xm_roomcfg *c,
                      const struct field *f)
{
    static const char *const whois[] = {"moderators", "anyone", NULL};
    xmpp_stanza_t *e = xm_child(x, "field", NULL);
    char value[512];

    if (!e)
        return;
    xmpp_stanza_set_attribute(e, "var", f->var);
    xmpp_stanza_set_attribute(e, "type", form_type(f->type));
    xmpp_stanza_set_attribute(e, "label", f->label);
    field_text(c, f, value, sizeof value);
    if (f->type == F_SECRET)
        value[0] = '\0'; /* never send the password back */
    xm_child_text(e, "value", value);
    if (f->type == F_MANAGER)
        for (size_t i = 0; vm_manager_name(i); i++)
            add_option(e, vm_manager_name(i));
    else if (f->type == F_GROUPCAST)
        add_options(e, groupcasts);
    else if (f->type == F_WHOIS)
        add_options(e, whois);
}

xmpp_stanza_t *xm_roomcfg_form(const struct xm_roomcfg *c, xmpp_ctx_t *ctx,
                               uint32_t max_cap)
{
    xmpp_stanza_t *x = xm_elem_new(ctx, "x", UT_NS_DATA), *ft;

    (void)max_cap;
    if (!x)
        return NULL;
    xmpp_stanza_set_type(x, "form");
    xm_child_text(x, "title", "Room configuration");
    if ((ft = xm_child(x, "field", NULL))) {
        xmpp_stanza_set_attribute(ft, "var", "FORM_TYPE");
        xmpp_stanza_set_attribute(ft, "type", "hidden");
        xm_child_text(ft, "value", "http://jabber.org/protocol/muc#roomconfig");
    }
    for (size_t i = 0; i < NFIELDS; i++)
        add_field(x, c, &fields[i]);
    return x;
}

static const struct field *field_by_var(const char *var)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (!strcmp(fields[i].var, var))
            return &fields[i];
    return NULL;
}

int xm_roomcfg_apply(struct xm_roomcfg *c, xmpp_stanza_t *form,
                     uint32_t max_cap, char *err, size_t errlen)
{
    struct xm_roomcfg next;

    if (xm_roomcfg_copy(&next, c) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (xmpp_stanza_t *e = xm_first_elem(form); e;
         e = xmpp_stanza_get_next(e)) {
        const char *var, *v;
        const struct field *f;
        if (!xmpp_stanza_is_tag(e) || strcmp(xmpp_stanza_get_name(e), "field"))
            continue;
        var = xmpp_stanza_get_attribute(e, "var");
        if (!var || !(f = field_by_var(var)))
            continue;
        v = xm_child_text_ptr(e, "value");
        if (field_set(&next, f, v ? v : "", max_cap) < 0) {
            snprintf(err, errlen, "bad value '%s' for %s", v ? v : "", var);
            xm_roomcfg_clear(&next);
            return -1;
        }
    }
    if (!strcmp(next.groupcast, "tapbcast") &&
        strcmp(next.manager, "tapbcast")) {
        snprintf(err, errlen, "groupcast tapbcast needs view manager tapbcast");
        xm_roomcfg_clear(&next);
        return -1;
    }
    xm_roomcfg_clear(c);
    *c = next;
    return 0;
}

/* ---- the saved form ------------------------------------------------------ */

char *xm_pct_encode(const char *s)
{
    char *out = malloc(strlen(s) * 3 + 1), *o = out;

    if (!out)
        return NULL;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= ' ' || ch == '%' || ch == 0x7f)
            o += sprintf(o, "%%%02X", ch);
        else
            *o++ = (char)ch;
    }
    *o = '\0';
    return out;
}

static int hexval(char h)
{
    if (h >= '0' && h <= '9')
        return h - '0';
    if (h >= 'A' && h <= 'F')
        return h - 'A' + 10;
    if (h >= 'a' && h <= 'f')
        return h - 'a' + 10;
    return -1;
}

char *xm_pct_decode(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;

    if (!out)
        return NULL;
    for (; *s; s++) {
        if (*s != '%') {
            *o++ = *s;
            continue;
        }
        if (hexval(s[1]) < 0 || hexval(s[2]) < 0 || (!s[1] || !s[2]) ||
            (hexval(s[1]) == 0 && hexval(s[2]) == 0)) {
            free(out);
            return NULL;
        }
        *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
        s += 2;
    }
    *o = '\0';
    return out;
}

int xm_roomcfg_save(const struct xm_roomcfg *c, FILE *f)
{
    char value[1024];

    for (size_t i = 0; i < NFIELDS; i++) {
        char *enc;
        field_text(c, &fields[i], value, sizeof value);
        if (!*value)
            continue;
        if (!(enc = xm_pct_encode(value)))
            return -1;
        fprintf(f, "%s %s\n", fields[i].saved, enc);
        free(enc);
    }
    return ferror(f) ? -1 : 0;
}

int xm_roomcfg_load_line(struct xm_roomcfg *c, const char *name,
                         const char *value)
{
    char *v;
    int r = -1;

    for (size_t i = 0; i < NFIELDS; i++) {
        if (strcmp(fields[i].saved, name))
            continue;
        if ((v = xm_pct_decode(value))) {
            r = field_set(c, &fields[i], v, UINT32_MAX);
            free(v);
        }
        break;
    }
    return r;
}
