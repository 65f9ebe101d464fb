/* The web update app's transport on espconn: the update server of spec §6
 * (firmware/ota/webupdate) on TCP 80, WEB_SLOTS connections at a time, one webupdate_conn_t
 * each (found again through the espconn's `reverse` pointer). The SDK's counterpart of
 * ports/native/webupdate_lwip.c, without its lingering close. */
#include <string.h>

#include "sdk_api.h"
#include "sdk_app.h"
#include "sdk_config.h"
#include "webupdate.h"

/* Each slot holds a multipart buffer and a response: two fit the DRAM the SDK leaves. */
#define WEB_SLOTS 2
#define WEB_PORT 80
#define WEB_IDLE_TIMEOUT_S 30

typedef struct slot {
    bool used, sent, close_due;
    struct espconn *conn;
    webupdate_conn_t w;
} slot_t;

static webupdate_config_t cfg;
static struct espconn listener;
static esp_tcp listener_proto;
static slot_t slots[WEB_SLOTS];
static bool reboot_due;

static slot_t *slot_of(void *arg)
{
    struct espconn *c = arg;
    slot_t *s = c ? c->reverse : NULL;
    return s && s->used && s->conn == c ? s : NULL;
}

static void respond(slot_t *s)
{
    size_t n;
    const char *r = webupdate_conn_response(&s->w, &n);
    if (!r || s->sent)
        return;
    /* espconn_send copies into lwIP; 2 KiB fits the SDK's TCP send buffer. */
    if (espconn_send(s->conn, (uint8 *)r, (uint16)n) == ESPCONN_OK)
        s->sent = true;
}

static void web_in(void *arg, char *data, unsigned short len)
{
    slot_t *s = slot_of(arg);
    if (!s)
        return;
    /* Bytes after the response are dropped (the request is over). */
    webupdate_conn_feed(&s->w, (const uint8_t *)data, len);
    respond(s);
}

static void web_sent(void *arg)
{
    slot_t *s = slot_of(arg);
    if (!s || !s->sent)
        return;
    if (webupdate_conn_reboot(&s->w))
        reboot_due = true;
    s->close_due = true; /* disconnected by the tick, not inside a callback */
}

static void web_gone(void *arg)
{
    slot_t *s = slot_of(arg);
    if (!s)
        return;
    if (!webupdate_conn_response(&s->w, &(size_t){0}))
        webupdate_conn_abort(&s->w); /* an upload in progress is not committed */
    s->used = false;
    s->conn->reverse = NULL;
}

static void web_error(void *arg, sint8 err)
{
    (void)err;
    web_gone(arg);
}

static void web_accepted(void *arg)
{
    struct espconn *c = arg;
    for (int i = 0; i < WEB_SLOTS; i++) {
        slot_t *s = &slots[i];
        if (s->used)
            continue;
        memset(s, 0, sizeof(*s));
        s->used = true;
        s->conn = c;
        c->reverse = s;
        webupdate_conn_init(&s->w, &cfg);
        espconn_regist_recvcb(c, web_in);
        espconn_regist_sentcb(c, web_sent);
        espconn_regist_disconcb(c, web_gone);
        espconn_regist_reconcb(c, web_error);
        return;
    }
    c->reverse = NULL;
    espconn_disconnect(c); /* the SDK caps connections at WEB_SLOTS anyway */
}

void sdk_transport_start(updater_t *up, const flash_layout_t *layout, uint32_t now_ms)
{
    (void)now_ms;
    static const char pass[] = SDK_OTA_PASSWORD;
    bool auth = pass[0] != '\0';
    cfg =
        (webupdate_config_t){.path = "/update",
                             .auth = {auth ? "admin" : NULL, auth ? pass : NULL, "Login Required"},
                             .updater = up,
                             .layout = layout};
    listener.type = ESPCONN_TCP;
    listener.state = ESPCONN_NONE;
    listener.proto.tcp = &listener_proto;
    listener_proto.local_port = WEB_PORT;
    espconn_regist_connectcb(&listener, web_accepted);
    if (espconn_accept(&listener) != ESPCONN_OK) {
        sdk_say("web: cannot listen on TCP 80\n");
        return;
    }
    espconn_tcp_set_max_con_allow(&listener, WEB_SLOTS);
    espconn_regist_time(&listener, WEB_IDLE_TIMEOUT_S, 0);
    sdk_say("web: update server on http://<device>/update\n");
}

bool sdk_transport_tick(uint32_t now_ms)
{
    (void)now_ms;
    for (int i = 0; i < WEB_SLOTS; i++) {
        slot_t *s = &slots[i];
        if (s->used && s->close_due) {
            s->close_due = false;
            espconn_disconnect(s->conn);
        }
    }
    /* The success page was acknowledged (sent callback): restart (after sdk_main's delay). */
    bool due = reboot_due;
    reboot_due = false;
    return due;
}
