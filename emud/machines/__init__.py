"""emud.machines"""
