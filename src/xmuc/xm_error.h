/* xm_error.h -- xmucd's general result codes (prefix XM_E), for the
 * modules without codes of their own (xm_segments and xm_stats have
 * XM_SEG_E* and XM_STATS_E*).  Constructors follow orbweb's one rule,
 * `int xm_X_new(args..., xm_X **out)`: 0 and *out set, or a negative code
 * with *out NULL.  Where the reason needs more than a code (a path and
 * errno), the function also writes a sentence into the caller's err
 * buffer, as xm_service_new and xm_live_open do. */
#ifndef SRC_XMUC_XM_ERROR_H
#define SRC_XMUC_XM_ERROR_H

enum xm_result {
    XM_OK = 0,
    XM_ENOMEM = -1, /* an allocation failed */
    XM_EINVAL = -2, /* bad argument: missing callback, unknown manager */
    XM_EIO = -3,    /* the data folder or a file in it is unusable */
};

#endif
