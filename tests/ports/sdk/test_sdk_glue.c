/* The SDK port's transports (firmware/ports/esp8266/sdk/sdk_<transport>.c) compiled for the
 * host against the stand-in SDK headers (fake_sdk/include) and driven through a scripted
 * espconn defined here: the callbacks the glue registers are called as the SDK would call
 * them, what it sends is recorded, and the device is the simulated one of tests/core (the
 * Updater on flashsim). Shows the glue's part (state, queueing, restart timing), not the SDK.
 * Built once per transport: -DGLUE_ESPOTA, -DGLUE_WEBUPDATE, -DGLUE_HTTPUPDATE. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sdk_api.h"
#include "sdk_app.h"
#include "updater_util.h"

/* --- the scripted espconn ------------------------------------------------------------ */
static struct espconn *udp_c, *mdns_c, *tcp_c, *listener;
static char udp_out[512], tcp_out[65536];
static size_t udp_out_len, tcp_out_len;
static uint8_t mdns_out[4096]; /* the last mDNS datagram */
static size_t mdns_out_len;
static int mdns_sends;
static uint8 mdns_to_ip[4], igmp_host[4], igmp_group[4];
static int mdns_to_port;
static uint8 udp_to_ip[4];
static int udp_to_port;
static int connects, disconnects, sends_refused, tcp_sends;
static bool inflight; /* one TCP buffer until the sent callback, as the SDK */
static remot_info sender;
static char said[1024];

void sdk_say(const char *s)
{
    strncat(said, s, sizeof(said) - strlen(said) - 1);
}
sint8 espconn_create(struct espconn *c)
{
    if (c->proto.udp->local_port == 5353)
        mdns_c = c;
    else
        udp_c = c;
    return ESPCONN_OK;
}
sint8 espconn_connect(struct espconn *c)
{
    tcp_c = c;
    connects++;
    return ESPCONN_OK;
}
sint8 espconn_disconnect(struct espconn *c)
{
    (void)c;
    disconnects++;
    return ESPCONN_OK;
}
sint8 espconn_accept(struct espconn *c)
{
    listener = c;
    return ESPCONN_OK;
}
sint8 espconn_send(struct espconn *c, uint8 *d, uint16 n)
{
    if (c == mdns_c) {
        cr_assert_leq(n, sizeof(mdns_out));
        memcpy(mdns_out, d, n);
        mdns_out_len = n;
        mdns_sends++;
        memcpy(mdns_to_ip, c->proto.udp->remote_ip, 4);
        mdns_to_port = c->proto.udp->remote_port;
        return ESPCONN_OK;
    }
    if (c == udp_c) {
        cr_assert_leq(udp_out_len + n, sizeof(udp_out));
        memcpy(udp_out + udp_out_len, d, n);
        udp_out_len += n;
        memcpy(udp_to_ip, c->proto.udp->remote_ip, 4);
        udp_to_port = c->proto.udp->remote_port;
        return ESPCONN_OK;
    }
    if (inflight) {
        sends_refused++;
        return ESPCONN_ARG;
    }
    cr_assert_leq(tcp_out_len + n, sizeof(tcp_out));
    memcpy(tcp_out + tcp_out_len, d, n);
    tcp_out_len += n;
    tcp_sends++;
    inflight = true;
    return ESPCONN_OK;
}
sint8 espconn_regist_connectcb(struct espconn *c, espconn_connect_callback cb)
{
    c->proto.tcp->connect_callback = cb;
    return 0;
}
sint8 espconn_regist_recvcb(struct espconn *c, espconn_recv_callback cb)
{
    c->recv_callback = cb;
    return 0;
}
sint8 espconn_regist_sentcb(struct espconn *c, espconn_sent_callback cb)
{
    c->sent_callback = cb;
    return 0;
}
sint8 espconn_regist_disconcb(struct espconn *c, espconn_connect_callback cb)
{
    c->proto.tcp->disconnect_callback = cb;
    return 0;
}
sint8 espconn_regist_reconcb(struct espconn *c, espconn_reconnect_callback cb)
{
    c->proto.tcp->reconnect_callback = cb;
    return 0;
}
sint8 espconn_regist_time(struct espconn *c, uint32 i, uint8 f)
{
    (void)c, (void)i, (void)f;
    return 0;
}
sint8 espconn_get_connection_info(struct espconn *c, remot_info **r, uint8 f)
{
    (void)c, (void)f;
    *r = &sender;
    return ESPCONN_OK;
}
sint8 espconn_set_opt(struct espconn *c, uint8 o)
{
    (void)c, (void)o;
    return 0;
}
sint8 espconn_tcp_set_max_con_allow(struct espconn *c, uint8 n)
{
    (void)c, (void)n;
    return 0;
}
sint8 espconn_igmp_join(ip_addr_t *host, ip_addr_t *group)
{
    memcpy(igmp_host, &host->addr, 4);
    memcpy(igmp_group, &group->addr, 4);
    return ESPCONN_OK;
}
bool wifi_get_ip_info(uint8 i, struct ip_info *info)
{
    cr_assert_eq(i, STATION_IF);
    memset(info, 0, sizeof(*info));
    memcpy(&info->ip.addr, (uint8[]){10, 0, 2, 15}, 4);
    return true;
}
uint32 espconn_port(void)
{
    return 50000;
}
uint32 system_get_chip_id(void)
{
    return 0x00ABCDEF;
}
const char *system_get_sdk_version(void)
{
    return "fake-sdk";
}
bool wifi_get_macaddr(uint8 i, uint8 *m)
{
    static const uint8 mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    memcpy(m, mac, 6);
    m[0] |= i ? 0x02 : 0;
    return true;
}

