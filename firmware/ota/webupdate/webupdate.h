/* The web-browser update server of spec §6 (ESP8266HTTPUpdateServer), transport-free: the
 * port's TCP server feeds each connection's received bytes in and sends back the response the
 * connection produces. One request per connection (Connection: close).
 *
 * Routes on `path`: GET (the upload page with the `firmware` and `filesystem` forms), OPTIONS
 * (CORS preflight), POST (multipart upload through the Updater). Other paths: 404; other
 * methods: 405.
 *
 * Defects of the original fixed here (spec §6.3 observations), each with a test:
 * - authentication is evaluated for every request from its own Authorization header (the
 *   original reused the previous request's state when a POST had no file part);
 * - a POST without a file part answers 400 and does not reboot (the original answered
 *   success and rebooted: a denial of service without credentials);
 * - a POST without Content-Length (or chunked) answers 411 instead of reading forever;
 * - an unauthenticated upload is refused before the body is read (401), so no flash is touched. */
#ifndef OTASIM_WEBUPDATE_H
#define OTASIM_WEBUPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_auth.h"
#include "http_head.h"
#include "layout.h"
#include "multipart.h"
#include "updater.h"

#define WEBUPDATE_RESPONSE_MAX 2048u

typedef struct webupdate_config {
    const char *path;   /* "/update" */
    http_auth_t auth;   /* user/pass both non-empty: required (realm "Login Required") */
    updater_t *updater; /* updater_init()ed by the app with its configuration */
    const flash_layout_t *layout;
    /* A POST (an upload) refused for its credentials: an update attempt that never reaches
     * Update.begin() (an app that stops an actuator for updates wants to know); may be NULL. */
    void (*on_refused)(void *user);
    void *user;
} webupdate_config_t;

typedef enum {
    WEBUPDATE_HEAD = 0, /* reading the request head */
    WEBUPDATE_BODY,     /* reading a POST body */
    WEBUPDATE_DONE,     /* the response is ready; further input is ignored */
} webupdate_state_t;

typedef struct webupdate_conn {
    const webupdate_config_t *cfg;
    webupdate_state_t state;
    http_head_t head;
    multipart_t mp;
    uint32_t body_left;
    bool file_part;     /* the current part is an upload */
    bool any_file;      /* at least one upload part arrived */
    bool update_failed; /* begin/write/end failed (the Updater holds the error) */
    bool reboot;
    char error[96]; /* what failed when it is not the Updater's */
    size_t resp_len;
    char resp[WEBUPDATE_RESPONSE_MAX];
} webupdate_conn_t;

void webupdate_conn_init(webupdate_conn_t *c, const webupdate_config_t *cfg);

/* Bytes received on the connection; returns how many were used (all until the response is
 * ready; after it, none). */
size_t webupdate_conn_feed(webupdate_conn_t *c, const uint8_t *data, size_t len);

/* The peer closed or the connection broke before the request was complete: an upload in
 * progress is aborted (the Updater is reset, nothing is committed). */
void webupdate_conn_abort(webupdate_conn_t *c);

/* The response to send once ready (NULL before); then close the connection. */
const char *webupdate_conn_response(const webupdate_conn_t *c, size_t *len);

/* After sending the response: restart the device (a successful upload). */
bool webupdate_conn_reboot(const webupdate_conn_t *c);

#endif
