/* The HTTP server update client of spec §5 (ESP8266httpUpdate + HTTPClient), transport-free:
 * it writes the request a device sends (every x-ESP8266-* header with the device's real
 * values), then takes the response's bytes as they arrive — status line and headers, then
 * the body straight into the Updater — and ends with the original's result and error values.
 * The port's TCP client connects, sends, feeds, and follows a redirect when asked to.
 *
 * Beyond the original: the body's first 4 bytes are checked as they arrive (no peek on a
 * socket needed), a Content-Length larger than the stage is refused before any flash erase,
 * and x-MD5 is required to be 32 hex digits before the update starts (the original leaves the
 * Updater running, spec §5.3). */
#ifndef OTASIM_HTTPUPDATE_H
#define OTASIM_HTTPUPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_head.h"
#include "layout.h"
#include "updater.h"

/* HTTPUpdateResult */
typedef enum {
    HTTP_UPDATE_FAILED = 0,
    HTTP_UPDATE_NO_UPDATES = 1,
    HTTP_UPDATE_OK = 2,
} httpupdate_result_t;

/* HTTPClient errors (-1..-11) and the update errors (-100..-109), spec §5.4. */
#define HTTPC_ERROR_CONNECTION_FAILED (-1)
#define HTTPC_ERROR_SEND_HEADER_FAILED (-2)
#define HTTPC_ERROR_SEND_PAYLOAD_FAILED (-3)
#define HTTPC_ERROR_NOT_CONNECTED (-4)
#define HTTPC_ERROR_CONNECTION_LOST (-5)
#define HTTPC_ERROR_NO_STREAM (-6)
#define HTTPC_ERROR_NO_HTTP_SERVER (-7)
#define HTTPC_ERROR_TOO_LESS_RAM (-8)
#define HTTPC_ERROR_ENCODING (-9)
#define HTTPC_ERROR_STREAM_WRITE (-10)
#define HTTPC_ERROR_READ_TIMEOUT (-11)
#define HTTP_UE_TOO_LESS_SPACE (-100)
#define HTTP_UE_SERVER_NOT_REPORT_SIZE (-101)
#define HTTP_UE_SERVER_FILE_NOT_FOUND (-102)
#define HTTP_UE_SERVER_FORBIDDEN (-103)
#define HTTP_UE_SERVER_WRONG_HTTP_CODE (-104)
#define HTTP_UE_SERVER_FAULTY_MD5 (-105)
#define HTTP_UE_BIN_VERIFY_HEADER_FAILED (-106)
#define HTTP_UE_BIN_FOR_WRONG_FLASH (-107)
#define HTTP_UE_SERVER_UNAUTHORIZED (-108)
#define HTTP_UE_SERVER_NOT_REPORT_VERSION (-109)

typedef enum {
    HTTPUPDATE_SKETCH = 0, /* update(): x-ESP8266-mode: sketch, U_FLASH */
    HTTPUPDATE_FS,         /* updateFS(): spiffs, U_FS */
    HTTPUPDATE_VERSION,    /* getAvailableVersion(): version, no update */
} httpupdate_mode_t;

typedef enum {
    HTTPC_DISABLE_FOLLOW_REDIRECTS = 0,
    HTTPC_STRICT_FOLLOW_REDIRECTS,
    HTTPC_FORCE_FOLLOW_REDIRECTS,
} httpupdate_follow_t;

#define HTTPUPDATE_MAX_REDIRECTS 10
#define HTTPUPDATE_URL_MAX 256u

/* What the device is (the port knows its MACs, chip id and SDK string). */
typedef struct httpupdate_identity {
    uint32_t chip_id;
    uint8_t sta_mac[6];
    uint8_t ap_mac[6];
    const char *sdk_version;
} httpupdate_identity_t;

