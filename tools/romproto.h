/* romproto: the ESP8266 mask-ROM serial download protocol (spec esp8266-rom-serial.md §2, §3):
 * SLIP framing (one-shot encoder, streaming decoder that survives garbage and oversize frames),
 * request/response packets, the 0xEF-seeded XOR checksum, and the FLASH_BEGIN erase-size bug
 * of the ROM together with esptool's workaround (§3.2). Pure functions, no I/O, no allocation;
 * shared by `otasim flash` (host side) and `otasim romloader` (the simulated ROM). */
#ifndef OTASIM_ROMPROTO_H
#define OTASIM_ROMPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROM_SLIP_END 0xC0u
#define ROM_SLIP_ESC 0xDBu
#define ROM_SLIP_ESC_END 0xDCu
#define ROM_SLIP_ESC_ESC 0xDDu

#define ROM_CHECKSUM_SEED 0xEFu
#define ROM_HDR_LEN 8u      /* direction, op, size, checksum/value */
#define ROM_DATA_SUBHDR 16u /* FLASH_DATA / MEM_DATA: length, seq, 0, 0 */
#define ROM_FLASH_BLOCK 0x400u
#define ROM_RAM_BLOCK 0x1800u
#define ROM_SYNC_VALUE 0x20120707u
#define ROM_SYNC_LEN 36u
#define ROM_SYNC_REPLIES 8u
#define ROM_CHIP_MAGIC_REG 0x40001000u
#define ROM_CHIP_MAGIC_ESP8266 0xFFF0C101u

enum rom_op {
    ROM_FLASH_BEGIN = 0x02,
    ROM_FLASH_DATA = 0x03,
    ROM_FLASH_END = 0x04,
    ROM_MEM_BEGIN = 0x05,
    ROM_MEM_END = 0x06,
    ROM_MEM_DATA = 0x07,
    ROM_SYNC = 0x08,
    ROM_WRITE_REG = 0x09,
    ROM_READ_REG = 0x0A,
    /* stub only (§3.3, §7.4) */
    ROM_SPI_SET_PARAMS = 0x0B,
    ROM_SPI_ATTACH = 0x0D,
    ROM_CHANGE_BAUDRATE = 0x0F,
    ROM_SPI_FLASH_MD5 = 0x13,
    ROM_GET_SECURITY_INFO = 0x14,
    ROM_READ_FLASH = 0xD2,
    ROM_RUN_USER_CODE = 0xD3,
};

/* Error byte of a failed ROM reply (status 1), spec §3.4. */
enum rom_err {
    ROM_E_INVALID_PARAM = 0x01,
    ROM_E_BAD_MESSAGE = 0x05,
    ROM_E_EXEC_FAILED = 0x06,
    ROM_E_CHECKSUM = 0x07,
    ROM_E_FLASH_WRITE = 0x08,
};

/* Result codes of the parsers; romproto_strerror names each. */
typedef enum {
    ROMP_OK = 0,
    ROMP_TRUNCATED,     /* shorter than the 8-byte header */
    ROMP_BAD_DIRECTION, /* direction byte not 0 (request) / 1 (response) */
    ROMP_SIZE_MISMATCH, /* size field disagrees with the bytes present */
    ROMP_NO_STATUS,     /* response without its 2 status bytes */
    ROMP_BAD_SUBHDR,    /* _DATA: shorter than the 16-byte sub-header, or length field wrong */
    ROMP_BAD_CHECKSUM,  /* _DATA: header checksum != XOR checksum of the payload */
    ROMP_BAD_LENGTH,    /* a fixed-size command with the wrong payload length */
    ROMP_BAD_SYNC,      /* SYNC payload is not 07 07 12 20 + 32 x 0x55 */
} romp_status_t;

const char *romproto_strerror(romp_status_t s);
const char *romproto_op_name(uint8_t op);
/* Text of a ROM error byte (§3.4), e.g. "checksum error". */
const char *romproto_rom_error_name(uint8_t err);

/* XOR of every byte, seeded 0xEF. */
uint8_t romproto_checksum(const uint8_t *data, size_t len);

/* ---- SLIP ---- */

/* Bytes needed to frame len bytes (both 0xC0 included). */
size_t romproto_slip_encoded_len(const uint8_t *in, size_t len);
/* Frame in into out (capacity cap). Returns the framed length, or 0 if cap is too small. */
size_t romproto_slip_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

