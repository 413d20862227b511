"""mon:stdio's monitor side: the line discipline on a raw terminal, and the
Ctrl-A c focus switch of the terminal chardev."""
import trio

from emud.chardev import StdioChardev, parse_chardev
from emud.monitor.mux import MuxedMonitor


class Lines:
    """A MuxedMonitor whose finished lines can be read back without a session."""

    def __init__(self):
        self.shown = bytearray()
        self.mux = MuxedMonitor(None, self.shown.extend)

    def lines(self):
        out = []
        while True:
            try:
                out.append(self.mux._lines_out.receive_nowait())
            except trio.WouldBlock:
                return out


def test_typed_text_is_echoed_and_sent_at_enter():
    t = Lines()
    t.mux.feed(b"info reg")
    assert t.lines() == [] and bytes(t.shown) == b"info reg"
    t.mux.feed(b"isters\r")
    assert t.lines() == [b"info registers\n"] and t.shown.endswith(b"isters\r\n")


def test_backspace_ctrl_u_and_utf8():
    t = Lines()
    t.mux.feed(b"ab\x7f\x08\x08c")                     # one erase too many is harmless
    t.mux.feed("xé".encode() + b"\x7f\r")              # é is two bytes, one character
    assert t.lines() == [b"cx\n"]
    t.mux.feed(b"junk\x15help\r")
    assert t.lines() == [b"help\n"]
    assert t.shown.count(b"\b \b") == 2 + 1 + 4


def test_cursor_keys_are_dropped_and_pasted_crlf_is_one_line():
    t = Lines()
    t.mux.feed(b"x\x1b[A\x1bOB\x1b[1;5Cp 1\r\nstop\n")
    assert t.lines() == [b"xp 1\n", b"stop\n"]


def test_ctrl_c_drops_the_line():
    t = Lines()
    t.mux.feed(b"quit\x03")
    assert t.lines() == [b"\n"] and b"^C" in t.shown


def test_ctrl_a_c_moves_the_keyboard():
    term = StdioChardev(parse_chardev("mon:stdio"))
    t = Lines()
    entered = []
    t.mux.enter = lambda: entered.append(1)
    term.attach_monitor(t.mux)
    # C-a c: to the monitor; C-a a: an unknown key, swallowed; C-a c: back to the guest
    assert term.filter_input(b"ab\x01cst\x01a\x01cyz") == b"abyz"
    assert entered == [1] and bytes(t.mux._line) == b"st"
    assert not term.monitor_has_keyboard
    assert term.filter_input(b"\x01c\x01\x01u") == b""        # C-a C-a goes to whoever has the keys
    assert term.monitor_has_keyboard and bytes(t.mux._line) == b"stu"


def test_without_a_monitor_ctrl_a_c_is_swallowed():
    term = StdioChardev(parse_chardev("mon:stdio"))
    assert term.filter_input(b"a\x01cb") == b"ab" and not term.monitor_has_keyboard
