"""What a partner's customers see: sign-in tokens, LAUNCH and ORBIT, and the pages they open."""
