"""ns16550a register behaviour, against QEMU's serial.c semantics."""
from emud.chardev import MemoryChardev
from emud.clock import VirtualClock
from emud.devices import uart16550 as u
from emud.devices.uart16550 import Uart16550
from emud.memory import AddressSpace, BusError, MmioRegion

RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR = range(8)


def make(clock=None):
    chr_ = MemoryChardev()
    uart = Uart16550(chardev=chr_, clock=clock)
    levels = []
    uart.irq.connect(levels.append)
    return uart, chr_, levels


def test_reset_values_match_qemu():
    # read off qemu-system-riscv32 -M virt: LSR 0x60, IIR 0x01, MSR 0xb0, MCR 0x08
    uart, _, _ = make()
    assert uart.read(LSR, 1) == 0x60
    assert uart.read(IIR, 1) == 0x01
    assert uart.read(MSR, 1) == 0xB0
    assert uart.read(MCR, 1) == 0x08
    assert uart.read(IER, 1) == 0
    assert uart.irq.level == 0


def test_transmit_goes_to_chardev_and_listeners():
    uart, chr_, _ = make()
    seen = []
    uart.output_listeners.append(seen.append)
    for b in b"hi\n":
        uart.write(RBR, 1, b)
    assert chr_.take_output() == b"hi\n"
    assert b"".join(seen) == b"hi\n"
    assert uart.read(LSR, 1) & 0x60 == 0x60   # THRE and TEMT back at once


def test_wide_accesses_hit_the_byte_register():
    uart, chr_, _ = make()
    uart.write(RBR, 4, 0x12345641)
    assert chr_.take_output() == b"A"
    uart.write(SCR, 8, 0xFFFF_FF5A)
    assert uart.read(SCR, 8) == 0x5A


def test_bus_rejects_nothing_up_to_8_bytes_but_maps_8_bytes():
    space = AddressSpace()
    uart, chr_, _ = make()
    space.map(0x10000000, MmioRegion("uart", uart.size, uart))
    space.write(0x10000000, 1, ord("x"))
    assert chr_.take_output() == b"x"
    assert space.read(0x10000005, 1) == 0x60
    try:
        space.read(0x10000008, 1)
    except BusError:
        pass
    else:
        raise AssertionError("uart region is 8 bytes")


def test_divisor_latch():
    uart, chr_, _ = make()
    uart.write(LCR, 1, 0x83)
    assert uart.read(RBR, 1) == 0x0C and uart.read(IER, 1) == 0   # reset divisor 12
    uart.write(RBR, 1, 0x01)
    uart.write(IER, 1, 0x02)
    assert uart.divider == 0x0201
    assert chr_.take_output() == b""     # DLL write is not a transmit
    uart.write(LCR, 1, 0x03)
    assert uart.read(IER, 1) == 0
    assert uart.read(LCR, 1) == 0x03


def test_thre_interrupt_on_ier_write_and_ack_by_iir_read():
    uart, _, levels = make()
    uart.write(IER, 1, u.IER_THRI)
    assert uart.irq.level == 1
    assert uart.read(IIR, 1) == 0x02           # THR empty
    assert uart.irq.level == 0                 # reading IIR acknowledges it
    assert uart.read(IIR, 1) == 0x01
    # rewriting the same IER does not re-raise; toggling does
    uart.write(IER, 1, u.IER_THRI)
    assert uart.irq.level == 0
    uart.write(IER, 1, 0)
    uart.write(IER, 1, u.IER_THRI)
    assert uart.irq.level == 1
    # a transmit keeps THRI pending afterwards
    uart.read(IIR, 1)
    uart.write(RBR, 1, 0x41)
    assert uart.irq.level == 1 and uart.read(IIR, 1) == 0x02
    assert levels[:2] == [1, 0]


