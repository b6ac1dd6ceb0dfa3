"""Every ARI operation the engine uses, in one table.

The client only calls operations listed here, so a test can hold the whole table
against the running Asterisk's own API description (``/ari/api-docs``).
"""

from __future__ import annotations

OPERATIONS: dict[str, tuple[str, str]] = {
    "asterisk_info": ("GET", "/asterisk/info"),
    "set_global": ("POST", "/asterisk/variable"),
    "list_channels": ("GET", "/channels"),
    "get_channel": ("GET", "/channels/{channelId}"),
    "originate": ("POST", "/channels"),
    "answer": ("POST", "/channels/{channelId}/answer"),
    "hangup": ("DELETE", "/channels/{channelId}"),
    "play": ("POST", "/channels/{channelId}/play/{playbackId}"),
    "snoop": ("POST", "/channels/{channelId}/snoop/{snoopId}"),
    "external_media": ("POST", "/channels/externalMedia"),
    "get_variable": ("GET", "/channels/{channelId}/variable"),
    "get_playback": ("GET", "/playbacks/{playbackId}"),
    "stop_playback": ("DELETE", "/playbacks/{playbackId}"),
    "list_bridges": ("GET", "/bridges"),
    "create_bridge": ("POST", "/bridges/{bridgeId}"),
    "add_channel": ("POST", "/bridges/{bridgeId}/addChannel"),
    "remove_channel": ("POST", "/bridges/{bridgeId}/removeChannel"),
    "destroy_bridge": ("DELETE", "/bridges/{bridgeId}"),
    "record_bridge": ("POST", "/bridges/{bridgeId}/record"),
    "start_bridge_moh": ("POST", "/bridges/{bridgeId}/moh"),
    "stop_bridge_moh": ("DELETE", "/bridges/{bridgeId}/moh"),
    "list_applications": ("GET", "/applications"),
    "continue_in_dialplan": ("POST", "/channels/{channelId}/continue"),
}
