"""Live updates: the event bus (publish after commit, subscribe per parcel or per order) and SSE framing."""
