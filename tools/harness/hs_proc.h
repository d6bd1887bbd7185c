/* hs_proc.h -- supervised child processes that cannot outlive their owner.
 *
 * hs_proc_spawn() forks a small supervisor that starts the program in its
 * own process group and watches a socket shared with the owner.  When the
 * owner calls hs_proc_stop(), or dies in any way (a failed assertion, a
 * crash, SIGKILL, Ctrl-C), the socket closes and the supervisor sends
 * SIGTERM to the program's process group, SIGKILL after a grace period,
 * and removes the program's scratch folder.  Nothing is ever killed by
 * name: only the process group the supervisor created. */
#ifndef TOOLS_HARNESS_HS_PROC_H
#define TOOLS_HARNESS_HS_PROC_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct hs_proc hs_proc;

struct hs_spawn {
    char *const *argv;      /* program and arguments; argv[0] is a path */
    char *const *env;       /* extra NAME=VALUE entries, NULL-terminated */
    const char *cwd;        /* working directory, or NULL */
    const char *log_path;   /* stdout and stderr go here (appended) */
    const char *remove_dir; /* folder removed after the program ends */
    int grace_ms;           /* SIGTERM to SIGKILL delay; 0 means 5000 */
};

/* Starts the program.  Returns NULL and writes a reason into err when
 * the supervisor or the program cannot be started. */
hs_proc *hs_proc_spawn(const struct hs_spawn *spec, char *err, size_t errlen);

/* The program's pid (also its process group id). */
pid_t hs_proc_pid(const hs_proc *p);

/* True while the program has not exited. */
bool hs_proc_running(hs_proc *p);

/* Stops the program as hs_proc_stop does, then starts it again with the
 * same settings (the scratch folder stays).  0, or -1 if it cannot. */
int hs_proc_restart(hs_proc *p);

/* Stops the program (SIGTERM, then SIGKILL after the grace period),
 * waits for the supervisor to finish its cleanup and frees p.  Returns
 * the program's exit status as waitpid() reported it, or -1. */
int hs_proc_stop(hs_proc *p);

#endif
