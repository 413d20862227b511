/* semihosting-hello: write a line with SYS_WRITE0 and exit with SYS_EXIT.
 * Needs -semihosting:
 *   qemu-system-riscv64 -M virt -bios none -kernel build/semihosting-hello-rv64.elf -nographic -semihosting */
#include "semihost.h"

int main(void)
{
    semihost_write0("Hello from semihosting!\n");
    semihost_exit(0);
}
