"""Events: records from many articles grouped by real-world event and merged with provenance."""
