INSTANT_FORMAT = "D j M Y, H:i"  # Sat 9 Aug 2025, 15:00
