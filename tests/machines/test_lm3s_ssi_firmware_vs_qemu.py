"""A firmware of ours that drives lm3s6965evb's SSI as the FreeRTOS demo's
OLED driver does (tests/firmware/arm/lm3s_ssi.c), plus the SD slot, the I2C
master and the ADC: the same UART output and exit status on
qemu-system-arm and on emud."""
import subprocess
import sys
from pathlib import Path

from tests.machines.test_cortexm_firmware_vs_qemu import SRC, pytestmark, run  # noqa: F401


def build(tmp_path: Path) -> Path:
    out = tmp_path / "lm3s_ssi.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m3", "-mthumb", "-O2", "-nostdlib", "-ffreestanding",
                    "-T", str(SRC / "link.ld"), str(SRC / "lm3s_ssi.c"), "-o", str(out)], check=True)
    return out


def test_ssi_oled_sd_i2c_adc_firmware_as_on_qemu(tmp_path):
    args = ["-M", "lm3s6965evb", "-nographic", "-semihosting-config", "enable=on,target=native",
            "-kernel", str(build(tmp_path))]
    qemu = run(["qemu-system-arm"] + args)
    assert qemu.returncode == 3 and b"tx irqs 00000001\n" in qemu.stdout and b"sd 00000008\n" in qemu.stdout
    assert b"adc sample 00000200\nadc sample 00000204\n" in qemu.stdout       # two samples a pulse
    emud = run([sys.executable, "-m", "emud"] + args, timeout=300)
    assert (emud.returncode, emud.stdout.decode()) == (qemu.returncode, qemu.stdout.decode())
