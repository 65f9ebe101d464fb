/* romproto: SLIP framing and ROM packets of the ESP8266 serial download protocol (romproto.h). */
#include "romproto.h"

#include <string.h>

const char *romproto_strerror(romp_status_t s)
{
    switch (s) {
    case ROMP_OK:
        return "ok";
    case ROMP_TRUNCATED:
        return "truncated packet (shorter than the 8-byte header)";
    case ROMP_BAD_DIRECTION:
        return "wrong direction byte";
    case ROMP_SIZE_MISMATCH:
        return "size field does not match the packet length";
    case ROMP_NO_STATUS:
        return "response without its 2 status bytes";
    case ROMP_BAD_SUBHDR:
        return "data packet: bad 16-byte sub-header (length field or short packet)";
    case ROMP_BAD_CHECKSUM:
        return "data packet: checksum mismatch";
    case ROMP_BAD_LENGTH:
        return "wrong payload length for this command";
    case ROMP_BAD_SYNC:
        return "malformed SYNC payload";
    }
    return "unknown error";
}

const char *romproto_op_name(uint8_t op)
{
    switch (op) {
    case ROM_FLASH_BEGIN:
        return "FLASH_BEGIN";
    case ROM_FLASH_DATA:
        return "FLASH_DATA";
    case ROM_FLASH_END:
        return "FLASH_END";
    case ROM_MEM_BEGIN:
        return "MEM_BEGIN";
    case ROM_MEM_END:
        return "MEM_END";
    case ROM_MEM_DATA:
        return "MEM_DATA";
    case ROM_SYNC:
        return "SYNC";
    case ROM_WRITE_REG:
        return "WRITE_REG";
    case ROM_READ_REG:
        return "READ_REG";
    case ROM_SPI_SET_PARAMS:
        return "SPI_SET_PARAMS";
    case ROM_SPI_ATTACH:
        return "SPI_ATTACH";
    case ROM_CHANGE_BAUDRATE:
        return "CHANGE_BAUDRATE";
    case ROM_SPI_FLASH_MD5:
        return "SPI_FLASH_MD5";
    case ROM_GET_SECURITY_INFO:
        return "GET_SECURITY_INFO";
    case ROM_READ_FLASH:
        return "READ_FLASH";
    case ROM_RUN_USER_CODE:
        return "RUN_USER_CODE";
    }
    return "unknown command";
}

const char *romproto_rom_error_name(uint8_t err)
{
    switch (err) {
    case 0x00:
        return "undefined";
    case 0x01:
        return "invalid input parameter";
    case 0x02:
        return "out of memory";
    case 0x03:
        return "send failed";
    case 0x04:
        return "receive failed";
    case 0x05:
        return "malformed or unsupported message";
    case 0x06:
        return "execution failed";
    case 0x07:
        return "checksum error";
    case 0x08:
        return "flash write error";
    case 0x09:
        return "flash read error";
    case 0x0A:
        return "flash read length error";
    case 0x0E:
        return "invalid RAM binary size";
    case 0x0F:
        return "invalid RAM binary address";
    }
    return "unknown ROM error";
}

uint8_t romproto_checksum(const uint8_t *data, size_t len)
{
    uint8_t c = ROM_CHECKSUM_SEED;
    for (size_t i = 0; i < len; i++)
        c ^= data[i];
    return c;
}

size_t romproto_slip_encoded_len(const uint8_t *in, size_t len)
{
    size_t n = 2;
    for (size_t i = 0; i < len; i++)
        n += (in[i] == ROM_SLIP_END || in[i] == ROM_SLIP_ESC) ? 2 : 1;
    return n;
}

size_t romproto_slip_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    if (romproto_slip_encoded_len(in, len) > cap)
        return 0;
    size_t o = 0;
    out[o++] = ROM_SLIP_END;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == ROM_SLIP_END) {
            out[o++] = ROM_SLIP_ESC;
            out[o++] = ROM_SLIP_ESC_END;
        } else if (in[i] == ROM_SLIP_ESC) {
            out[o++] = ROM_SLIP_ESC;
            out[o++] = ROM_SLIP_ESC_ESC;
        } else {
            out[o++] = in[i];
        }
    }
    out[o++] = ROM_SLIP_END;
    return o;
}

enum { ST_OUT, ST_IN, ST_ESC, ST_DROP, ST_DONE };

void romproto_slip_init(slip_dec_t *d, uint8_t *buf, size_t cap)
{
    memset(d, 0, sizeof(*d));
    d->buf = buf;
    d->cap = cap;
    d->state = ST_OUT;
}

