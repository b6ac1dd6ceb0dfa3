"""Churn risk: tags, score, training, real-time re-scoring and outreach.

Entry points:

- ``service.RiskService``: the profile store listener that re-scores the customers of
  every stored batch, the periodic sweep, the outreach sender (``outreach_sender``).
- ``cli``: ``python -m engine risk train|score``.

Pure core: ``facts`` (what is read about a customer), ``tags`` (rules over facts),
``score`` (the logistic model), ``train`` (learning it; records from ``train_data``),
``outreach`` (the policy on a tier change), ``config`` (``skills/risk-tags.yaml``).
SQLite: ``schema`` (tables), ``store`` (re-scoring and the outreach queue).
"""