/* The SDK's sent callback for the buffer in flight. */
static void sent(struct espconn *c)
{
    if (!inflight)
        return;
    inflight = false;
    if (c->sent_callback)
        c->sent_callback(c);
}

/* --- the device -------------------------------------------------------------------------- */
static tdev_t *dev;
static uint32_t now;

static void start(void)
{
    dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    sdk_transport_start(&dev->up, &dev->layout, now);
}

static void teardown(void)
{
    tdev_free(dev);
}

/* Ticks for ms milliseconds; how many of them asked for a restart. */
static int ticks(uint32_t ms)
{
    int restarts = 0;
    for (uint32_t t = 0; t < ms; t += SDK_TICK_MS)
        restarts += sdk_transport_tick(now += SDK_TICK_MS);
    return restarts;
}

TestSuite(sdk_glue, .fini = teardown);

#if defined(GLUE_ESPOTA)
static void invite(const uint8_t *img, size_t len)
{
    char md5[33], inv[128];
    ref_md5_hex(img, len, md5);
    int n = snprintf(inv, sizeof(inv), "0 40000 %zu %s\n", len, md5);
    sender = (remot_info){.remote_port = 45123, .remote_ip = {10, 0, 2, 2}};
    udp_c->recv_callback(udp_c, inv, (unsigned short)n);
}

/* espota.py's data phase in 1460-byte chunks, the sent callbacks held back every other chunk
 * (the acks queue); stop_at: the host closes there. */
static int upload(const uint8_t *img, size_t len, size_t stop_at, char *expect_acks)
{
    int chunks = 0;
    expect_acks[0] = 0;
    for (size_t off = 0; off < stop_at; off += 1460) {
        size_t k = len - off < 1460 ? len - off : 1460;
        tcp_c->recv_callback(tcp_c, (char *)img + off, (unsigned short)k);
        sprintf(expect_acks + strlen(expect_acks), "%zu", k);
        chunks++;
        if ((off / 1460) % 2)
            sent(tcp_c);
    }
    sent(tcp_c);
    sent(tcp_c);
    return chunks;
}

