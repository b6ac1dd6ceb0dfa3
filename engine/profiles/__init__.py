"""Customer profiles, churn risk and the retention loop (issue 4)."""
