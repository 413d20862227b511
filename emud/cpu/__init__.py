"""emud.cpu"""
