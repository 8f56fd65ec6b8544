#define _GNU_SOURCE 1
#include <fcntl.h>
#include <spawn.h>
#include "COcoreSupport.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void (*restore_fn)(void) = 0;
static volatile sig_atomic_t restored = 0;
static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };

static void on_fatal(int sig) {
    if (!restored && restore_fn) { restored = 1; restore_fn(); }
    signal(sig, SIG_DFL);
    raise(sig);
}

void ocore_install_terminal_restore(void (*restore)(void)) {
    restore_fn = restore;
    restored = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) sigaction(fatal_signals[i], &sa, 0);
}

void ocore_remove_terminal_restore(void) {
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) signal(fatal_signals[i], SIG_DFL);
    restore_fn = 0;
}


int ocore_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int ocore_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *dir) {
    return posix_spawn_file_actions_addchdir_np(actions, dir);
}

int ocore_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

int ocore_syncfs(int fd) { return syncfs(fd); }
