"""The serving benchmark: our service and its peers under wrk, and the report."""