const char *romproto_slip_event_name(slip_event_t e)
{
    switch (e) {
    case SLIP_NONE:
        return "none";
    case SLIP_FRAME:
        return "frame";
    case SLIP_EMPTY:
        return "empty frame";
    case SLIP_GARBAGE:
        return "byte outside a SLIP frame (invalid head of packet)";
    case SLIP_BAD_ESCAPE:
        return "invalid SLIP escape";
    case SLIP_OVERSIZE:
        return "SLIP frame too long";
    }
    return "?";
}

static slip_event_t push(slip_dec_t *d, uint8_t b)
{
    if (d->len >= d->cap) {
        d->state = ST_DROP;
        d->dropped++;
        return SLIP_OVERSIZE;
    }
    d->buf[d->len++] = b;
    d->state = ST_IN;
    return SLIP_NONE;
}

slip_event_t romproto_slip_feed(slip_dec_t *d, uint8_t b)
{
    if (d->state == ST_DONE) {
        d->len = 0;
        d->state = ST_OUT;
    }
    switch (d->state) {
    case ST_OUT:
        if (b == ROM_SLIP_END) {
            d->len = 0;
            d->state = ST_IN;
            return SLIP_NONE;
        }
        d->garbage++;
        return SLIP_GARBAGE;
    case ST_IN:
        if (b == ROM_SLIP_END) {
            if (d->len == 0)
                return SLIP_EMPTY; /* stay inside: "C0 C0 <frame> C0" is one frame */
            d->state = ST_DONE;
            return SLIP_FRAME;
        }
        if (b == ROM_SLIP_ESC) {
            d->state = ST_ESC;
            return SLIP_NONE;
        }
        return push(d, b);
    case ST_ESC:
        if (b == ROM_SLIP_ESC_END)
            return push(d, ROM_SLIP_END);
        if (b == ROM_SLIP_ESC_ESC)
            return push(d, ROM_SLIP_ESC);
        d->dropped++;
        if (b == ROM_SLIP_END) { /* the frame ends spoiled; the next begins clean */
            d->len = 0;
            d->state = ST_OUT;
        } else {
            d->state = ST_DROP;
        }
        return SLIP_BAD_ESCAPE;
    case ST_DROP:
        if (b == ROM_SLIP_END) {
            d->len = 0;
            d->state = ST_OUT;
        }
        return SLIP_NONE;
    }
    return SLIP_NONE;
}

size_t romproto_build_request(uint8_t op, const uint8_t *data, uint16_t size, uint32_t checksum,
                              uint8_t *out, size_t cap)
{
    if (cap < ROM_HDR_LEN + (size_t)size)
        return 0;
    out[0] = 0x00;
    out[1] = op;
    out[2] = (uint8_t)size;
    out[3] = (uint8_t)(size >> 8);
    romproto_put32(out + 4, checksum);
    if (size)
        memcpy(out + ROM_HDR_LEN, data, size);
    return ROM_HDR_LEN + size;
}

size_t romproto_build_response(uint8_t op, uint32_t value, const uint8_t *data, uint16_t len,
                               uint8_t status, uint8_t error, uint8_t *out, size_t cap)
{
    size_t size = (size_t)len + 2;
    if (size > 0xFFFF || cap < ROM_HDR_LEN + size)
        return 0;
    out[0] = 0x01;
    out[1] = op;
    out[2] = (uint8_t)size;
    out[3] = (uint8_t)(size >> 8);
    romproto_put32(out + 4, value);
    if (len)
        memcpy(out + ROM_HDR_LEN, data, len);
    out[ROM_HDR_LEN + len] = status;
    out[ROM_HDR_LEN + len + 1] = error;
    return ROM_HDR_LEN + size;
}

size_t romproto_build_data(uint8_t op, uint32_t seq, const uint8_t *data, uint16_t len,
                           uint8_t *out, size_t cap)
{
    size_t size = ROM_DATA_SUBHDR + (size_t)len;
    if (size > 0xFFFF || cap < ROM_HDR_LEN + size)
        return 0;
    uint8_t *p = out + ROM_HDR_LEN;
    romproto_put32(p, len);
    romproto_put32(p + 4, seq);
    romproto_put32(p + 8, 0);
    romproto_put32(p + 12, 0);
    memcpy(p + ROM_DATA_SUBHDR, data, len);
    out[0] = 0x00;
    out[1] = op;
    out[2] = (uint8_t)size;
    out[3] = (uint8_t)(size >> 8);
    romproto_put32(out + 4, romproto_checksum(data, len));
    return ROM_HDR_LEN + size;
}

