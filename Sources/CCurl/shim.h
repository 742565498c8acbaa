// Typed wrappers over libcurl's variadic and union-shaped API, which Swift cannot call or read directly.
// No logic here: each function forwards exactly one call.
#ifndef TOCSIN_CCURL_SHIM_H
#define TOCSIN_CCURL_SHIM_H

#include <curl/curl.h>

// curl_easy_setopt is variadic; this passes a `long` (flags, timeouts, enum values).
static inline CURLcode tocsin_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

// curl_easy_setopt is variadic; this passes a C string (curl copies string options).
static inline CURLcode tocsin_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

// curl_easy_setopt is variadic; this passes a data pointer (userdata, error buffer, slist, COPYPOSTFIELDS).
// `const` so Swift can hand over any pointer kind; the varargs carry no constness anyway.
static inline CURLcode tocsin_curl_easy_setopt_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

// curl_easy_setopt is variadic; `*_LARGE` options need a full-width curl_off_t, not a long.
static inline CURLcode tocsin_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

// curl_easy_setopt is variadic; a function pointer must be passed with its exact C type.
static inline CURLcode tocsin_curl_easy_setopt_write_function(CURL *handle, curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

// Same as above for the header callback (it shares curl_write_callback's signature).
static inline CURLcode tocsin_curl_easy_setopt_header_function(CURL *handle, curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

// curl_easy_setopt is variadic; the read callback (the SMTP upload's message bytes) needs its exact C type.
static inline CURLcode tocsin_curl_easy_setopt_read_function(CURL *handle, curl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

// curl_easy_getinfo is variadic; this reads a `long` (response code, connect counts).
static inline CURLcode tocsin_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

// curl_easy_getinfo is variadic; this reads a curl_off_t (the `*_TIME_T` microsecond timings).
static inline CURLcode tocsin_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

// curl_easy_getinfo is variadic; this reads a C string owned by the handle.
static inline CURLcode tocsin_curl_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

// curl_easy_getinfo is variadic; this reads the certificate chain of the last TLS handshake (CURLOPT_CERTINFO).
static inline CURLcode tocsin_curl_easy_getinfo_certinfo(CURL *handle, struct curl_certinfo **value) {
    return curl_easy_getinfo(handle, CURLINFO_CERTINFO, value);
}

// curl_multi_setopt is variadic; this passes a `long` (connection limits, multiplexing).
static inline CURLMcode tocsin_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

// CURLMsg.data is an anonymous union; this reads its `result` member (valid for CURLMSG_DONE).
static inline CURLcode tocsin_curl_msg_result(const CURLMsg *message) {
    return message->data.result;
}

#endif
