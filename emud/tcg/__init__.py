"""emud.tcg"""
