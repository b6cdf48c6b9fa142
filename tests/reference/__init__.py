"""Independent references the package is tested against."""
