/* Stand-in for the NONOS SDK header of this name: only what firmware/ports/esp8266/sdk uses,
 * written from the SDK's documented API (tests/ports/make_fake_sdk.sh). */
#ifndef FAKE_ESPCONN_H
#define FAKE_ESPCONN_H
#include "c_types.h"
#include "ip_addr.h"
#define ESPCONN_OK 0
#define ESPCONN_MEM -1
#define ESPCONN_ARG -12
enum espconn_type { ESPCONN_INVALID = 0, ESPCONN_TCP = 0x10, ESPCONN_UDP = 0x20 };
enum espconn_state {
    ESPCONN_NONE,
    ESPCONN_WAIT,
    ESPCONN_LISTEN,
    ESPCONN_CONNECT,
    ESPCONN_WRITE,
    ESPCONN_READ,
    ESPCONN_CLOSE
};
enum espconn_option { ESPCONN_START = 0x00, ESPCONN_REUSEADDR = 0x01, ESPCONN_NODELAY = 0x02 };
typedef void (*espconn_connect_callback)(void *arg);
typedef void (*espconn_reconnect_callback)(void *arg, sint8 err);
typedef void (*espconn_recv_callback)(void *arg, char *pdata, unsigned short len);
typedef void (*espconn_sent_callback)(void *arg);
typedef struct _esp_tcp {
    int remote_port;
    int local_port;
    uint8 local_ip[4];
    uint8 remote_ip[4];
    espconn_connect_callback connect_callback;
    espconn_reconnect_callback reconnect_callback;
    espconn_connect_callback disconnect_callback;
    espconn_connect_callback write_finish_fn;
} esp_tcp;
typedef struct _esp_udp {
    int remote_port;
    int local_port;
    uint8 local_ip[4];
    uint8 remote_ip[4];
} esp_udp;
struct espconn {
    enum espconn_type type;
    enum espconn_state state;
    union {
        esp_tcp *tcp;
        esp_udp *udp;
    } proto;
    espconn_recv_callback recv_callback;
    espconn_sent_callback sent_callback;
    uint8 link_cnt;
    void *reverse;
};
typedef struct _remot_info {
    enum espconn_state state;
    int remote_port;
    uint8 remote_ip[4];
} remot_info;
sint8 espconn_create(struct espconn *c);
sint8 espconn_connect(struct espconn *c);
sint8 espconn_disconnect(struct espconn *c);
sint8 espconn_accept(struct espconn *c);
sint8 espconn_send(struct espconn *c, uint8 *data, uint16 len);
sint8 espconn_regist_connectcb(struct espconn *c, espconn_connect_callback cb);
sint8 espconn_regist_recvcb(struct espconn *c, espconn_recv_callback cb);
sint8 espconn_regist_sentcb(struct espconn *c, espconn_sent_callback cb);
sint8 espconn_regist_disconcb(struct espconn *c, espconn_connect_callback cb);
sint8 espconn_regist_reconcb(struct espconn *c, espconn_reconnect_callback cb);
sint8 espconn_regist_time(struct espconn *c, uint32 interval, uint8 type_flag);
sint8 espconn_get_connection_info(struct espconn *c, remot_info **info, uint8 typeflags);
sint8 espconn_set_opt(struct espconn *c, uint8 opt);
sint8 espconn_tcp_set_max_con_allow(struct espconn *c, uint8 num);
uint32 espconn_port(void);
sint8 espconn_igmp_join(ip_addr_t *host_ip, ip_addr_t *multicast_ip);
#endif
