// clang-format off
/* Fuzz target: the espota responder's datagram parsing (invitations and auth answers).
 * fuzz-sources: firmware/ota/espota/espota.c firmware/core/integrity/md5.c firmware/ota/http/http_auth.c firmware/ota/http/base64.c firmware/ota/http/http_head.c firmware/core/strbuf.c
 * fuzz-cflags: -Ifirmware/ota/espota -Ifirmware/ota/http
 *
 * Byte 0: bit 0 a password is set. The rest is a sequence of datagrams, each a length byte and
 * that many bytes, 100 ms apart. Checked after every datagram: the reply is one the protocol
 * has ("", "AUTH " + 32 hex digits, "Authentication Failed"), the state is a defined one, and a
 * responder ready to update holds a valid command and a 32-character MD5. The Updater and the
 * HAL are stubs here: datagrams alone never reach them. */
// clang-format on
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "espota.h"
#include "hal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stubs: reaching one from a datagram is itself a failure. */
void hal_random(void *buf, size_t len)
{
    memset(buf, 0x5A, len);
}
hal_status_t hal_flash_erase_sector(uint32_t sector)
{
    (void)sector;
    abort();
}
hal_status_t boot_cmd_clear(void)
{
    abort();
}
bool updater_begin(updater_t *u, uint32_t size, int command)
{
    (void)u, (void)size, (void)command;
    abort();
}
bool updater_set_md5(updater_t *u, const char *h)
{
    (void)u, (void)h;
    abort();
}
size_t updater_format_error(const updater_t *u, char *buf, size_t cap)
{
    (void)u, (void)buf, (void)cap;
    abort();
}
bool updater_end(updater_t *u, bool e)
{
    (void)u, (void)e;
    abort();
}
void updater_clear_error(updater_t *u)
{
    (void)u;
    abort();
}
uint32_t updater_write(updater_t *u, const uint8_t *d, uint32_t l)
{
    (void)u, (void)d, (void)l;
    abort();
}
bool updater_is_finished(const updater_t *u)
{
    (void)u;
    abort();
}
bool updater_has_error(const updater_t *u)
{
    (void)u;
    abort();
}

static bool hex32(const char *s)
{
    for (int i = 0; i < 32; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    espota_config_t cfg;
    espota_default_config(&cfg);
    cfg.password = (data[0] & 1) ? "pw" : NULL;
    static espota_t o;
    espota_init(&o, &cfg);
    uint32_t now = 0;
    for (size_t off = 1; off < size;) {
        size_t n = data[off++];
        if (n > size - off)
            n = size - off;
        char reply[ESPOTA_REPLY_MAX];
        size_t rl = 12345;
        espota_udp(&o, data + off, n, 0x0A000202u, 4000, now, reply, &rl);
        off += n;
        now += 100;
        if (rl >= ESPOTA_REPLY_MAX)
            abort();
        if (rl == 37 ? (memcmp(reply, "AUTH ", 5) || !hex32(reply + 5))
                     : rl != 0 && !(rl == 21 && !memcmp(reply, "Authentication Failed", 21)))
            abort();
        if (o.state != OTA_IDLE && o.state != OTA_WAITAUTH && o.state != OTA_RUNUPDATE)
            abort();
        if (o.state == OTA_RUNUPDATE &&
            ((o.cmd != ESPOTA_CMD_FLASH && o.cmd != ESPOTA_CMD_FS) || strlen(o.md5) != 32))
            abort();
        if (o.state == OTA_WAITAUTH && (!cfg.password || !hex32(o.nonce)))
            abort();
        if (o.state == OTA_RUNUPDATE)
            return 0; /* the next step is handle(): not datagram parsing */
    }
    return 0;
}
