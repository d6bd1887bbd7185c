/* hs_cert.c -- throwaway certificates for loopback servers: a CA of the
 * server's own (the way a grid runs its own CA) and the server's
 * certificate signed by it, for the domain as CN and subjectAltName. */
#include "config.h"

#include "hs_internal.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>

/* Adds extension nid with value (OpenSSL's config syntax); 0 or -1. */
static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *e;
    int ok;

    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    if (!(e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)))
        return -1;
    ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

/* A certificate for key named cn, signed by ca_key as ca (NULL: itself,
 * a CA); the server's carries cn as a DNS subjectAltName. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *ca,
                       EVP_PKEY *ca_key, long serial)
{
    X509 *x = X509_new();
    X509_NAME *name;
    char san[300];

    if (!x)
        return NULL;
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 7L * 24 * 3600);
    X509_set_pubkey(x, key);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name);
    snprintf(san, sizeof san, "DNS:%s", cn);
    if ((ca ? add_ext(x, ca, NID_subject_alt_name, san)
            : add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE")) < 0 ||
        !X509_sign(x, ca ? ca_key : key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int write_pem(const char *path, X509 *x, EVP_PKEY *key)
{
    FILE *f = fopen(path, "w");
    int ok = f && (x ? PEM_write_X509(f, x)
                     : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));

    if (f && fclose(f))
        ok = 0;
    return ok ? 0 : -1;
}

int hs_write_cert(const char *cert_path, const char *key_path,
                  const char *ca_path, const char *cn)
{
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
    X509 *ca =
        ca_key ? make_cert(ca_key, "orbweb harness CA", NULL, NULL, 1) : NULL;
    X509 *x = ca && key ? make_cert(key, cn, ca, ca_key, 2) : NULL;
    int rc = x && !write_pem(cert_path, x, NULL) &&
                     !write_pem(key_path, NULL, key) &&
                     !write_pem(ca_path, ca, NULL)
                 ? 0
                 : -1;

    X509_free(x);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return rc;
}
