"""casewise: a self-hostable coach for AI product-manager interviews."""

__version__ = "0.1.0"
