# Copilot++ is a passthrough: it keeps no tables of its own.
