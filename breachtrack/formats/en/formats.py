INSTANT_FORMAT = "D j M Y, H:i"  # Sat 9 Aug 2025, 15:00
DAY_FORMAT = "j M Y"  # 11 Aug 2025 (the estimate chart's time axis)