size_t romproto_build_sync(uint8_t *out, size_t cap)
{
    uint8_t p[ROM_SYNC_LEN];
    romproto_put32(p, ROM_SYNC_VALUE);
    memset(p + 4, 0x55, ROM_SYNC_LEN - 4);
    return romproto_build_request(ROM_SYNC, p, ROM_SYNC_LEN, 0, out, cap);
}

size_t romproto_build_words(uint8_t op, const uint32_t *words, unsigned n, uint8_t *out, size_t cap)
{
    uint8_t p[64];
    if (n > 16)
        return 0;
    for (unsigned i = 0; i < n; i++)
        romproto_put32(p + 4 * i, words[i]);
    return romproto_build_request(op, p, (uint16_t)(4 * n), 0, out, cap);
}

romp_status_t romproto_parse_request(const uint8_t *f, size_t len, rom_req_t *r)
{
    if (len < ROM_HDR_LEN)
        return ROMP_TRUNCATED;
    if (f[0] != 0x00)
        return ROMP_BAD_DIRECTION;
    r->op = f[1];
    r->size = (uint16_t)(f[2] | f[3] << 8);
    r->checksum = romproto_get32(f + 4);
    r->data = f + ROM_HDR_LEN;
    if ((size_t)r->size != len - ROM_HDR_LEN)
        return ROMP_SIZE_MISMATCH;
    return ROMP_OK;
}

romp_status_t romproto_parse_response(const uint8_t *f, size_t len, rom_resp_t *r)
{
    if (len < ROM_HDR_LEN)
        return ROMP_TRUNCATED;
    if (f[0] != 0x01)
        return ROMP_BAD_DIRECTION;
    r->op = f[1];
    r->size = (uint16_t)(f[2] | f[3] << 8);
    r->value = romproto_get32(f + 4);
    if ((size_t)r->size != len - ROM_HDR_LEN)
        return ROMP_SIZE_MISMATCH;
    if (r->size < 2)
        return ROMP_NO_STATUS;
    r->data = f + ROM_HDR_LEN;
    r->data_len = r->size - 2u;
    r->status = f[ROM_HDR_LEN + r->data_len];
    r->error = f[ROM_HDR_LEN + r->data_len + 1];
    return ROMP_OK;
}

uint32_t romproto_word(const rom_req_t *r, unsigned i)
{
    return romproto_get32(r->data + 4 * i);
}

romp_status_t romproto_check_data(const rom_req_t *r, uint32_t *seq, const uint8_t **data,
                                  uint32_t *dlen)
{
    if (r->size < ROM_DATA_SUBHDR)
        return ROMP_BAD_SUBHDR;
    uint32_t n = romproto_word(r, 0);
    if (n != (uint32_t)r->size - ROM_DATA_SUBHDR)
        return ROMP_BAD_SUBHDR;
    const uint8_t *d = r->data + ROM_DATA_SUBHDR;
    if (romproto_checksum(d, n) != r->checksum)
        return ROMP_BAD_CHECKSUM;
    *seq = romproto_word(r, 1);
    *data = d;
    *dlen = n;
    return ROMP_OK;
}

romp_status_t romproto_check_sync(const rom_req_t *r)
{
    if (r->size != ROM_SYNC_LEN)
        return ROMP_BAD_LENGTH;
    if (romproto_word(r, 0) != ROM_SYNC_VALUE)
        return ROMP_BAD_SYNC;
    for (unsigned i = 4; i < ROM_SYNC_LEN; i++)
        if (r->data[i] != 0x55)
            return ROMP_BAD_SYNC;
    return ROMP_OK;
}

uint32_t romproto_erase_size_workaround(uint32_t offset, uint32_t size)
{
    uint32_t n = (uint32_t)(((uint64_t)size + 4095) / 4096);
    uint32_t s = offset / 4096;
    uint32_t h = 16 - s % 16;
    if (h > n)
        h = n;
    if (n < 2 * h)
        return (n + 1) / 2 * 4096;
    return (n - h) * 4096;
}

uint32_t romproto_rom_erase_sectors(uint32_t offset, uint32_t erase_size)
{
    uint32_t n = (uint32_t)(((uint64_t)erase_size + 4095) / 4096);
    uint32_t h = 16 - (offset / 4096) % 16;
    if (n <= h)
        return 2 * n;
    return n + h;
}
