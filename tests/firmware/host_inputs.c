/* host_inputs: read what the host gives a guest and print it on the UART:
 * the goldfish RTC (the host's wall clock by default), semihosting SYS_TIME
 * (host seconds) and SYS_CLOCK (guest centiseconds), a second RTC read
 * later. A recording replays these as they were read. Needs -semihosting. */
#include "runtime.h"
#include "semihost.h"

#define RTC_TIME_LOW  (*(volatile uint32_t *)0x101000)
#define RTC_TIME_HIGH (*(volatile uint32_t *)0x101004)
#define SYS_CLOCK 0x10
#define SYS_TIME 0x11

static uint64_t rtc_ns(void)
{
    uint32_t lo = RTC_TIME_LOW;
    return ((uint64_t)RTC_TIME_HIGH << 32) | lo;
}

int main(void)
{
    uart_init();
    uint64_t first = rtc_ns();
    long seconds = semihost_call(SYS_TIME, 0);
    volatile uint32_t x = 1;
    for (int i = 0; i < 20000; i++)
        x = x * 3 + 1;
    uint64_t second = rtc_ns();
    long clock = semihost_call(SYS_CLOCK, 0);
    uart_printf("rtc %08x%08x then +%u ns, time %ld, clock %ld\n", (unsigned)(first >> 32),
                (unsigned)first, (unsigned)(second - first), seconds, clock);
    fw_exit(0);
}
