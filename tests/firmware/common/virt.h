/* Addresses of QEMU's riscv virt machine (read off QEMU 7.2: info mtree -f, dumpdtb). */
#ifndef VIRT_H
#define VIRT_H

#define SIFIVE_TEST_BASE  0x00100000
#define SIFIVE_TEST_PASS  0x5555
#define SIFIVE_TEST_FAIL  0x3333
#define SIFIVE_TEST_RESET 0x7777

#define CLINT_BASE        0x02000000
#define CLINT_MSIP        (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP    (CLINT_BASE + 0x4000)
#define CLINT_MTIME       (CLINT_BASE + 0xbff8)
#define TIMEBASE_HZ       10000000

#define PLIC_BASE         0x0c000000
#define PLIC_PRIORITY(irq)   (PLIC_BASE + 4 * (irq))
#define PLIC_PENDING         (PLIC_BASE + 0x1000)
#define PLIC_ENABLE(ctx)     (PLIC_BASE + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx)  (PLIC_BASE + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)      (PLIC_BASE + 0x200004 + 0x1000 * (ctx))
#define UART_IRQ          10

#define UART_BASE         0x10000000
#define UART_RBR 0  /* read: receive buffer */
#define UART_THR 0  /* write: transmit holding */
#define UART_IER 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_DR   0x01
#define UART_LSR_THRE 0x20

#define RAM_BASE          0x80000000

#define MSTATUS_MIE  0x8
#define MIE_MSIE     (1 << 3)
#define MIE_MTIE     (1 << 7)
#define MIE_MEIE     (1 << 11)

/* mcause of a machine timer interrupt */
#if __riscv_xlen == 64
#define MCAUSE_MTI ((1UL << 63) | 7)
#else
#define MCAUSE_MTI ((1UL << 31) | 7)
#endif

#endif