Test(sdk_glue, espota_upload_then_restart)
{
    start();
    cr_assert(udp_c, "no UDP espconn created");
    cr_expect_eq(udp_c->proto.udp->local_port, 8266);
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 3, &len);
    invite(img, len);
    cr_expect_eq(ticks(SDK_TICK_MS), 0);
    cr_assert_eq(udp_out_len, 2, "UDP reply: %.*s", (int)udp_out_len, udp_out);
    cr_expect_eq(memcmp(udp_out, "OK", 2), 0);
    cr_expect_eq(memcmp(udp_to_ip, (uint8[]){10, 0, 2, 2}, 4), 0, "OK not to the uploader");
    cr_expect_eq(udp_to_port, 45123);
    cr_assert_eq(connects, 1, "no connection back");
    cr_expect_eq(memcmp(tcp_c->proto.tcp->remote_ip, (uint8[]){10, 0, 2, 2}, 4), 0);
    cr_expect_eq(tcp_c->proto.tcp->remote_port, 40000);
    tcp_c->proto.tcp->connect_callback(tcp_c);
    char acks[4096];
    int chunks = upload(img, len, len, acks);
    strcat(acks, "OK");
    tcp_out[tcp_out_len] = 0;
    cr_expect_str_eq(tcp_out, acks, "every ack, then OK, in order");
    cr_expect_eq(sends_refused, 0, "a send while one was in flight");
    /* Held-back sent callbacks made acks queue up: fewer sends than acks + the final text. */
    cr_expect_lt(tcp_sends, chunks + 1, "%d sends for %d chunks: the queue was never used",
                 tcp_sends, chunks);
    cr_expect(uu_read_cmd(dev).valid, "no copy command");
    /* The glue closes from the tick, then asks for the restart once. */
    cr_expect_eq(ticks(SDK_TICK_MS), 1);
    cr_expect_eq(disconnects, 1);
    tcp_c->proto.tcp->disconnect_callback(tcp_c);
    cr_expect_eq(ticks(100), 0, "a second restart request");
    free(img);
}

Test(sdk_glue, espota_host_closes_half_way_no_restart)
{
    start();
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 5, &len);
    invite(img, len);
    ticks(SDK_TICK_MS);
    cr_assert_eq(connects, 1);
    tcp_c->proto.tcp->connect_callback(tcp_c);
    char acks[4096];
    upload(img, len, len / 2, acks);
    tcp_c->proto.tcp->disconnect_callback(tcp_c);
    cr_expect_eq(ticks(2000), 0, "restart after a broken upload");
    cr_expect_not(uu_read_cmd(dev).valid, "a copy command after a broken upload");
    cr_expect(strstr(said, "espota: update failed"), "%s", said);
    free(img);
}
/* Does the datagram hold these bytes? */
static bool holds(const uint8_t *p, size_t n, const void *what, size_t wn)
{
    return wn <= n && memmem(p, n, what, wn) != NULL;
}

/* A PTR question for name (DNS wire format), QM, from port 5353. */
static void ask_ptr(const char *wire, size_t wn)
{
    uint8_t q[128] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(q + 12, wire, wn);
    memcpy(q + 12 + wn, (uint8_t[]){0, 12, 0, 1}, 4);
    sender = (remot_info){.remote_port = 5353, .remote_ip = {10, 0, 2, 2}};
    mdns_c->recv_callback(mdns_c, (char *)q, (unsigned short)(16 + wn));
}

Test(sdk_glue, espota_mdns_announces_and_answers_the_arduino_service)
{
    start();
    cr_assert(mdns_c, "no UDP 5353 espconn: %s", said);
    cr_expect_eq(memcmp(igmp_group, (uint8[]){224, 0, 0, 251}, 4), 0, "group not joined");
    cr_expect_eq(memcmp(igmp_host, (uint8[]){10, 0, 2, 15}, 4), 0);
    ticks(3000);
    cr_expect_eq(mdns_sends, 2, "two announcements, 1 s apart");
    static const char service[] = "\x08_arduino\x04_tcp\x05local";
    /* The labels up to "local", which may be a compression pointer to an earlier name. */
    cr_expect(holds(mdns_out, mdns_out_len, service, 14), "no _arduino._tcp");
    cr_expect(holds(mdns_out, mdns_out_len, "esp8266-", 8));
    cr_expect(holds(mdns_out, mdns_out_len, (uint8_t[]){10, 0, 2, 15}, 4), "no A record");
    cr_expect(holds(mdns_out, mdns_out_len, "auth_upload=no", 14));
    cr_expect_eq(memcmp(mdns_to_ip, (uint8[]){224, 0, 0, 251}, 4), 0);
    cr_expect_eq(mdns_to_port, 5353);
    /* A question for the service is answered (to the group); one for another is not. */
    int before = mdns_sends;
    mdns_out_len = 0;
    ask_ptr("\x05_http\x04_tcp\x05local", 18);
    cr_expect_eq(mdns_sends, before, "answered a question for _http._tcp");
    ask_ptr(service, sizeof(service));
    cr_expect_eq(mdns_sends, before + 1, "no answer for _arduino._tcp");
    cr_expect(holds(mdns_out, mdns_out_len, "esp8266-", 8));
}
#elif defined(GLUE_WEBUPDATE)
static struct espconn conn;
static esp_tcp conn_tcp;

