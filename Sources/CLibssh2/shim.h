// libssh2 1.10 for Swift: its convenience API is mostly function-like macros, wrapped here.
#ifndef OCORE_CLIBSSH2_SHIM_H
#define OCORE_CLIBSSH2_SHIM_H
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <string.h>

static inline LIBSSH2_SESSION *ocore_ssh_session_init(void) { return libssh2_session_init_ex(NULL, NULL, NULL, NULL); }
static inline int ocore_ssh_disconnect(LIBSSH2_SESSION *s, const char *why) {
    return libssh2_session_disconnect_ex(s, SSH_DISCONNECT_BY_APPLICATION, why, "");
}
static inline LIBSSH2_CHANNEL *ocore_ssh_channel_open_session(LIBSSH2_SESSION *s) {
    // A 16 MiB window (libssh2's default is 2 MiB) keeps bulk streams (dumps) from stalling on
    // window adjustments over links with latency.
    return libssh2_channel_open_ex(s, "session", sizeof("session") - 1,
                                   16 * 1024 * 1024, LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0);
}
static inline int ocore_ssh_channel_exec(LIBSSH2_CHANNEL *c, const char *command) {
    return libssh2_channel_process_startup(c, "exec", sizeof("exec") - 1, command, (unsigned int)strlen(command));
}
static inline ssize_t ocore_ssh_channel_read(LIBSSH2_CHANNEL *c, char *buf, size_t n) { return libssh2_channel_read_ex(c, 0, buf, n); }
static inline ssize_t ocore_ssh_channel_read_stderr(LIBSSH2_CHANNEL *c, char *buf, size_t n) {
    return libssh2_channel_read_ex(c, SSH_EXTENDED_DATA_STDERR, buf, n);
}
static inline ssize_t ocore_ssh_channel_write(LIBSSH2_CHANNEL *c, const char *buf, size_t n) { return libssh2_channel_write_ex(c, 0, buf, n); }
static inline int ocore_ssh_userauth_publickey_fromfile(LIBSSH2_SESSION *s, const char *user, const char *privkey, const char *passphrase) {
    return libssh2_userauth_publickey_fromfile_ex(s, user, (unsigned int)strlen(user), NULL, privkey, passphrase);
}
static inline LIBSSH2_SFTP_HANDLE *ocore_sftp_open(LIBSSH2_SFTP *sftp, const char *path, unsigned long flags, long mode) {
    return libssh2_sftp_open_ex(sftp, path, (unsigned int)strlen(path), flags, mode, LIBSSH2_SFTP_OPENFILE);
}
static inline int ocore_sftp_rename(LIBSSH2_SFTP *sftp, const char *from, const char *to) {
    return libssh2_sftp_rename_ex(sftp, from, (unsigned int)strlen(from), to, (unsigned int)strlen(to),
                                  LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE);
}
static inline int ocore_sftp_unlink(LIBSSH2_SFTP *sftp, const char *path) { return libssh2_sftp_unlink_ex(sftp, path, (unsigned int)strlen(path)); }
static inline int ocore_sftp_mkdir(LIBSSH2_SFTP *sftp, const char *path, long mode) { return libssh2_sftp_mkdir_ex(sftp, path, (unsigned int)strlen(path), mode); }
static inline int ocore_sftp_stat(LIBSSH2_SFTP *sftp, const char *path, LIBSSH2_SFTP_ATTRIBUTES *attrs) {
    return libssh2_sftp_stat_ex(sftp, path, (unsigned int)strlen(path), LIBSSH2_SFTP_STAT, attrs);
}
static inline int ocore_sftp_close(LIBSSH2_SFTP_HANDLE *h) { return libssh2_sftp_close_handle(h); }

static inline int ocore_ssh_method_pref(LIBSSH2_SESSION *s, int which, const char *prefs) { return libssh2_session_method_pref(s, which, prefs); }
static inline int ocore_ssh_method_crypt_cs(void) { return LIBSSH2_METHOD_CRYPT_CS; }
static inline int ocore_ssh_method_crypt_sc(void) { return LIBSSH2_METHOD_CRYPT_SC; }
static inline int ocore_ssh_method_mac_cs(void) { return LIBSSH2_METHOD_MAC_CS; }
static inline int ocore_ssh_method_mac_sc(void) { return LIBSSH2_METHOD_MAC_SC; }
static inline int ocore_ssh_error_eagain(void) { return LIBSSH2_ERROR_EAGAIN; }
static inline int ocore_ssh_session_block_inbound(void) { return LIBSSH2_SESSION_BLOCK_INBOUND; }
static inline int ocore_ssh_session_block_outbound(void) { return LIBSSH2_SESSION_BLOCK_OUTBOUND; }
static inline unsigned long ocore_sftp_flags_write_create_excl(void) { return LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL; }
static inline unsigned long ocore_sftp_flags_read(void) { return LIBSSH2_FXF_READ; }
#endif
