"""Actions: plan exact commands, confirm, apply on many hosts with a fan-out limit."""
