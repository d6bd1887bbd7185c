/* test_fi_util.c -- helpers for the Fast Infoset tests (see the header). */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_fi_util.h"

char *tf_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    long n;

    if (!f)
        return NULL;
    if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 &&
        !fseek(f, 0, SEEK_SET)) {
        b = malloc((size_t)n + 1);
        if (b && fread(b, 1, (size_t)n, f) == (size_t)n) {
            b[n] = '\0';
            *len = (size_t)n;
        } else {
            free(b);
            b = NULL;
        }
    }
    fclose(f);
    return b;
}

static const char *data_dir(void)
{
    static char dir[1024];
    const char *src = getenv("OB_SRCDIR");

    snprintf(dir, sizeof dir, "%s/tests/data/fi", src ? src : ".");
    return dir;
}

const char *tf_path(const char *name, const char *suffix)
{
    static char p[1200];

    snprintf(p, sizeof p, "%s/%s%s", data_dir(), name, suffix);
    return p;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct tf_file *)a)->name,
                  ((const struct tf_file *)b)->name);
}

size_t tf_load_xml(struct tf_file **out)
{
    DIR *d = opendir(data_dir());
    struct dirent *e;
    struct tf_file *f = NULL;
    size_t n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".xml"))
            continue;
        f = realloc(f, (n + 1) * sizeof *f);
        f[n].name = strndup(e->d_name, l - 4);
        f[n].xml = tf_slurp(tf_path(f[n].name, ".xml"), &f[n].xml_len);
        n++;
    }
    closedir(d);
    qsort(f, n, sizeof *f, by_name);
    *out = f;
    return n;
}

void tf_free_files(struct tf_file *f, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(f[i].name);
        free(f[i].xml);
    }
    free(f);
}

static char *take(fi_infoset *s)
{
    const char *t;
    size_t n;
    char *r;

    fi_infoset_output(s, &t, &n);
    r = malloc(n + 1);
    memcpy(r, t, n);
    r[n] = '\0';
    return r;
}

char *tf_infoset_xml(const char *xml, size_t len)
{
    fi_ctx *ctx = NULL;
    fi_infoset *s = NULL;
    char *r = NULL;

    if (!fi_ctx_new(NULL, NULL, &ctx) && !fi_infoset_new(ctx, &s) &&
        !fi_xml_parse(ctx, xml, len, fi_infoset_handler(), s, NULL))
        r = take(s);
    fi_infoset_free(s);
    fi_ctx_free(ctx);
    return r;
}

char *tf_infoset_fi(const void *fi, size_t len, size_t chunk, unsigned flags,
                    int *err)
{
    fi_ctx *ctx = NULL;
    fi_infoset *s = NULL;
    fi_decoder *d = NULL;
    const uint8_t *p = fi;
    size_t off = 0;
    char *r = NULL;
    int rc = fi_ctx_new(NULL, NULL, &ctx);

    if (rc == FI_OK)
        rc = fi_infoset_new(ctx, &s);
    if (rc == FI_OK)
        rc = fi_decoder_new(ctx, fi_infoset_handler(), s, flags, &d);
    if (rc != FI_OK)
        goto out;
    if (!chunk)
        chunk = len ? len : 1;
    do {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = fi_decoder_feed(d, p + off, n, off + n == len);
        off += n;
    } while (off < len && rc == FI_MORE);
    if (len == 0)
        rc = fi_decoder_feed(d, p, 0, 1);
    if (rc == FI_OK)
        r = take(s);
out:
    if (err)
        *err = rc;
    fi_decoder_free(d);
    fi_infoset_free(s);
    fi_ctx_free(ctx);
    return r;
}

static void *a_alloc(size_t n, void *ud)
{
    struct tf_alloc *st = ud;
    void *p;

    if (st->count++ == st->fail_at)
        return NULL;
    p = malloc(n);
    if (p)
        st->live++;
    return p;
}

static void *a_realloc(void *p, size_t n, void *ud)
{
    struct tf_alloc *st = ud;

    if (st->count++ == st->fail_at)
        return NULL;
    if (!p)
        st->live++;
    return realloc(p, n);
}

static void a_free(void *p, void *ud)
{
    struct tf_alloc *st = ud;

    if (p)
        st->live--;
    free(p);
}

struct fi_allocator tf_allocator(struct tf_alloc *st)
{
    struct fi_allocator a = {a_alloc, a_realloc, a_free, st};

    return a;
}
