/* ut_ns.h -- XML namespaces, each defined once for the whole tree.
 *
 * Ours first (the X-MUC extensions and the direct streams), then the
 * XMPP ones that more than one folder uses.  A namespace only one module
 * speaks (Jingle's, say) stays with that module. */
#ifndef SRC_UTIL_UT_NS_H
#define SRC_UTIL_UT_NS_H

/* ---- orbweb's own ---- */
#define UT_NS_XMUC "https://orbweb.dev/ns/xmuc/0"
/* Room configuration fields: UT_NS_XMUC "#" name. */
#define UT_NS_XMUC_FIELD UT_NS_XMUC "#"
#define UT_NS_E2E "https://orbweb.dev/ns/e2e/0"
#define UT_NS_E2E_TCP "https://orbweb.dev/ns/e2e/tcp/0"

/* ---- XMPP ---- */
#define UT_NS_XML "http://www.w3.org/XML/1998/namespace"
#define UT_NS_STREAMS "http://etherx.jabber.org/streams"
#define UT_NS_CLIENT "jabber:client"
#define UT_NS_DATA "jabber:x:data"
#define UT_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define UT_NS_MUC "http://jabber.org/protocol/muc"
#define UT_NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define UT_NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"
#define UT_NS_MUC_OWNER "http://jabber.org/protocol/muc#owner"
#define UT_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define UT_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define UT_NS_PING "urn:xmpp:ping"

#endif
