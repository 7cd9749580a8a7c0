"""Bringing a partner's assets from Cyclr: connector and template exports, converted."""
