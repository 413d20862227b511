/* hello: print a line on the ns16550a UART and exit 0 through sifive_test.
 *   qemu-system-riscv32 -M virt -bios none -kernel build/hello-rv32.elf -nographic */
#include "runtime.h"

int main(void)
{
    uart_init();
    uart_printf("Hello, world! (rv%d)\n", __riscv_xlen);
    return 0;
}
