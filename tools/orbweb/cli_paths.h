/* cli_paths.h -- where orbweb finds the programs it starts (xmucd):
 * beside itself when installed, in the build tree only when it runs
 * from the build tree. */
#ifndef TOOLS_ORBWEB_CLI_PATHS_H
#define TOOLS_ORBWEB_CLI_PATHS_H

#include <stddef.h>

/* The xmucd this orbweb starts, chosen in this order:
 *  1. $OB_XMUCD, when set (tests, or an operator's choice);
 *  2. the build tree's, when this orbweb is the build tree's own;
 *  3. the xmucd in the folder this orbweb runs from (its real path), so
 *     an installed orbweb starts the xmucd installed with it, wherever
 *     the installation was put or moved (DESTDIR, a relocated prefix);
 *     $(bindir)'s if /proc cannot tell.
 * Also exports the choice as OB_XMUCD, which the harness
 * (hs_xmucd_start) obeys, so the xmucd started is the one named; main()
 * calls it first, so every command (up, bench) starts that one.
 * Returns a static string; never NULL. */
const char *cli_xmucd_path(void);

/* The folder of the running program's real path (/proc/self/exe,
 * symbolic links resolved) into buf; 0, or -1 if it cannot be read. */
int cli_self_dir(char *buf, size_t len);

#endif
