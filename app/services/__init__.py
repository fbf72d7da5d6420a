"""Domain services. Each takes a Session (and usually an Actor) and never commits."""
