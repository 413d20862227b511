#include <stdint.h>
#include "semihost.h"
#include "runtime.h"

/* The three instructions must be uncompressed and in one page, hence the
 * alignment: the host recognises the ebreak by its neighbours. */
long semihost_call(long op, long arg)
{
    register long a0 __asm__("a0") = op;
    register long a1 __asm__("a1") = arg;
    __asm__ volatile (
        ".option push\n"
        ".option norvc\n"
        ".balign 16\n"
        "slli zero, zero, 0x1f\n"
        "ebreak\n"
        "srai zero, zero, 7\n"
        ".option pop\n"
        : "+r"(a0) : "r"(a1) : "memory");
    return a0;
}

void semihost_write0(const char *s)
{
    semihost_call(SYS_WRITE0, (long)(uintptr_t)s);
}

/* RV64 passes a {reason, subcode} block; RV32 passes the reason itself,
 * so it can only say "success" (0) or "failure" (1). */
void semihost_exit(int code)
{
#if __riscv_xlen == 64
    static long block[2];
    block[0] = ADP_Stopped_ApplicationExit;
    block[1] = code;
    semihost_call(SYS_EXIT, (long)(uintptr_t)block);
#else
    semihost_call(SYS_EXIT, code == 0 ? ADP_Stopped_ApplicationExit : 0x20023 /* RunTimeErrorUnknown */);
#endif
    fw_exit(code);   /* without -semihosting the ebreak traps instead */
}
