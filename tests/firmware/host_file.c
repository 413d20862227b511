/* host_file: write two lines to a host file through semihosting (SYS_OPEN
 * "w", SYS_WRITE, SYS_CLOSE; needs -semihosting with host files), with a
 * stop point between them, and print what each call returned. A replay of
 * a recording of it must never reach a host file. */
#include "runtime.h"
#include "semihost.h"

#define SYS_OPEN  0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE 0x05

static long call3(long op, long a, long b, long c)
{
    static long block[3];
    block[0] = a;
    block[1] = b;
    block[2] = c;
    return semihost_call(op, (long)block);
}

void __attribute__((noinline)) between_writes(void)
{
    __asm__ volatile ("");
}

int main(void)
{
    static const char name[] = "tt-host-file.txt";
    uart_init();
    long fd = call3(SYS_OPEN, (long)name, 4 /* "w" */, sizeof name - 1);
    long first = call3(SYS_WRITE, fd, (long)"one\n", 4);
    between_writes();
    long second = call3(SYS_WRITE, fd, (long)"two\n", 4);
    long closed = call3(SYS_CLOSE, fd, 0, 0);
    uart_printf("open %ld write %ld write %ld close %ld\n", fd, first, second, closed);
    fw_exit(0);
}