typedef struct httpupdate_config {
    httpupdate_identity_t id;
    httpupdate_mode_t mode;
    const char *current_version; /* x-ESP8266-version; NULL/"" : not sent */
    const char *authorization;   /* "user:pass" for Basic; NULL: none */
    httpupdate_follow_t follow;
    const char *md5;       /* setMD5sum(); NULL: take x-MD5 */
    bool flash_map;        /* FLASH_MAP_SUPPORT: no declared-size check (spec §5.3) */
    bool reboot_on_update; /* rebootOnUpdate (default true) */
    bool atomic_fs;        /* ATOMIC_FS_UPDATE: an FS update reboots too */
    updater_t *updater;    /* updater_init()ed by the app */
    const flash_layout_t *layout;
} httpupdate_config_t;

/* A URL split as HTTPClient does: http://host[:port]/path (https is the TLS port's). */
typedef struct httpupdate_url {
    char host[128];
    uint16_t port;
    char path[HTTPUPDATE_URL_MAX];
    bool tls;
} httpupdate_url_t;

bool httpupdate_parse_url(const char *url, httpupdate_url_t *out);

typedef enum {
    HTTPUPDATE_RUNNING = 0, /* feed more bytes */
    HTTPUPDATE_FINISHED,    /* result() is final; close the connection */
    HTTPUPDATE_REDIRECT,    /* connect to redirect_url() and start a new request */
} httpupdate_step_t;

typedef struct httpupdate {
    const httpupdate_config_t *cfg;
    httpupdate_url_t url;
    int hops;
    httpupdate_step_t step;
    httpupdate_result_t result;
    int last_error;
    http_head_t head;
    bool in_body;
    bool updating;
    uint32_t body_len, body_got;
    uint8_t first[4];
    uint32_t first_len;
    char md5[33];
    char version[64]; /* x-version of a version query */
    char location[HTTPUPDATE_URL_MAX];
    bool reboot;
    /* Why the transport failed, from the port (e.g. its TLS library): appended to the error
     * string of an HTTPClient error; tls_error is the TLS library's number (0: none). */
    int tls_error;
    const char *transport_detail;
} httpupdate_t;

/* Starts a session for `url` (false: not an http(s) URL). */
bool httpupdate_begin(httpupdate_t *s, const httpupdate_config_t *cfg, const char *url);

/* The request for the current URL (after a REDIRECT: the new one, and the session goes on);
 * returns its length (0: does not fit). */
size_t httpupdate_request(httpupdate_t *s, char *out, size_t cap);

/* Response bytes; returns the step. */
httpupdate_step_t httpupdate_feed(httpupdate_t *s, const uint8_t *data, size_t len);

/* The connection ended (closed, or a transport error `error` < 0 such as
 * HTTPC_ERROR_READ_TIMEOUT / CONNECTION_FAILED / CONNECTION_LOST; 0: orderly close). */
httpupdate_step_t httpupdate_close(httpupdate_t *s, int error);

/* The same with the transport's reason: the TLS library's error number and a static text
 * (the HTTPS client reports a rejected certificate as HTTPC_ERROR_CONNECTION_FAILED, as the
 * core's WiFiClientSecure::connect() failing does, with this detail). */
httpupdate_step_t httpupdate_close_detail(httpupdate_t *s, int error, int tls_error,
                                          const char *detail);
int httpupdate_tls_error(const httpupdate_t *s);

/* After HTTPUPDATE_REDIRECT: the new URL (already followed: request() uses it). */
const char *httpupdate_redirect_url(const httpupdate_t *s);

httpupdate_result_t httpupdate_result(const httpupdate_t *s);
int httpupdate_last_error(const httpupdate_t *s);
/* getLastErrorString(): "", "Update error: ERROR[n]: msg", "HTTP error: <text>" or the
 * table text (spec §5.4); an HTTPClient error with a transport detail ends " (TLS: detail)",
 * e.g. "HTTP error: connection failed (TLS: certificate not trusted ...)". */
size_t httpupdate_error_string(const httpupdate_t *s, char *out, size_t cap);
/* The app should ESP.restart() now (a successful update with rebootOnUpdate). */
bool httpupdate_should_reboot(const httpupdate_t *s);
/* getAvailableVersion()'s value (x-version), "" if none. */
const char *httpupdate_version(const httpupdate_t *s);

#endif
