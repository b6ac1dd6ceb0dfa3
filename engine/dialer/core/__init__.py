"""The dialer's pure core: no I/O and no clock (every decision takes ``now``).

- ``line``: ``Line.handle(event, now)``, one outbound line's life as a state machine
  returning ``line_actions`` (dial, AMD, identification, offer, bridge, record...).
- ``campaign``: what a campaign dials this tick (pacer + guard + compliance) and how a
  line the event stream missed is judged (``missed``).
- ``pacing`` (+ ``estimates``, ``forecast``: the predictive pacer's model), ``guard``
  (2-second rule, abandon rate), ``window``, ``compliance``, ``ordering``, ``outcomes``,
  ``policy``, ``actions``.
"""
