"""Sandboxes for untrusted code: the protocol, Docker and bubblewrap backends, images."""
