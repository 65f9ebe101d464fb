/* UART0 receive side as an update_stream_t: the bytes waiting in the RX FIFO (128 B) plus a
 * small software buffer for peek. The host side sends the image at the console baud rate. */
#include "app_port_esp8266.h"
#include "esp8266_regs.h"

typedef struct uart_rx {
    int peeked; /* -1: none */
} uart_rx_t;

static uart_rx_t rx = {-1};

static uint32_t fifo_count(void)
{
    return ESP8266_REG(ESP8266_UART0_STATUS) & 0xFFu;
}

static uint32_t uart_available(void *ctx)
{
    uart_rx_t *u = ctx;
    return fifo_count() + (u->peeked >= 0 ? 1u : 0u);
}

static uint32_t uart_read(void *ctx, uint8_t *buf, uint32_t len)
{
    uart_rx_t *u = ctx;
    uint32_t n = 0;
    if (len > 0 && u->peeked >= 0) {
        buf[n++] = (uint8_t)u->peeked;
        u->peeked = -1;
    }
    while (n < len && fifo_count() > 0)
        buf[n++] = (uint8_t)ESP8266_REG(ESP8266_UART0_FIFO);
    return n;
}

static int uart_peek(void *ctx)
{
    uart_rx_t *u = ctx;
    if (u->peeked < 0 && fifo_count() > 0)
        u->peeked = (int)(ESP8266_REG(ESP8266_UART0_FIFO) & 0xFFu);
    return u->peeked;
}

update_stream_t esp8266_uart_stream(uint32_t timeout_ms)
{
    update_stream_t s = {&rx, uart_available, uart_read, uart_peek, timeout_ms};
    return s;
}
