/* xm_store.h -- persistent rooms on disk: one file per room under
 * DATA_DIR/rooms/, written atomically (temporary file, fsync, rename,
 * fsync of the folder), so a crash leaves the old file or the new one,
 * never half of one. */
#ifndef SRC_XMUC_XM_STORE_H
#define SRC_XMUC_XM_STORE_H

#include <stddef.h>

#include "xm_room.h"

/* Creates DATA_DIR/rooms if needed.  0, or -1 with a reason in err. */
int xm_store_open(const char *data_dir, char *err, size_t errlen);

/* Saves r (xm_room_save) atomically.  0 or -1 (errno set). */
int xm_store_save(const char *data_dir, const xm_room *r);

/* Removes r's file (no error if there is none). */
int xm_store_remove(const char *data_dir, const char *room_name);

/* Calls load(ctx, name, path) for every saved room.  Returns the number
 * of rooms for which load returned 0. */
int xm_store_each(const char *data_dir,
                  int (*load)(void *ctx, const char *name, const char *path),
                  void *ctx);

#endif
