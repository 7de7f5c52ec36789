"""The small core every stage may import: errors, signals that carry their sampling rate,
the schemas and the resolved settings."""
