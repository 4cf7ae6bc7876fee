"""Alliance on a phone: the web app manifest, the one service worker, the offline page."""