typedef enum {
    SLIP_NONE = 0,   /* byte consumed, no frame yet */
    SLIP_FRAME,      /* a complete non-empty frame is in dec->buf[0..dec->len) */
    SLIP_EMPTY,      /* two 0xC0 in a row: an empty frame (callers skip it) */
    SLIP_GARBAGE,    /* a non-0xC0 byte outside a frame (dropped; dec->garbage counts them) */
    SLIP_BAD_ESCAPE, /* 0xDB followed by something other than DC/DD: frame dropped */
    SLIP_OVERSIZE,   /* frame longer than the buffer: dropped up to its closing 0xC0 */
} slip_event_t;

typedef struct slip_dec {
    uint8_t *buf;
    size_t cap, len;
    int state;               /* internal */
    size_t garbage, dropped; /* garbage bytes outside frames; frames dropped (escape/oversize) */
} slip_dec_t;

void romproto_slip_init(slip_dec_t *d, uint8_t *buf, size_t cap);
/* Feed one byte. SLIP_BAD_ESCAPE and SLIP_OVERSIZE are reported once per frame, at the byte
 * that spoils it; the decoder then resynchronises on the next 0xC0. After SLIP_FRAME the frame
 * stays in buf until the next byte is fed. */
slip_event_t romproto_slip_feed(slip_dec_t *d, uint8_t byte);
const char *romproto_slip_event_name(slip_event_t e);

/* ---- packets ---- */

typedef struct rom_req {
    uint8_t op;
    uint16_t size;
    uint32_t checksum;
    const uint8_t *data; /* points into the frame */
} rom_req_t;

typedef struct rom_resp {
    uint8_t op;
    uint16_t size;
    uint32_t value;
    const uint8_t *data; /* response data before the status bytes */
    size_t data_len;
    uint8_t status, error;
} rom_resp_t;

/* Build an unframed request/response into out (capacity cap); return its length or 0. */
size_t romproto_build_request(uint8_t op, const uint8_t *data, uint16_t size, uint32_t checksum,
                              uint8_t *out, size_t cap);
size_t romproto_build_response(uint8_t op, uint32_t value, const uint8_t *data, uint16_t len,
                               uint8_t status, uint8_t error, uint8_t *out, size_t cap);
/* A FLASH_DATA / MEM_DATA request: sub-header (len, seq, 0, 0), data, checksum over data. */
size_t romproto_build_data(uint8_t op, uint32_t seq, const uint8_t *data, uint16_t len,
                           uint8_t *out, size_t cap);
/* The 36-byte SYNC request. */
size_t romproto_build_sync(uint8_t *out, size_t cap);
/* Four-word requests (FLASH_BEGIN, MEM_BEGIN, WRITE_REG) and one/two-word ones. */
size_t romproto_build_words(uint8_t op, const uint32_t *words, unsigned n, uint8_t *out,
                            size_t cap);

romp_status_t romproto_parse_request(const uint8_t *frame, size_t len, rom_req_t *r);
romp_status_t romproto_parse_response(const uint8_t *frame, size_t len, rom_resp_t *r);
/* Validate a _DATA request's sub-header and checksum; on success *seq, *data, *dlen are set. */
romp_status_t romproto_check_data(const rom_req_t *r, uint32_t *seq, const uint8_t **data,
                                  uint32_t *dlen);
/* Validate a SYNC payload. */
romp_status_t romproto_check_sync(const rom_req_t *r);
/* Word i of a request's data (LE); the caller checks r->size first. */
uint32_t romproto_word(const rom_req_t *r, unsigned i);

/* ---- erase-size quirk (§3.2) ---- */

/* esptool's get_erase_size: the erase size to send to the ROM so that it erases at least
 * ceil(size/4096) sectors from offset. */
uint32_t romproto_erase_size_workaround(uint32_t offset, uint32_t size);
/* The ROM's reported behaviour: number of sectors it erases from offset/4096 when asked to
 * erase erase_size bytes (2n when not crossing a 64 KiB block, n + h when crossing). */
uint32_t romproto_rom_erase_sectors(uint32_t offset, uint32_t erase_size);

static inline void romproto_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t romproto_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
