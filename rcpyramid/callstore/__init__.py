"""The local call history: records, and what keeps them live."""
