"""The Asterisk Manager Interface adapter.

Entry points: ``client.AmiClient`` (connection, reconnects, event handlers) and
``devices.DeviceWatcher`` (agents' phone registration fed to routing).
"""
