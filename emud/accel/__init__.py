"""emud.accel"""
