"""emud.cpu.riscv"""
