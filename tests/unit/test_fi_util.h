/* test_fi_util.h -- helpers for the Fast Infoset tests: files, infosets,
 * and an allocator that fails the Nth allocation and counts leaks. */
#ifndef TESTS_UNIT_TEST_FI_UTIL_H
#define TESTS_UNIT_TEST_FI_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "fi.h"

struct tf_file {
    char *name; /* base name without extension, e.g. 0007-groupchat */
    char *xml;
    size_t xml_len;
};

/* Reads a whole file; NULL if missing.  Free with free(). */
char *tf_slurp(const char *path, size_t *len);
/* The .xml documents of tests/data/fi (under $OB_SRCDIR or ./). */
size_t tf_load_xml(struct tf_file **out);
void tf_free_files(struct tf_file *f, size_t n);
/* Path of a data file: dir/name+suffix (static buffer). */
const char *tf_path(const char *name, const char *suffix);

/* Canonical infosets (malloc'd, NUL-terminated) or NULL on error. */
char *tf_infoset_xml(const char *xml, size_t len);
/* Decodes with chunks of `chunk` octets (0: all at once). */
char *tf_infoset_fi(const void *fi, size_t len, size_t chunk, unsigned flags,
                    int *err);

/* Allocator: fails allocation number fail_at (counting from 0; -1 never),
 * counts live blocks. */
struct tf_alloc {
    long fail_at, count, live;
};
struct fi_allocator tf_allocator(struct tf_alloc *st);

#endif
