/* Stand-in for the NONOS SDK header of this name: only what firmware/ports/esp8266/sdk uses,
 * written from the SDK's documented API (tests/ports/make_fake_sdk.sh). */
#ifndef FAKE_ETS_SYS_H
#define FAKE_ETS_SYS_H
#include "c_types.h"
typedef void ETSTimerFunc(void *timer_arg);
typedef struct _ETSTIMER_ {
    struct _ETSTIMER_ *timer_next;
    uint32 timer_expire;
    uint32 timer_period;
    ETSTimerFunc *timer_func;
    void *timer_arg;
} ETSTimer;
#endif
