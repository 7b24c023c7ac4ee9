"""The demo data (data.py) and its loader (loader.py); production code never imports this package."""
