"""Developer tools that are not part of the program (screenshots of every page)."""
