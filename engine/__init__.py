"""Tenure: a call-center engine for Asterisk that keeps customers."""

__version__ = "0.1.0"
