/* The esp8266 port of the basic app (firmware/apps/basic): updates arrive on UART0, the seed's
 * Stream Interface over serial. The host sends one line, then the bytes:
 *
 *     update <size> [fs] [md5=<32 hex>]\n
 *
 * `fs` selects U_FS (default U_FLASH). The layout is the FLASH_MAP auto row for the chip's
 * real size; signing is what the build embedded (signing_esp8266.c). */
#include <string.h>

#include "app_port_esp8266.h"
#include "basic_app.h"
#include "hal.h"
#include "layout.h"
#include "signing_esp8266.h"

#define LINE_MAX 80u
/* Between the bytes of the update line and of the image (the Updater's own default). */
#define SERIAL_TIMEOUT_MS UPDATE_STREAM_DEFAULT_TIMEOUT_MS

static void say(const char *s)
{
    hal_console_write(s, strlen(s));
}

static void configure(void *ctx, updater_config_t *cfg)
{
    (void)ctx;
    esp8266_signing_config(cfg);
}

/* Reads one line (without the newline); false on an over-long line. Waits for its first byte
 * as long as it takes: an idle app has nothing else to do. */
static bool read_line(const update_stream_t *s, char *line)
{
    uint32_t n = 0;
    for (;;) {
        uint8_t c;
        if (update_stream_read_bytes(s, &c, 1) != 1) {
            if (n == 0)
                continue; /* still idle */
            return false; /* the line stopped half-way */
        }
        if (c == '\r')
            continue;
        if (c == '\n')
            break;
        if (n + 1 >= LINE_MAX)
            return false;
        line[n++] = (char)c;
    }
    line[n] = '\0';
    return true;
}

static bool parse_u32(const char **p, uint32_t *out)
{
    uint32_t v = 0;
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > 429496728u)
            return false;
        v = v * 10 + (uint32_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return true;
}

/* "update <size> [fs] [md5=<hex>]" -> offer; false if the line is anything else. */
static bool parse_offer(const char *line, basic_offer_t *o)
{
    static const char verb[] = "update ";
    if (strncmp(line, verb, sizeof(verb) - 1) != 0)
        return false;
    const char *p = line + sizeof(verb) - 1;
    if (!parse_u32(&p, &o->declared))
        return false;
    o->command = U_FLASH;
    while (*p == ' ') {
        p++;
        if (!strncmp(p, "fs", 2) && (p[2] == ' ' || p[2] == '\0')) {
            o->command = U_FS;
            p += 2;
        } else if (!strncmp(p, "md5=", 4) && strlen(p + 4) >= 32 &&
                   (p[36] == ' ' || p[36] == '\0')) {
            memcpy(o->md5, p + 4, 32);
            o->md5[32] = '\0';
            o->has_md5 = true;
            p += 36;
        } else {
            return false;
        }
    }
    return *p == '\0';
}

static bool next_offer(void *ctx, basic_offer_t *o)
{
    (void)ctx;
    memset(o, 0, sizeof(*o));
    o->stream = esp8266_uart_stream(SERIAL_TIMEOUT_MS);
    for (;;) {
        say("send: update <size> [fs] [md5=<hex>], then the bytes\n");
        char line[LINE_MAX];
        if (read_line(&o->stream, line) && parse_offer(line, o))
            return true;
        say("error: expected 'update <size> [fs] [md5=<32 hex>]'\n");
    }
}

int esp8266_app_main(void)
{
    static flash_layout_t layout;
    if (!layout_auto(hal_flash_real_size(), &layout)) {
        say("basic: no layout for this flash size\n");
        return 1;
    }
    basic_port_t port = {.name = APP_NAME,
                         .version = APP_VERSION,
                         .layout = &layout,
                         .atomic_fs = false,
                         .configure = configure,
                         .next_offer = next_offer};
    basic_app_run(&port);
    return 0;
}
