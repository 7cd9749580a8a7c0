"""Templates: integrations designed once by the partner, released, and installed as cycles."""
