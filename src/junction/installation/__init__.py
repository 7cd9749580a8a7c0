"""Installation settings the partner may change from the console: stored overrides of a few
environment settings, and the effective value every part of Junction reads."""