static void accept_one(void)
{
    memset(&conn, 0, sizeof(conn));
    conn.type = ESPCONN_TCP;
    conn.proto.tcp = &conn_tcp;
    listener->proto.tcp->connect_callback(&conn);
}

/* A curl -F style POST; file: with the image as the `firmware` part, else only a text part. */
static void post(const uint8_t *img, size_t len, bool file)
{
    const char *b = "xyzzy";
    char part[256], tail[64], head[256];
    int pl = file ? snprintf(part, sizeof(part),
                             "--%s\r\nContent-Disposition: form-data; name=\"firmware\"; "
                             "filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                             b)
                  : snprintf(part, sizeof(part),
                             "--%s\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi", b);
    int tl = snprintf(tail, sizeof(tail), "\r\n--%s--\r\n", b);
    size_t body = (size_t)pl + (file ? len : 0) + (size_t)tl;
    int hl = snprintf(head, sizeof(head),
                      "POST /update HTTP/1.1\r\nHost: dev\r\nContent-Length: %zu\r\n"
                      "Content-Type: multipart/form-data; boundary=%s\r\n\r\n",
                      body, b);
    conn.recv_callback(&conn, head, (unsigned short)hl);
    conn.recv_callback(&conn, part, (unsigned short)pl);
    for (size_t off = 0; file && off < len; off += 1460)
        conn.recv_callback(&conn, (char *)img + off,
                           (unsigned short)(len - off < 1460 ? len - off : 1460));
    conn.recv_callback(&conn, tail, (unsigned short)tl);
}

Test(sdk_glue, webupdate_upload_then_restart_after_the_page)
{
    start();
    cr_assert(listener, "no listener");
    cr_expect_eq(listener->proto.tcp->local_port, 80);
    accept_one();
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 3, &len);
    post(img, len, true);
    tcp_out[tcp_out_len] = 0;
    cr_expect_eq(strncmp(tcp_out, "HTTP/1.1 200", 12), 0, "%s", tcp_out);
    cr_expect(uu_read_cmd(dev).valid, "no copy command");
    cr_expect_eq(ticks(100), 0, "restart before the page was sent");
    sent(&conn);
    cr_expect_eq(ticks(SDK_TICK_MS), 1);
    cr_expect_eq(disconnects, 1);
    conn.proto.tcp->disconnect_callback(&conn);
    free(img);
}

Test(sdk_glue, webupdate_post_without_file_400_no_restart)
{
    start();
    accept_one();
    post(NULL, 0, false);
    tcp_out[tcp_out_len] = 0;
    cr_expect_eq(strncmp(tcp_out, "HTTP/1.1 400", 12), 0, "%s", tcp_out);
    sent(&conn);
    cr_expect_eq(ticks(1000), 0, "restart after a refused POST");
    cr_expect_eq(disconnects, 1, "the connection was not closed");
    cr_expect_not(uu_read_cmd(dev).valid);
}
#elif defined(GLUE_HTTPUPDATE)
static void respond(const char *head, const uint8_t *body, size_t len)
{
    tcp_c->recv_callback(tcp_c, (char *)head, (unsigned short)strlen(head));
    for (size_t off = 0; off < len; off += 1460)
        tcp_c->recv_callback(tcp_c, (char *)body + off,
                             (unsigned short)(len - off < 1460 ? len - off : 1460));
}

