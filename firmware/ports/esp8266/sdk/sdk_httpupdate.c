/* The HTTP update app's transport on espconn: at boot, once connected, the client of spec §5
 * (firmware/ota/httpupdate) asks the server at -Desp8266_update_url, as the httpUpdate example
 * does, following redirects. The SDK's counterpart of ports/native/httpupdate_lwip.c: IPv4
 * hosts only (no DNS) and no TLS. */
#include <string.h>

#include "httpupdate.h"
#include "sdk_api.h"
#include "sdk_app.h"
#include "sdk_config.h"

#define READ_TIMEOUT_MS 5000u
/* After espconn_disconnect: how long to wait for its callback before reusing the espconn. */
#define CLOSE_WAIT_MS 1000u
#define STR2(x) #x
#define STR(x) STR2(x)

static httpupdate_t hs;
static httpupdate_config_t hc;
static struct espconn conn;
static esp_tcp proto;
static char request[1024];
static enum { IDLE, CONNECT_DUE, CONNECTING, OPEN, CLOSE_DUE, CLOSING, DONE } phase;
static uint32_t now, last_io;

/* "a.b.c.d" -> 4 bytes; false for anything else (a name would need DNS). */
static bool parse_ipv4(const char *s, uint8 ip[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned v = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (!digits || v > 255 || (i < 3 && *s++ != '.'))
            return false;
        ip[i] = (uint8)v;
    }
    return *s == '\0';
}

/* Printed piecewise: picolibc's snprintf pulls in 64-bit division Debian's libgcc lacks. */
static void finish(void)
{
    httpupdate_result_t res = httpupdate_result(&hs);
    sdk_say(res == HTTP_UPDATE_OK           ? "httpupdate: update ok"
            : res == HTTP_UPDATE_NO_UPDATES ? "httpupdate: no update"
                                            : "httpupdate: failed: ");
    if (res == HTTP_UPDATE_FAILED) {
        char es[128];
        httpupdate_error_string(&hs, es, sizeof(es));
        sdk_say(es);
    }
    sdk_say("\n");
}

/* The session's step after input or an end of the connection. alive: the connection is still
 * up and must be closed first (by the tick: never inside an espconn callback). */
static void ended(httpupdate_step_t st, bool alive)
{
    if (st == HTTPUPDATE_RUNNING && alive)
        return;
    if (st == HTTPUPDATE_FINISHED)
        finish();
    phase = alive ? CLOSE_DUE : st == HTTPUPDATE_REDIRECT ? CONNECT_DUE : DONE;
}

static void got(void *arg, char *data, unsigned short len)
{
    (void)arg;
    last_io = now;
    if (phase == OPEN)
        ended(httpupdate_feed(&hs, (const uint8_t *)data, len), true);
}

static void closed(void)
{
    phase = hs.step == HTTPUPDATE_REDIRECT ? CONNECT_DUE : DONE;
}

static void gone(int error)
{
    if (phase == CLOSING)
        closed(); /* ours: the espconn is free again */
    else if (phase == OPEN)
        ended(httpupdate_close(&hs, error), false);
    else if (phase == CONNECTING)
        ended(httpupdate_close(&hs, HTTPC_ERROR_CONNECTION_FAILED), false);
}

static void disconnected(void *arg)
{
    (void)arg;
    gone(0);
}

static void failed(void *arg, sint8 err)
{
    (void)arg;
    (void)err;
    gone(HTTPC_ERROR_CONNECTION_LOST);
}

static void connected(void *arg)
{
    (void)arg;
    phase = OPEN;
    last_io = now;
    espconn_regist_recvcb(&conn, got);
    size_t n = httpupdate_request(&hs, request, sizeof(request));
    if (!n || espconn_send(&conn, (uint8 *)request, (uint16)n) != ESPCONN_OK)
        ended(httpupdate_close(&hs, HTTPC_ERROR_SEND_HEADER_FAILED), true);
}

static void connect_now(void)
{
    memset(&conn, 0, sizeof(conn));
    memset(&proto, 0, sizeof(proto));
    if (hs.url.tls || !parse_ipv4(hs.url.host, proto.remote_ip)) {
        sdk_say("httpupdate: only http://<IPv4 address>/ URLs (no DNS, no TLS in the SDK "
                "port)\n");
        phase = DONE;
        return;
    }
    conn.type = ESPCONN_TCP;
    conn.state = ESPCONN_NONE;
    conn.proto.tcp = &proto;
    proto.remote_port = hs.url.port;
    proto.local_port = (int)espconn_port();
    espconn_regist_connectcb(&conn, connected);
    espconn_regist_disconcb(&conn, disconnected);
    espconn_regist_reconcb(&conn, failed);
    phase = CONNECTING;
    last_io = now;
    if (espconn_connect(&conn) != ESPCONN_OK)
        ended(httpupdate_close(&hs, HTTPC_ERROR_CONNECTION_FAILED), false);
}

void sdk_transport_start(updater_t *up, const flash_layout_t *layout, uint32_t now_ms)
{
    now = now_ms;
    static const char url[] = SDK_UPDATE_URL;
    hc = (httpupdate_config_t){
        .id = {.chip_id = system_get_chip_id(), .sdk_version = system_get_sdk_version()},
        .mode = HTTPUPDATE_SKETCH,
        .current_version = STR(APP_VERSION),
        .follow = HTTPC_STRICT_FOLLOW_REDIRECTS,
        .reboot_on_update = true,
        .updater = up,
        .layout = layout};
    wifi_get_macaddr(STATION_IF, hc.id.sta_mac);
    wifi_get_macaddr(SOFTAP_IF, hc.id.ap_mac);
    if (!url[0] || !httpupdate_begin(&hs, &hc, url)) {
        sdk_say("httpupdate: no http URL (-Desp8266_update_url); nothing to do\n");
        phase = DONE;
        return;
    }
    sdk_say("httpupdate: asking " SDK_UPDATE_URL " (version " STR(APP_VERSION) ")\n");
    phase = CONNECT_DUE;
}

bool sdk_transport_tick(uint32_t now_ms)
{
    now = now_ms;
    if (phase == CONNECT_DUE)
        connect_now();
    if (phase == OPEN && now - last_io > READ_TIMEOUT_MS)
        ended(httpupdate_close(&hs, HTTPC_ERROR_READ_TIMEOUT), true);
    else if (phase == CONNECTING && now - last_io > READ_TIMEOUT_MS)
        ended(httpupdate_close(&hs, HTTPC_ERROR_CONNECTION_FAILED), true);
    if (phase == CLOSE_DUE) {
        phase = CLOSING; /* a redirect reconnects once the disconnect callback came */
        last_io = now;
        espconn_disconnect(&conn);
    } else if (phase == CLOSING && now - last_io > CLOSE_WAIT_MS) {
        closed();
    }
    bool reboot = phase == DONE && httpupdate_should_reboot(&hs);
    if (reboot)
        phase = IDLE; /* once */
    return reboot;
}
