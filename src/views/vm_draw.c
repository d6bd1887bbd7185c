/* vm_draw.c -- draws the 16-member pictures of docs/views.md: builds each
 * manager with 16 members (seed 1) and writes <dir>/<manager>.dot; the
 * SVGs are rendered with `dot -Tsvg`.  With --room it writes instead the
 * topology JSON of one room of N members in S segments as xmucd answers
 * it (nicks peer0001...), for `orbweb topo --from-json` at real sizes
 * (docs/performance.md).  A helper program, not part of the library (it
 * is the one file in src/views/ that does I/O). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_registry.h"

static int write_file(void *ctx, const char *buf, size_t len)
{
    return fwrite(buf, 1, len, ctx) == len ? 0 : -1;
}

static int draw(const char *dir, const char *type)
{
    vm_config cfg = {.seed = 1};
    char path[4096];
    vm *v;
    FILE *f;
    int rc = vm_new(type, &cfg, &v);

    for (vm_id i = 0; !rc && i < 16; i++)
        rc = vm_join(v, i, NULL);
    snprintf(path, sizeof path, "%s/%s.dot", dir, type);
    if (!rc && !(f = fopen(path, "w")))
        rc = VM_EWRITE;
    if (!rc) {
        rc = vm_export(v, VM_FORMAT_DOT, write_file, f);
        if (fclose(f) && !rc)
            rc = VM_EWRITE;
    }
    vm_free(v);
    if (rc)
        fprintf(stderr, "vm_draw: %s: %s\n", path, vm_strerror(rc));
    return rc;
}

/* The room's JSON on stdout: the export, its closing brace replaced by
 * the nicks. */
static int room(const char *type, unsigned long n, unsigned long segments)
{
    vm_config cfg = {.seed = 1};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    vm *v = NULL;
    int rc = f ? vm_new(type, &cfg, &v) : VM_ENOMEM;

    for (unsigned long i = 1; !rc && i <= n; i++) {
        vm_params p = {.segment = (uint32_t)(i % segments)};
        rc = vm_join(v, (vm_id)i, &p);
    }
    if (!rc)
        rc = vm_export(v, VM_FORMAT_JSON, write_file, f);
    vm_free(v);
    if (f)
        fclose(f);
    while (!rc && len && buf[len - 1] != '}')
        len--;
    if (!rc && len) {
        printf("%.*s,\"nicks\":{", (int)(len - 1), buf);
        for (unsigned long i = 1; i <= n; i++)
            printf("%s\"%lu\":\"peer%04lu\"", i > 1 ? "," : "", i, i);
        printf("}}\n");
    }
    free(buf);
    if (rc)
        fprintf(stderr, "vm_draw: %s: %s\n", type, vm_strerror(rc));
    return rc || fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *type;
    int rc = 0;

    if (argc == 5 && !strcmp(argv[1], "--room") && strtoul(argv[3], NULL, 10) &&
        strtoul(argv[4], NULL, 10))
        return room(argv[2], strtoul(argv[3], NULL, 10),
                    strtoul(argv[4], NULL, 10));
    if (argc != 2) {
        fprintf(stderr, "usage: vm_draw DIR\n"
                        "       vm_draw --room MANAGER MEMBERS SEGMENTS\n");
        return 2;
    }
    for (size_t i = 0; (type = vm_manager_name(i)); i++)
        if (strcmp(type, "tapbcast")) /* needs segments to draw */
            rc |= draw(argv[1], type);
    return rc ? 1 : 0;
}
