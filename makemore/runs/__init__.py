"""What a run leaves on disk: layout.py (the run directory, its lock, finding the checkpoint an argument means),
checkpoint.py (the self-describing checkpoint format and its checked loading), listing.py (runs and sweeps as
tables)."""
