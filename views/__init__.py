"""Routes only, one blueprint per area of the internal app; views/public*.py are the "Dân biết" pages."""
