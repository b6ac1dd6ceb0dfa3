"""The agent desk's softphone: the browser answers calls over WebRTC through Asterisk's
PJSIP WebSocket transport.

``credentials`` (pure) derives each softphone's SIP password from ``softphone_secret``
and tells which agents' configured endpoint is a softphone; ``render`` (pure) writes
``pjsip_webrtc.conf`` (the WebSocket transport, the WebRTC endpoint template and one
endpoint per agent phone number); ``certs`` generates the DTLS certificate at setup;
``http`` hands the logged-in agent their own credentials (``GET /desk/softphone``).
"""
