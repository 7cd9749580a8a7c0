"""What an operator watches: liveness, readiness and Prometheus metrics."""
