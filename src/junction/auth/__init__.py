"""OAuth 2.0 client credentials for the partner API: credential sets, access tokens, identity."""
