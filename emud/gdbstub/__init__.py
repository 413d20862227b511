"""emud.gdbstub"""
