// libcurl for Swift: curl_easy_setopt and curl_easy_getinfo are variadic, so each argument type
// gets its own typed wrapper.
#ifndef OCORE_CCURL_SHIM_H
#define OCORE_CCURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*ocore_curl_io_callback)(char *, size_t, size_t, void *);

static inline CURLcode ocore_curl_setopt_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ocore_curl_setopt_string(CURL *c, CURLoption o, const char *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ocore_curl_setopt_pointer(CURL *c, CURLoption o, void *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ocore_curl_setopt_slist(CURL *c, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ocore_curl_setopt_offset(CURL *c, CURLoption o, curl_off_t v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ocore_curl_setopt_callback(CURL *c, CURLoption o, ocore_curl_io_callback v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode ocore_curl_getinfo_long(CURL *c, CURLINFO i, long *v) { return curl_easy_getinfo(c, i, v); }
static inline CURLcode ocore_curl_getinfo_offset(CURL *c, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(c, i, v); }
static inline size_t ocore_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
#endif
