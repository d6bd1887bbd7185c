/* ob_abi_internal.h -- growable public structs (internal, prefix obi_): reading
 * and writing the size-prefixed structs of orbweb.h ("Growing structs").
 *
 * The first published layout of each struct is frozen here as the end of
 * its last field (OBI_*_SIZE_V1); a new field goes at the end of the
 * struct, and nothing here changes. */
#ifndef SRC_SUBSTRATE_OB_ABI_INTERNAL_H
#define SRC_SUBSTRATE_OB_ABI_INTERNAL_H

#include <stddef.h>

#include "orbweb.h"

#define OBI_END(T, f) (offsetof(T, f) + sizeof(((T *)0)->f))
#define OBI_OPTIONS_SIZE_V1 OBI_END(struct ob_options, self_ping_ms)
#define OBI_CALLBACKS_SIZE_V1 OBI_END(struct ob_callbacks, error)
#define OBI_JOIN_PARAMS_SIZE_V1 OBI_END(struct ob_join_params, segment)
#define OBI_ROOM_CONFIG_SIZE_V1 OBI_END(struct ob_room_config, injection_points)
#define OBI_STATS_SIZE_V1 OBI_END(struct ob_stats, rpc_refused)
#define OBI_ROOM_STATUS_SIZE_V1 OBI_END(struct ob_room_status, epoch)

/* Copies the application's struct src (its first member the size_t size
 * it was built with) into dst, ours bytes long: min(size, ours) bytes,
 * the rest of dst zeroed, dst's size set to ours.  OB_EINVAL when src's
 * size is below v1, or when a byte of src beyond ours is not zero (a
 * newer application asking for what this library does not know). */
int obi_struct_in(void *dst, size_t ours, size_t v1, const void *src);

/* Copies our struct src (ours bytes) out to the application's dst, whose
 * size member says how much it holds: min(size, ours) bytes are written,
 * and dst's size is set to that.  OB_EINVAL when that size is below v1. */
int obi_struct_out(void *dst, size_t v1, const void *src, size_t ours);

#endif
