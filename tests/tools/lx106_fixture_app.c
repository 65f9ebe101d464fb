/* A test fixture for `otasim image build` on a real lx106 app ELF: links the whole Updater
 * through the esp8266 port (app.ld, HAL, UART stream, signing config) so the image builder
 * sees the sections a real app has. It reads a size line, then that many bytes from UART0. */
#include <stddef.h>

#include "app_port_esp8266.h"
#include "hal.h"
#include "layout.h"
#include "signing_esp8266.h"
#include "updater.h"

static updater_t up;
static inflate_state_t inflate_work;

int esp8266_app_main(void)
{
    static const char hello[] = "fixture app: send the image size in decimal and a newline\n";
    hal_console_write(hello, sizeof(hello) - 1);
    flash_layout_t layout;
    if (!layout_auto(hal_flash_real_size(), &layout))
        return 1;
    updater_config_t cfg = {0};
    cfg.layout = &layout;
    cfg.inflate_work = &inflate_work;
    esp8266_signing_config(&cfg);
    updater_init(&up, &cfg);
    update_stream_t s = esp8266_uart_stream(UPDATE_STREAM_DEFAULT_TIMEOUT_MS);
    uint32_t size = 0;
    uint8_t c;
    while (update_stream_read_bytes(&s, &c, 1) == 1 && c >= '0' && c <= '9')
        size = size * 10 + (uint32_t)(c - '0');
    if (updater_begin(&up, size, 0) && updater_write_stream(&up, &s, 10000) == size &&
        updater_end(&up, false))
        hal_restart(HAL_RESTART_SOFT);
    updater_print_error(&up);
    return 1;
}