def test_receive_without_fifo_and_overrun():
    uart, chr_, _ = make()
    uart.write(IER, 1, u.IER_RDI | u.IER_RLSI)
    assert uart.can_receive() == 1
    chr_.feed(b"ab")                       # back-pressure: one byte at a time
    assert uart.read(LSR, 1) & 1 == 1
    assert uart.read(IIR, 1) == 0x04 and uart.irq.level == 1
    assert uart.can_receive() == 0
    assert uart.read(RBR, 1) == ord("a")   # reading lets the chardev deliver 'b'
    assert uart.read(RBR, 1) == ord("b")
    assert uart.read(LSR, 1) & 1 == 0 and uart.irq.level == 0
    # an overrun without FIFO: line status interrupt outranks data
    uart.receive(b"x")
    uart.receive(b"y")
    assert uart.read(IIR, 1) == 0x06
    assert uart.read(LSR, 1) & u.LSR_OE
    assert uart.read(LSR, 1) & u.LSR_OE == 0    # cleared by the read
    assert uart.read(IIR, 1) == 0x04
    assert uart.read(RBR, 1) == ord("y")


def test_fifo_trigger_level_and_back_pressure():
    uart, chr_, _ = make()
    uart.write(IER, 1, u.IER_RDI)
    uart.write(IIR, 1, 0x81)            # FIFO on, trigger at 8 bytes
    assert uart.read(IIR, 1) & 0xC0 == 0xC0
    assert uart.can_receive() == 8
    chr_.feed(b"0123456789ABCDEFGHIJ")
    assert len(uart.recv_fifo) == 8        # the chardev gave it the trigger level
    assert uart.read(IIR, 1) & 0x0F == 0x04 and uart.irq.level == 1
    got = bytes(uart.read(RBR, 1) for _ in range(20))
    assert got == b"0123456789ABCDEFGHIJ"
    assert uart.read(LSR, 1) & 1 == 0
    # below the trigger level: no RDI interrupt
    uart.receive(b"z")
    assert uart.irq.level == 0 and uart.read(LSR, 1) & 1


def test_fifo_overrun_keeps_contents_and_fcr_reset_flushes():
    uart, _, _ = make()
    uart.write(IIR, 1, 0x01)
    uart.receive(bytes(range(20)))
    assert len(uart.recv_fifo) == 16 and uart.lsr & u.LSR_OE
    uart.write(IIR, 1, 0x03)               # RFR
    assert uart.recv_fifo == bytearray() and uart.read(LSR, 1) & 1 == 0


def test_character_timeout_interrupt_fires_in_virtual_time():
    retired = [0]
    clock = VirtualClock(icount_shift=0, retired=lambda: retired[0])
    uart, _, _ = make(clock)
    uart.write(IER, 1, u.IER_RDI)
    uart.write(IIR, 1, 0xC1)              # trigger level 14
    uart.receive(b"abc")
    assert uart.irq.level == 0
    timeout = uart.char_transmit_time * 4
    retired[0] = timeout - 1
    clock.run_expired()
    assert uart.irq.level == 0
    retired[0] = timeout
    clock.run_expired()
    assert uart.irq.level == 1 and uart.read(IIR, 1) == 0xCC
    uart.read(RBR, 1)
    assert uart.irq.level == 0


def test_loopback_sends_to_receiver_not_chardev():
    uart, chr_, _ = make()
    uart.write(MCR, 1, 0x10 | 0x0B)
    uart.write(RBR, 1, 0x55)
    assert chr_.take_output() == b""
    assert uart.read(RBR, 1) == 0x55
    # MCR DTR|RTS|OUT2 loop back to DSR|CTS|DCD
    assert uart.read(MSR, 1) == 0x20 | 0x10 | 0x80


def test_snapshot_round_trip():
    uart, chr_, _ = make()
    uart.write(IER, 1, 0x05)
    uart.write(IIR, 1, 0x01)
    uart.receive(b"qr")
    state = uart.save_state()
    other, _, _ = make()
    other.load_state(state)
    assert other.read(RBR, 1) == ord("q")
    assert other.read(IER, 1) == 0x05
    assert uart.read(RBR, 1) == ord("q")   # the original is unaffected
    assert len(other.recv_fifo) == 1
