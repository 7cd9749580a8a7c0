"""The connector definition format: pydantic models, field paths, mergefields, validation."""
