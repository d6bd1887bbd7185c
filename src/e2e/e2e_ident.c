/* e2e_ident.c -- our TLS identity for direct links: an EC P-256 key, a
 * self-signed certificate, its SHA-256 fingerprint, and the two TLS 1.3
 * contexts (connector and listener) built from them; also the host's
 * candidate addresses.
 *
 * No CA is involved: both ends accept any certificate during the
 * handshake and compare fingerprints exchanged over XMPP. */
#include "config.h"

#include "e2e_link_internal.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct e2e_ident {
    SSL_CTX *client, *server;
    char fingerprint[E2E_FP_LEN];
};

static const char *const errors[] = {
    "ok",
    "out of memory",
    "invalid argument",
    "OpenSSL failed",
    "socket, bind or listen failed",
    "the link is not up",
    "the stanza cannot be serialized",
};

const char *e2e_link_strerror(int code)
{
    if (code > 0 || -code >= (int)(sizeof errors / sizeof *errors))
        return "unknown error";
    return errors[-code];
}

int e2e_fingerprint(X509 *cert, char out[E2E_FP_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (!X509_digest(cert, EVP_sha256(), md, &n) || n != 32)
        return E2E_LINK_ETLS;
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 3 * i, 4, i + 1 < n ? "%02X:" : "%02X", md[i]);
    return 0;
}

/* Accepts any certificate: the fingerprint is checked after the handshake. */
static int accept_any(int ok, X509_STORE_CTX *store)
{
    (void)ok, (void)store;
    return 1;
}

static SSL_CTX *tls_ctx(EVP_PKEY *key, X509 *cert, bool server)
{
    SSL_CTX *c =
        SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    int mode = SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);

    if (!c)
        return NULL;
    if (!SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) ||
        SSL_CTX_use_certificate(c, cert) != 1 ||
        SSL_CTX_use_PrivateKey(c, key) != 1) {
        SSL_CTX_free(c);
        return NULL;
    }
    SSL_CTX_set_verify(c, mode, accept_any);
    if (server) { /* no resumption: every link shows its certificate */
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(c, 0);
    }
    return c;
}

static X509 *self_signed(EVP_PKEY *key, const char *cn)
{
    X509 *x = X509_new();
    unsigned char rnd[16];
    BIGNUM *bn = NULL;
    X509_NAME *name;
    int ok;

    if (!x)
        return NULL;
    ok = RAND_bytes(rnd, sizeof rnd) == 1;
    rnd[0] &= 0x7f; /* positive */
    ok = ok && (bn = BN_bin2bn(rnd, sizeof rnd, NULL)) &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
         X509_set_version(x, 2) &&
         X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(x), 365L * 24 * 3600) &&
         X509_set_pubkey(x, key) && (name = X509_get_subject_name(x)) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                    (const unsigned char *)cn, -1, -1, 0) &&
         X509_set_issuer_name(x, name) && X509_sign(x, key, EVP_sha256());
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int e2e_ident_new(const char *common_name, e2e_ident **out)
{
    e2e_ident *id;
    EVP_PKEY *key;
    X509 *cert = NULL;
    int r = E2E_LINK_ETLS;

    if (!common_name || !*common_name || strlen(common_name) > 64 || !out)
        return E2E_LINK_EINVAL;
    if (!(id = calloc(1, sizeof *id)))
        return E2E_LINK_ENOMEM;
    key = EVP_EC_gen("P-256");
    if (key && (cert = self_signed(key, common_name)) &&
        e2e_fingerprint(cert, id->fingerprint) == 0 &&
        (id->client = tls_ctx(key, cert, false)) &&
        (id->server = tls_ctx(key, cert, true)))
        r = 0;
    X509_free(cert);
    EVP_PKEY_free(key);
    if (r < 0) {
        e2e_ident_free(id);
        return r;
    }
    *out = id;
    return 0;
}

void e2e_ident_free(e2e_ident *id)
{
    if (!id)
        return;
    SSL_CTX_free(id->client);
    SSL_CTX_free(id->server);
    free(id);
}

const char *e2e_ident_fingerprint(const e2e_ident *id)
{
    return id->fingerprint;
}

SSL_CTX *e2e_ident_tls(const e2e_ident *id, bool server)
{
    return server ? id->server : id->client;
}

/* Up, IPv4, and not link-local (169.254/16 does not cross a router and
 * is rarely configured on purpose). */
static bool worth_offering(const struct ifaddrs *a)
{
    const struct sockaddr_in *sin = (const void *)a->ifa_addr;

    return sin && sin->sin_family == AF_INET && (a->ifa_flags & IFF_UP) &&
           (ntohl(sin->sin_addr.s_addr) >> 16) != 0xA9FE;
}

int e2e_local_candidates(int port, struct e2e_candidate *out, int max)
{
    struct ifaddrs *all, *a;
    int n = 0;

    if (getifaddrs(&all) != 0)
        return 0;
    /* two passes: non-loopback, then loopback */
    for (int loop = 0; loop < 2; loop++)
        for (a = all; a && n < max; a = a->ifa_next) {
            const struct sockaddr_in *sin = (const void *)a->ifa_addr;
            if (!worth_offering(a) || !!(a->ifa_flags & IFF_LOOPBACK) != loop)
                continue;
            inet_ntop(AF_INET, &sin->sin_addr, out[n].host, sizeof out[n].host);
            out[n++].port = port;
        }
    freeifaddrs(all);
    return n;
}
