"""Load tests, the fan-out benchmark and the cost model; never deployed."""
