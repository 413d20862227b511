/* Built with -nostdlib -Ttext=0x80000000 and no linker script, as a quick
   test program often is: the first LOAD segment then starts a page below RAM
   (it carries the ELF and program headers). _start passes (sifive_test
   0x5555); `other`, which `-Wl,-e,other` makes the ELF's entry, fails with
   exit code 3: QEMU 7.2 with -bios none starts at the start of RAM. */
    .globl _start
    .globl other
_start:
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b
other:
    li t0, 0x100000
    li t1, 0x33333
    sw t1, 0(t0)
2:  j 2b
