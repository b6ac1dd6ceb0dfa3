"""``pjsip_webrtc.conf``, pure: the browser softphones' part of Asterisk's PJSIP
configuration, kept in its own file (``#include``d at the end of ``pjsip.conf``).

- ``transport-ws``: PJSIP's WebSocket transport. It rides on Asterisk's HTTP server
  (``http.conf``, the one serving ARI) at ``/ws``; browsers connect to
  ``ws://HOST:PORT/ws`` (``wss://`` once that server has TLS, see docs/softphone.md).
- ``webrtc-endpoint``: ``webrtc = yes`` (ICE, AVPF, rtcp-mux, DTLS-SRTP with
  fingerprint verification) with the certificate the setup generates
  (``certs.ensure``), Opus and G.711, NAT-proof media.
- per agent phone number N: endpoint, AOR and auth ``N-webrtc`` whose password is
  derived from ``softphone_secret`` (``credentials.password``).
"""

from __future__ import annotations

from engine.softphone import credentials

CERT_FILE = "/etc/asterisk/keys/tenure-dtls.crt"
KEY_FILE = "/etc/asterisk/keys/tenure-dtls.key"

TEMPLATES = f"""[transport-ws]
type = transport
protocol = ws
bind = 0.0.0.0

[webrtc-endpoint](!)
type = endpoint
context = from-agents
webrtc = yes
dtls_cert_file = {CERT_FILE}
dtls_private_key = {KEY_FILE}
dtls_auto_generate_cert = no
disallow = all
allow = opus,ulaw,alaw
direct_media = no
dtmf_mode = rfc4733
rtp_symmetric = yes
force_rport = yes
rewrite_contact = yes

[webrtc-aor](!)
type = aor
max_contacts = 1
remove_existing = yes
qualify_frequency = 30

[webrtc-auth](!)
type = auth
auth_type = userpass
"""


def media_lines(sip_host: str) -> str:
    """Where the softphones' media (and so their ICE candidates) live: on the address the
    SIP transport binds when that is one address (the sandbox: loopback only), else on
    every interface (``0.0.0.0``: Asterisk offers each of its addresses)."""
    if sip_host in ("", "0.0.0.0", "::", "[::]"):
        return ""
    return f"media_address = {sip_host}\nbind_rtp_to_media_address = yes\n"


def pjsip_webrtc(numbers: list[str], secret: str, sip_host: str = "0.0.0.0") -> str:
    """The file's text for agent phone ``numbers`` (none without a secret)."""
    head = "; Generated from the settings sip_agents and softphone_secret (engine/softphone).\n"
    if not secret:
        return head + "; softphone_secret is empty: no browser softphones.\n"
    media = "rewrite_contact = yes\n" + media_lines(sip_host)
    blocks = [head, TEMPLATES.replace("rewrite_contact = yes\n", media)]
    for n in numbers:
        user = credentials.username(n)
        blocks.append(
            f"[{user}](webrtc-endpoint)\nauth = {user}\naors = {user}\ncallerid = <{n}>\n"
            f"[{user}](webrtc-aor)\n"
            f"[{user}](webrtc-auth)\nusername = {user}\n"
            f"password = {credentials.password(secret, user)}\n"
        )
    return "\n".join(blocks)
