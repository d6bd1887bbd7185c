/* hs_internal.h -- pieces shared inside the harness. */
#ifndef TOOLS_HARNESS_HS_INTERNAL_H
#define TOOLS_HARNESS_HS_INTERNAL_H

/* Writes a throwaway CA's certificate (ca_path) and a server certificate
 * for cn signed by it, with its P-256 key, as PEM files.  0 on success,
 * -1 on failure. */
int hs_write_cert(const char *cert_path, const char *key_path,
                  const char *ca_path, const char *cn);

/* Writes text to path (created or truncated).  0 or -1. */
int hs_write_file(const char *path, const char *text);

/* Removes a folder and everything in it (no symlinks followed). */
void hs_remove_tree(const char *dir);

#endif
