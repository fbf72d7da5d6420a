"""The Admin tabs for scheduling set-up: visit types, hours, blockouts and resources."""
