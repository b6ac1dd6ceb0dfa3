"""Real phones and carriers: agent phones and trunks as configuration.

- ``trunks``: ``skills/trunks.yaml`` -> ``Trunk`` values (pure; schema in
  ``engine/skills/schemas/trunks.schema.json``);
- ``pjsip``: the ONE renderer of the PJSIP sections (transports, agent phones, trunks)
  and the trunks' dialplan, shared by the sandbox, the Docker entrypoint and the engine
  (pure);
- ``registration``: AMI device state / contact status -> is the phone registered (pure);
- ``service``: a trunk edit written into Asterisk's folder and applied by a PJSIP reload;
  ``dialer_trunk`` naming a trunk resolved to its dial string.
"""
