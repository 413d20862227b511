/* Startup for the Cortex-M examples: the vector table (the core loads SP and
   PC from its first two words), .data from flash, .bss cleared. Handlers the
   example does not define stop in default_handler. */
#include "cortexm.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
void reset_handler(void);
static void default_handler(void) { for (;;) {} }
void nmi_handler(void) __attribute__((weak, alias("default_handler")));
void hardfault_handler(void) __attribute__((weak, alias("default_handler")));
void memmanage_handler(void) __attribute__((weak, alias("default_handler")));
void busfault_handler(void) __attribute__((weak, alias("default_handler")));
void usagefault_handler(void) __attribute__((weak, alias("default_handler")));
void svc_handler(void) __attribute__((weak, alias("default_handler")));
void pendsv_handler(void) __attribute__((weak, alias("default_handler")));
void systick_handler(void) __attribute__((weak, alias("default_handler")));

__attribute__((section(".vectors"), used)) void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, reset_handler, nmi_handler, hardfault_handler,
    memmanage_handler, busfault_handler, usagefault_handler, 0, 0, 0, 0,
    svc_handler, default_handler, 0, pendsv_handler, systick_handler,
};

void reset_handler(void) {
    uint32_t *src = &__data_load, *dst = &__data_start;
    while (dst < &__data_end) *dst++ = *src++;
    for (dst = &__bss_start; dst < &__bss_end; dst++) *dst = 0;
    uart_init();
    semihosting_exit(main());
}
