INSTANT_FORMAT = "D j b Y, H:i"  # za 9 aug 2025, 15:00