static void connect_and_check_request(void)
{
    cr_expect_eq(ticks(SDK_TICK_MS), 0);
    cr_assert_eq(connects, 1, "no connection: %s", said);
    cr_expect_eq(memcmp(tcp_c->proto.tcp->remote_ip, (uint8[]){10, 0, 2, 2}, 4), 0);
    cr_expect_eq(tcp_c->proto.tcp->remote_port, 8080);
    tcp_c->proto.tcp->connect_callback(tcp_c);
    tcp_out[tcp_out_len] = 0;
    cr_expect_eq(strncmp(tcp_out, "GET /fw.bin HTTP/1.", 19), 0, "%s", tcp_out);
    cr_expect(strstr(tcp_out, "x-ESP8266-version: 1\r\n"), "%s", tcp_out);
    cr_expect(strstr(tcp_out, "x-ESP8266-sdk-version: fake-sdk\r\n"), "%s", tcp_out);
    sent(tcp_c);
}

Test(sdk_glue, httpupdate_update_then_restart)
{
    start();
    connect_and_check_request();
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 3, &len);
    char head[256];
    snprintf(head, sizeof(head),
             "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
             "%zu\r\n\r\n",
             len);
    respond(head, img, len);
    cr_expect(uu_read_cmd(dev).valid, "no copy command: %s", said);
    cr_expect_eq(ticks(SDK_TICK_MS), 0, "restart before the connection closed");
    cr_expect_eq(disconnects, 1);
    tcp_c->proto.tcp->disconnect_callback(tcp_c);
    cr_expect_eq(ticks(SDK_TICK_MS), 1, "%s", said);
    cr_expect(strstr(said, "httpupdate: update ok"), "%s", said);
    free(img);
}

Test(sdk_glue, httpupdate_304_no_restart)
{
    start();
    connect_and_check_request();
    respond("HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n", NULL, 0);
    cr_expect_eq(ticks(1000), 0);
    cr_expect(strstr(said, "httpupdate: no update"), "%s", said);
    cr_expect_not(uu_read_cmd(dev).valid);
}

Test(sdk_glue, httpupdate_redirect_reconnects_after_the_close)
{
    start();
    connect_and_check_request();
    respond("HTTP/1.1 302 Found\r\nLocation: http://10.0.2.3:8081/new.bin\r\n"
            "Content-Length: 0\r\n\r\n",
            NULL, 0);
    ticks(100);
    cr_expect_eq(disconnects, 1);
    cr_expect_eq(connects, 1, "reconnected on the espconn still being closed");
    tcp_c->proto.tcp->disconnect_callback(tcp_c);
    ticks(SDK_TICK_MS * 2);
    cr_assert_eq(connects, 2, "the redirect was not followed: %s", said);
    cr_expect_eq(memcmp(tcp_c->proto.tcp->remote_ip, (uint8[]){10, 0, 2, 3}, 4), 0);
    cr_expect_eq(tcp_c->proto.tcp->remote_port, 8081);
    tcp_out_len = 0;
    tcp_c->proto.tcp->connect_callback(tcp_c);
    tcp_out[tcp_out_len] = 0;
    cr_expect_eq(strncmp(tcp_out, "GET /new.bin HTTP/1.", 20), 0, "%s", tcp_out);
    sent(tcp_c);
    respond("HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n", NULL, 0);
    cr_expect_eq(ticks(2000), 0);
    cr_expect(strstr(said, "httpupdate: no update"), "%s", said);
}

Test(sdk_glue, httpupdate_silent_server_times_out)
{
    start();
    connect_and_check_request();
    cr_expect_eq(ticks(6000), 0);
    cr_expect(strstr(said, "httpupdate: failed: "), "%s", said);
    cr_expect_eq(disconnects, 1);
}
#else
#error "build with -DGLUE_ESPOTA, -DGLUE_WEBUPDATE or -DGLUE_HTTPUPDATE"
#endif
