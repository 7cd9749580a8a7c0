"""One module per schema revision, numbered in the order they apply."""
