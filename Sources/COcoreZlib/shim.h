#ifndef OCORE_ZLIB_SHIM_H
#define OCORE_ZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2/inflateInit2 are macros (they pass the library version and struct size). ZIP
   members are raw deflate streams: negative window bits, no zlib header or trailer. */
static inline int ocore_deflate_init_raw(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

static inline int ocore_inflate_init_raw(z_streamp stream) {
    return inflateInit2(stream, -15);
}
#endif
