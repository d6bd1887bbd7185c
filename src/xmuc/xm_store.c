/* xm_store.c -- atomic files for persistent rooms (see xm_store.h).
 * File names are the percent-encoded room names plus ".room"; room
 * names never contain '/', and encoding keeps them printable. */
#include "config.h"

#include "xm_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xm_roomcfg.h"

static int room_path(const char *dir, const char *name, const char *suffix,
                     char *buf, size_t len)
{
    char *enc = xm_pct_encode(name);
    int n;

    if (!enc)
        return -1;
    n = snprintf(buf, len, "%s/rooms/%s.room%s", dir, enc, suffix);
    free(enc);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int xm_store_open(const char *data_dir, char *err, size_t errlen)
{
    char path[4096];

    snprintf(path, sizeof path, "%s/rooms", data_dir);
    if ((mkdir(data_dir, 0700) < 0 && errno != EEXIST) ||
        (mkdir(path, 0700) < 0 && errno != EEXIST) || access(path, W_OK) < 0) {
        snprintf(err, errlen, "cannot use the data folder %s: %s", path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int fsync_dir(const char *data_dir)
{
    char path[4096];
    int fd, r;

    snprintf(path, sizeof path, "%s/rooms", data_dir);
    if ((fd = open(path, O_RDONLY | O_DIRECTORY)) < 0)
        return -1;
    r = fsync(fd);
    close(fd);
    return r;
}

int xm_store_save(const char *data_dir, const xm_room *r)
{
    char path[4096], tmp[4100];
    FILE *f;
    int ok;

    if (room_path(data_dir, xm_room_name(r), "", path, sizeof path) < 0 ||
        room_path(data_dir, xm_room_name(r), ".tmp", tmp, sizeof tmp) < 0 ||
        !(f = fopen(tmp, "w")))
        return -1;
    ok = xm_room_save(r, f) == 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return fsync_dir(data_dir);
}

int xm_store_remove(const char *data_dir, const char *room_name)
{
    char path[4096];

    if (room_path(data_dir, room_name, "", path, sizeof path) < 0)
        return -1;
    if (unlink(path) < 0 && errno != ENOENT)
        return -1;
    return fsync_dir(data_dir);
}

int xm_store_each(const char *data_dir,
                  int (*load)(void *ctx, const char *name, const char *path),
                  void *ctx)
{
    char dir[4096], path[4400];
    DIR *d;
    struct dirent *e;
    int n = 0;

    snprintf(dir, sizeof dir, "%s/rooms", data_dir);
    if (!(d = opendir(dir)))
        return 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        char *name;
        if (len < 6 || strcmp(e->d_name + len - 5, ".room"))
            continue; /* also skips leftover .tmp files of a crash */
        e->d_name[len - 5] = '\0';
        if (!(name = xm_pct_decode(e->d_name)))
            continue;
        snprintf(path, sizeof path, "%s/%s.room", dir, e->d_name);
        if (load(ctx, name, path) == 0)
            n++;
        free(name);
    }
    closedir(d);
    return n;
}
