/* See sdk_mdns.h. The SDK's counterpart of ports/native/mdns_lwip.c. espconn does not say
 * where a datagram was sent, so every question counts as multicast (to_unicast false): a QU
 * question is still answered by unicast, a legacy query (source port not 5353) too. */
#include "sdk_mdns.h"

#include <string.h>

#include "hal.h"
#include "mdns.h"
#include "sdk_api.h"
#include "sdk_app.h"

static mdns_t md;
static bool up;
static struct espconn conn;
static esp_udp proto;
static uint8_t out[MDNS_PKT_MAX];
static uint32_t now;
static char host[17];

static void send_to(const uint8 ip[4], int port, size_t n)
{
    if (!n)
        return;
    memcpy(proto.remote_ip, ip, 4);
    proto.remote_port = port;
    espconn_send(&conn, out, (uint16)n);
}

static const uint8 group[4] = {224, 0, 0, 251};

static void mdns_in(void *arg, char *data, unsigned short len)
{
    (void)arg;
    remot_info *ri = NULL;
    if (espconn_get_connection_info(&conn, &ri, 0) != ESPCONN_OK || !ri)
        return;
    mdns_dest_t dest;
    size_t n = mdns_input(&md, (const uint8_t *)data, len, (uint16_t)ri->remote_port, false, now,
                          out, sizeof(out), &dest);
    if (dest == MDNS_TO_SENDER)
        send_to(ri->remote_ip, ri->remote_port, n);
    else
        send_to(group, MDNS_PORT, n);
}

void sdk_mdns_start(uint16_t ota_port, bool auth, uint32_t now_ms)
{
    now = now_ms;
    struct ip_info info;
    if (!wifi_get_ip_info(STATION_IF, &info)) {
        sdk_say("mdns: no station address; not advertised\n");
        return;
    }
    /* ip_addr_t holds the address in network order (first octet in the low byte here). */
    uint8_t b[4];
    memcpy(b, &info.ip.addr, 4);
    uint32_t ip = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    mdns_arduino_hostname(hal_flash_chip_id(), host);
    static mdns_config_t mc;
    mdns_arduino_config(&mc, host, ip, ota_port, "generic", auth);
    ip_addr_t grp;
    memcpy(&grp.addr, group, 4);
    conn.type = ESPCONN_UDP;
    conn.proto.udp = &proto;
    proto.local_port = MDNS_PORT;
    espconn_regist_recvcb(&conn, mdns_in);
    if (!mdns_init(&md, &mc) || espconn_igmp_join(&info.ip, &grp) != ESPCONN_OK ||
        espconn_create(&conn) != ESPCONN_OK) {
        sdk_say("mdns: could not start; not advertised\n");
        return;
    }
    mdns_start(&md, now_ms);
    up = true;
    sdk_say("mdns: ");
    sdk_say(host);
    sdk_say(".local, _arduino._tcp\n");
}

void sdk_mdns_tick(uint32_t now_ms)
{
    now = now_ms;
    if (up)
        send_to(group, MDNS_PORT, mdns_tick(&md, now_ms, out, sizeof(out)));
}
