"""CMSDK APB UART and PL011 against the chardev layer: what the guest writes
reaches the backend byte for byte, input comes back through can_receive /
receive with the interrupts QEMU raises."""
from emud.chardev import MemoryChardev
from emud.devices.cmsdk_uart import CmsdkUart
from emud.devices.pl011 import Pl011


def test_cmsdk_uart_transmit_and_receive():
    dev = MemoryChardev()
    u = CmsdkUart(dev)
    seen = []
    u.output_listeners.append(seen.append)
    u.write(0x08, 4, 0x3)                  # TX_EN | RX_EN
    for b in b"hi\n":
        u.write(0x00, 4, b)
    assert dev.take_output() == b"hi\n" and seen == [b"h", b"i", b"\n"]
    assert u.read(0x04, 4) == 0            # TXFULL never stays set
    u.write(0x08, 4, 0x3 | 0x8)            # RX_INTEN
    assert u.can_receive() == 1
    u.receive(b"x")
    assert u.can_receive() == 0 and u.rxint.level == 1 and u.read(0x04, 4) == 2
    u.receive(b"y")                        # the backend ignored can_receive: an overrun
    assert u.read(0x04, 4) == 2 | 8
    assert u.read(0x00, 4) == ord("y") and u.read(0x04, 4) == 8
    u.write(0x0C, 4, 2)
    assert u.rxint.level == 0


def test_cmsdk_uart_receive_needs_rx_enabled():
    u = CmsdkUart(MemoryChardev())
    assert u.can_receive() == 0
    u.receive(b"z")
    assert u.read(0x04, 4) == 0


def test_pl011_transmit_receive_fifo_and_break():
    dev = MemoryChardev()
    u = Pl011(dev, luminary=True)
    u.write(0x00, 4, ord("A"))
    assert dev.take_output() == b"A" and u.read(0x3C, 4) == 0x20
    assert u.can_receive() == 1            # no FIFO: one byte
    u.write(0x2C, 4, 0x10)                 # FEN
    assert u.can_receive() == 16
    u.write(0x38, 4, 0x10)                 # RX interrupt enabled
    u.receive(b"ab")
    assert u.irq.level == 1 and u.read(0x18, 4) & 0x10 == 0
    assert u.read(0x00, 4) == ord("a") and u.irq.level == 1
    assert u.read(0x00, 4) == ord("b") and u.irq.level == 0 and u.read(0x18, 4) & 0x10
    u.receive_break()
    assert u.read(0x00, 4) == 0x400 and u.read(0x04, 4) == 0x4
