"""Call audio into the engine: RTP from Asterisk's externalMedia -> PCM frames per leg.

``server.MediaServer`` is the adapter (one UDP port per leg, from ``port_pool.PortPool``);
``rtp`` and ``jitter`` are its pure parts.
"""
