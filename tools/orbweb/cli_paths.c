/* cli_paths.c -- where orbweb finds the programs it starts.
 *
 * An installed orbweb must never reach into the folder it was built in:
 * that folder may be gone, or hold a newer build than the one installed.
 * So the build tree's programs are used only by the build tree's orbweb
 * (its real path lies under the build tree); any other orbweb starts
 * the xmucd beside it, as `make install` puts both in $(bindir). */
#include "config.h"

#include "cli_paths.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !defined(OB_ABS_BUILDDIR) || !defined(OB_BINDIR)
#error "OB_ABS_BUILDDIR and OB_BINDIR must be defined (tools/deploy/local.mk)"
#endif

int cli_self_dir(char *buf, size_t len)
{
    char *real = realpath("/proc/self/exe", NULL);
    char *slash = real ? strrchr(real, '/') : NULL;
    int rc = -1;

    if (slash && (size_t)(slash - real) < len) {
        memcpy(buf, real, (size_t)(slash - real));
        buf[slash - real] = '\0';
        rc = 0;
    }
    free(real);
    return rc;
}

/* True if dir is the build tree or a folder inside it. */
static bool in_build_tree(const char *dir)
{
    char *top = realpath(OB_ABS_BUILDDIR, NULL);
    size_t n = top ? strlen(top) : 0;
    bool in = top && !strncmp(dir, top, n) && (!dir[n] || dir[n] == '/');

    free(top);
    return in;
}

static void choose(char *path, size_t len)
{
    const char *env = getenv("OB_XMUCD");
    char self[PATH_MAX];

    if (env && *env)
        snprintf(path, len, "%s", env);
    else if (cli_self_dir(self, sizeof self) < 0)
        snprintf(path, len, "%s/xmucd", OB_BINDIR); /* no /proc */
    else if (in_build_tree(self))
        snprintf(path, len, "%s/src/xmuc/xmucd", OB_ABS_BUILDDIR);
    else
        snprintf(path, len, "%s/xmucd", self);
}

const char *cli_xmucd_path(void)
{
    static char path[PATH_MAX + 16];

    if (!path[0]) {
        choose(path, sizeof path);
        setenv("OB_XMUCD", path, 1);
    }
    return path;
}
