"""The template document: steps, edges, variables and settings, and its graph validation."""
