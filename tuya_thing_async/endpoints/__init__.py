"""Thin coroutine wrappers, one module per resource: devices, logs, firmware."""
