/* Stand-in for the NONOS SDK header of this name: only what firmware/ports/esp8266/sdk uses,
 * written from the SDK's documented API (tests/ports/make_fake_sdk.sh). */
#ifndef FAKE_OSAPI_H
#define FAKE_OSAPI_H
#include "os_type.h"
void ets_timer_arm_new(ETSTimer *t, uint32 ms, bool repeat, int is_ms);
void ets_timer_disarm(ETSTimer *t);
void ets_timer_setfn(ETSTimer *t, ETSTimerFunc *fn, void *arg);
#define os_timer_arm(t, ms, repeat) ets_timer_arm_new(t, ms, repeat, 1)
#define os_timer_disarm ets_timer_disarm
#define os_timer_setfn ets_timer_setfn
#endif
