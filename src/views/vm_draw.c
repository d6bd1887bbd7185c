/* vm_draw.c -- draws the 16-member pictures of docs/views.md: builds each
 * manager with 16 members (seed 1) and writes <dir>/<manager>.dot; the
 * SVGs are rendered with `dot -Tsvg`.  A helper program, not part of
 * the library (it is the one file in src/views/ that does I/O). */
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

int main(int argc, char **argv)
{
    const char *type;
    int rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: vm_draw DIR\n");
        return 2;
    }
    for (size_t i = 0; (type = vm_manager_name(i)); i++)
        if (strcmp(type, "tapbcast")) /* needs segments to draw */
            rc |= draw(argv[1], type);
    return rc ? 1 : 0;
}
