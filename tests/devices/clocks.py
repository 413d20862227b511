"""A VirtualClock whose time the test moves (icount, 1 ns per 'instruction')."""
from emud.clock import VirtualClock


class ManualClock:
    def __init__(self):
        self.ns = 0
        self.clock = VirtualClock(icount_shift=0, retired=lambda: self.ns)

    def advance(self, ns):
        """Move time forward, firing each timer at its own deadline."""
        target = self.ns + ns
        while True:
            d = self.clock.next_deadline()
            if d is None or d > target:
                break
            self.ns = max(self.ns, d)
            self.clock.run_expired()
        self.ns = target
        self.clock.run_expired()
