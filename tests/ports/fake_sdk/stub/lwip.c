/* Stubs for the stand-in SDK (make_fake_sdk.sh): they only have to link; nothing runs them.
 * One function a line: WITHOUT=name removes that line. */
/* clang-format off */
#include "espconn.h"
sint8 espconn_create(struct espconn *c) { (void)c; return ESPCONN_ARG; }
sint8 espconn_connect(struct espconn *c) { (void)c; return ESPCONN_ARG; }
sint8 espconn_disconnect(struct espconn *c) { (void)c; return ESPCONN_ARG; }
sint8 espconn_accept(struct espconn *c) { (void)c; return ESPCONN_ARG; }
sint8 espconn_send(struct espconn *c, uint8 *d, uint16 n) { (void)c; (void)d; (void)n; return ESPCONN_ARG; }
sint8 espconn_regist_connectcb(struct espconn *c, espconn_connect_callback cb) { (void)c; (void)cb; return 0; }
sint8 espconn_regist_recvcb(struct espconn *c, espconn_recv_callback cb) { c->recv_callback = cb; return 0; }
sint8 espconn_regist_sentcb(struct espconn *c, espconn_sent_callback cb) { c->sent_callback = cb; return 0; }
sint8 espconn_regist_disconcb(struct espconn *c, espconn_connect_callback cb) { (void)c; (void)cb; return 0; }
sint8 espconn_regist_reconcb(struct espconn *c, espconn_reconnect_callback cb) { (void)c; (void)cb; return 0; }
sint8 espconn_regist_time(struct espconn *c, uint32 i, uint8 f) { (void)c; (void)i; (void)f; return 0; }
sint8 espconn_get_connection_info(struct espconn *c, remot_info **r, uint8 f) { (void)c; (void)f; *r = 0; return ESPCONN_ARG; }
sint8 espconn_set_opt(struct espconn *c, uint8 o) { (void)c; (void)o; return 0; }
sint8 espconn_tcp_set_max_con_allow(struct espconn *c, uint8 n) { (void)c; (void)n; return 0; }
uint32 espconn_port(void) { return 50000; }
sint8 espconn_igmp_join(ip_addr_t *h, ip_addr_t *m) { (void)h; (void)m; return ESPCONN_ARG; }
