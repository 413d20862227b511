"""emud.monitor"""
