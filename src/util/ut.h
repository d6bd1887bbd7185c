/* ut.h -- the utility layer's result codes.
 *
 * src/util (prefix ut_) is the lowest layer of the tree: small helpers
 * every module may use (hashing, a PRNG, a lower-bound search, a string
 * map, our namespaces), including nothing of ours.  Nothing here is
 * exported from liborbweb. */
#ifndef SRC_UTIL_UT_H
#define SRC_UTIL_UT_H

enum ut_error {
    UT_OK = 0,
    UT_ENOMEM = -1, /* an allocation failed; nothing changed */
    UT_EINVAL = -2, /* a bad argument */
};

#endif
