/* hs_cert.c -- a throwaway self-signed certificate for loopback servers. */
#include "config.h"

#include "hs_internal.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>

static X509 *self_signed(EVP_PKEY *key, const char *cn)
{
    X509 *x = X509_new();
    X509_NAME *name;

    if (!x)
        return NULL;
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 7L * 24 * 3600);
    X509_set_pubkey(x, key);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    if (!X509_sign(x, key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int hs_write_cert(const char *cert_path, const char *key_path, const char *cn)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = key ? self_signed(key, cn) : NULL;
    FILE *c = x ? fopen(cert_path, "w") : NULL;
    FILE *k = c ? fopen(key_path, "w") : NULL;
    int ok = k && PEM_write_X509(c, x) &&
             PEM_write_PrivateKey(k, key, NULL, NULL, 0, NULL, NULL);

    if (c)
        fclose(c);
    if (k)
        fclose(k);
    X509_free(x);
    EVP_PKEY_free(key);
    return ok ? 0 : -1;
}
