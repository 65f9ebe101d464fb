/* Stand-in for the NONOS SDK header of this name: only what firmware/ports/esp8266/sdk uses,
 * written from the SDK's documented API (tests/ports/make_fake_sdk.sh). */
#ifndef FAKE_IP_ADDR_H
#define FAKE_IP_ADDR_H
#include "c_types.h"
struct ip_addr {
    uint32 addr; /* network order */
};
typedef struct ip_addr ip_addr_t;
struct ip_info {
    struct ip_addr ip;
    struct ip_addr netmask;
    struct ip_addr gw;
};
#endif
