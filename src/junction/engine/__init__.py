"""The engine: runs cycles' transactions step by step, durably."""
