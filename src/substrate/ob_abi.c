/* ob_abi.c -- growable public structs: the size-prefixed copy in and out
 * (the rule is in orbweb.h, "Growing structs"; the same as Linux's
 * copy_struct_from_user for openat2 and clone3). */
#include <string.h>

#include "ob_abi_internal.h"

static size_t size_of(const void *s)
{
    size_t n;

    memcpy(&n, s, sizeof n);
    return n;
}

static bool tail_zero(const unsigned char *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (p[i])
            return false;
    return true;
}

int obi_struct_in(void *dst, size_t ours, size_t v1, const void *src)
{
    size_t n = size_of(src);

    if (n < v1 || !tail_zero(src, ours, n))
        return OB_EINVAL;
    memset(dst, 0, ours);
    memcpy(dst, src, n < ours ? n : ours);
    memcpy(dst, &ours, sizeof ours);
    return OB_OK;
}

int obi_struct_out(void *dst, size_t v1, const void *src, size_t ours)
{
    size_t n = size_of(dst);

    if (n < v1)
        return OB_EINVAL;
    if (n > ours)
        n = ours;
    memcpy((char *)dst + sizeof n, (const char *)src + sizeof n, n - sizeof n);
    memcpy(dst, &n, sizeof n);
    return OB_OK;
}
