"""Where a run computes: the device a name means and its CPU threads (device.py), torchrun's processes
(distributed.py)."""
