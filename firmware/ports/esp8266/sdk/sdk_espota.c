/* The espota app's transport on espconn: the ArduinoOTA responder (firmware/ota/espota) on UDP
 * 8266 and its reverse TCP connection to the uploader. The SDK's counterpart of
 * ports/native/espota_lwip.c, with the mDNS advertisement (sdk_mdns.c). espconn_disconnect is not
 * called inside espconn callbacks (the SDK reference says not to): the tick does it. */
#include <string.h>

#include "espota.h"
#include "sdk_api.h"
#include "sdk_app.h"
#include "sdk_config.h"
#include "sdk_mdns.h"
#include "sdk_tx.h"

static espota_t ota;
static struct espconn udp_conn, tcp_conn;
static esp_udp udp_proto;
static esp_tcp tcp_proto;
static sdk_tx_t tx;
static uint32_t now_ms;
static bool tcp_open, close_due, ended, ended_ok;

static void send_udp(const uint8 ip[4], int port, const char *r, size_t n)
{
    if (!n)
        return;
    memcpy(udp_proto.remote_ip, ip, 4);
    udp_proto.remote_port = port;
    espconn_send(&udp_conn, (uint8 *)r, (uint16)n);
}

static void peer_ip(uint8 ip[4])
{
    memcpy(ip, &ota.peer_ip, 4); /* stored in memory order, as received */
}

static void udp_in(void *arg, char *data, unsigned short len)
{
    (void)arg;
    remot_info *ri = NULL;
    if (espconn_get_connection_info(&udp_conn, &ri, 0) != ESPCONN_OK || !ri)
        return;
    uint32_t ip;
    memcpy(&ip, ri->remote_ip, 4);
    char r[ESPOTA_REPLY_MAX];
    size_t rn;
    espota_udp(&ota, (const uint8_t *)data, len, ip, (uint16_t)ri->remote_port, now_ms, r, &rn);
    send_udp(ri->remote_ip, ri->remote_port, r, rn);
}

static void final_text(const char *fin, size_t fl)
{
    if (!fl)
        return;
    sdk_tx_put(&tx, fin, fl);
    close_due = true;
    ended = true;
    ended_ok = fl == 2 && !memcmp(fin, "OK", 2);
}

static void tcp_in(void *arg, char *data, unsigned short len)
{
    (void)arg;
    char ack[16], fin[ESPOTA_REPLY_MAX];
    size_t al, fl = 0;
    espota_tcp_data(&ota, (const uint8_t *)data, len, now_ms, ack, sizeof(ack), &al, fin, &fl);
    if (al)
        sdk_tx_put(&tx, ack, al); /* a full queue drops an ack: espota.py only reads them */
    final_text(fin, fl);
}

static void tcp_sent(void *arg)
{
    (void)arg;
    sdk_tx_sent(&tx);
}

static void tcp_gone(bool error)
{
    bool was_open = tcp_open;
    tcp_open = false;
    if (!was_open) { /* the connect itself failed */
        espota_connected(&ota, false, now_ms);
        return;
    }
    if (ota.state == OTA_RECEIVING) {
        char fin[ESPOTA_REPLY_MAX];
        size_t fl;
        espota_tcp_closed(&ota, fin, &fl);
        ended = true;
        ended_ok = false;
    }
    (void)error;
}

static void tcp_disconnected(void *arg)
{
    (void)arg;
    tcp_gone(false);
}

static void tcp_error(void *arg, sint8 err)
{
    (void)arg;
    (void)err;
    tcp_gone(true);
}

static void tcp_connected(void *arg)
{
    (void)arg;
    tcp_open = true;
    espconn_set_opt(&tcp_conn, ESPCONN_NODELAY);
    espconn_regist_recvcb(&tcp_conn, tcp_in);
    espconn_regist_sentcb(&tcp_conn, tcp_sent);
    espota_connected(&ota, true, now_ms);
}

static void connect_back(void)
{
    memset(&tcp_conn, 0, sizeof(tcp_conn));
    memset(&tcp_proto, 0, sizeof(tcp_proto));
    tcp_conn.type = ESPCONN_TCP;
    tcp_conn.state = ESPCONN_NONE;
    tcp_conn.proto.tcp = &tcp_proto;
    peer_ip(tcp_proto.remote_ip);
    tcp_proto.remote_port = (int)ota.host_port;
    tcp_proto.local_port = (int)espconn_port();
    sdk_tx_init(&tx, &tcp_conn);
    espconn_regist_connectcb(&tcp_conn, tcp_connected);
    espconn_regist_disconcb(&tcp_conn, tcp_disconnected);
    espconn_regist_reconcb(&tcp_conn, tcp_error);
    if (espconn_connect(&tcp_conn) != ESPCONN_OK)
        espota_connected(&ota, false, now_ms);
}

void sdk_transport_start(updater_t *up, const flash_layout_t *layout, uint32_t now)
{
    now_ms = now;
    espota_config_t ec;
    espota_default_config(&ec);
    ec.password = SDK_OTA_PASSWORD;
    ec.updater = up;
    ec.layout = layout;
    espota_init(&ota, &ec);
    udp_conn.type = ESPCONN_UDP;
    udp_conn.proto.udp = &udp_proto;
    udp_proto.local_port = ESPOTA_PORT;
    espconn_regist_recvcb(&udp_conn, udp_in);
    if (espconn_create(&udp_conn) != ESPCONN_OK)
        sdk_say("espota: cannot open UDP 8266\n");
    else
        sdk_say("espota: listening on UDP 8266\n");
    sdk_mdns_start(ESPOTA_PORT, SDK_OTA_PASSWORD[0] != '\0', now);
}

bool sdk_transport_tick(uint32_t now)
{
    now_ms = now;
    sdk_mdns_tick(now);
    char r[ESPOTA_REPLY_MAX], fin[ESPOTA_REPLY_MAX];
    size_t rn, fl;
    uint8 ip[4];
    peer_ip(ip);
    if (espota_handle(&ota, now, r, &rn)) {
        send_udp(ip, ota.peer_port, r, rn);
        connect_back();
    } else {
        send_udp(ip, ota.peer_port, r, rn);
    }
    espota_tick(&ota, now, fin, &fl);
    if (tcp_open)
        final_text(fin, fl);
    if (close_due && (!tcp_open || sdk_tx_idle(&tx))) {
        close_due = false;
        if (tcp_open)
            espconn_disconnect(&tcp_conn);
    }
    if (!ended || close_due)
        return false;
    ended = false;
    if (!ended_ok) {
        sdk_say("espota: update failed\n");
        return false;
    }
    return ota.cfg.reboot_on_success && espota_before_restart(&ota);
}
