#ifndef OCORE_SUPPORT_H
#define OCORE_SUPPORT_H
#include <sys/types.h>

/// Installs handlers for SIGINT, SIGTERM, SIGHUP and crash signals (SIGSEGV, SIGBUS, SIGABRT,
/// SIGFPE, SIGILL) that call `restore` once (to give the terminal back), then re-raise the signal
/// with its default action so the exit status still tells what happened.
void ocore_install_terminal_restore(void (*restore)(void));

/// Resets those signals to their default actions.
void ocore_remove_terminal_restore(void);

#include <spawn.h>
/// pipe2(O_CLOEXEC) and posix_spawn_file_actions_addchdir_np need _GNU_SOURCE, which Swift's
/// Glibc module does not define; these forward to them.
int ocore_pipe_cloexec(int fds[2]);
int ocore_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *dir);
/// POSIX_SPAWN_SETSID (glibc 2.26+), hidden behind _GNU_SOURCE.
int ocore_spawn_setsid_flag(void);
/// syncfs(2): flushes the file system holding fd (hidden behind _GNU_SOURCE).
int ocore_syncfs(int fd);
#endif
