"""The bottom layer, used by every other: problems and errors, number formatting, atomic file
writes, the garbage-collector pause. It imports nothing of perfkit."""
