"""emud's command line, recording from the first instruction: what
``-record`` will do once the command line has it. Run as
``python -m tests.timetravel.recording_emud <emud arguments>``."""
from __future__ import annotations

import sys

from emud import cli


def main(argv) -> int:
    build = cli.build_machine

    def build_recording(args):
        machine, serial = build(args)
        machine.record_start()
        return machine, serial

    cli.build_machine = build_recording
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
